"""What `ordersaga projector status` reports: per build its positions, each source's head and
the lag, the dead letters, and whether the active projector is alive, quiet or stuck."""

import time
from dataclasses import dataclass

from sqlalchemy import select

from ordersaga.database.engine import Sessions
from ordersaga.projector import catalog
from ordersaga.projector.views import views
from ordersaga.rabbitmq.topology import SOURCES

ALIVE_SECONDS = 10.0


@dataclass(frozen=True)
class DeadLetter:
    build: int
    source: str
    seq: int
    kind: str
    reason: str


@dataclass(frozen=True)
class Status:
    builds: list[catalog.Build]
    heads: dict[str, int]
    dead_letters: list[DeadLetter]
    liveness: str

    @property
    def serving(self) -> catalog.Build | None:
        return next((b for b in self.builds if b.serving), None)

    def lag(self, build: catalog.Build) -> dict[str, int | None]:
        return {
            s: None
            if s not in build.positions
            else max(0, self.heads.get(s, 0) - build.positions[s])
            for s in SOURCES
        }

    def lines(self) -> list[str]:
        out = [f"projector: {self.liveness}"]
        for b in self.builds:
            mark = " (serving)" if b.serving else ""
            out.append(f"build {b.build}{mark}: {b.state}, shape {b.shape}, "
                       f"{b.dead_letters} dead letters")  # fmt: skip
            if b.state == "dropped":
                continue
            lag = self.lag(b)
            for s in SOURCES:
                at = b.positions.get(s)
                where = "not filled yet" if at is None else f"at {at}, lag {lag[s]}"
                out.append(f"  {s:<10} head {self.heads.get(s, '?')}, {where}")
        for d in self.dead_letters:
            out.append(f"dead letter: build {d.build} {d.source}:{d.seq} {d.kind}: {d.reason}")
        return out


async def status(sessions: Sessions, dead_letter_limit: int = 20) -> Status:
    async with sessions() as session, session.begin():
        builds = await catalog.all_builds(session, with_positions=True)
        heads = await catalog.heads(session)
        dead: list[DeadLetter] = []
        for b in builds:
            if b.state == "dropped" or not b.dead_letters:
                continue
            t = views(b.build).dead_letters
            rows = await session.execute(select(t).order_by(t.c.at.desc()).limit(dead_letter_limit))
            dead += [DeadLetter(b.build, r.source, r.seq, r.kind, r.reason) for r in rows]
        beat = await catalog.liveness_of(session)
    return Status(builds, heads, dead, _liveness(beat))


def _liveness(beat: dict[str, object] | None) -> str:
    if beat is None:
        return "never ran"
    age = time.time() - float(beat["beat_at"])  # type: ignore[arg-type]
    if age > ALIVE_SECONDS:
        return f"not running (last beat {age:.0f}s ago from {beat['holder']})"
    if beat["stuck"]:
        return f"STUCK: {beat['stuck']}"
    return f"running ({beat['holder']})"
