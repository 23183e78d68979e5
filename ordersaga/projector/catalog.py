"""The read model's catalog: its builds, which one serves, the sources' heads, liveness.

The API reads `serving` on every request; `switch` changes it in one transaction, so a reader
sees either build whole. The CLI asks for a rebuild, a switch or a drop here; the running
projector carries them out.
"""

import time
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from ordersaga.projector import store
from ordersaga.projector.views import CATALOG, SHAPE, builds, liveness, serving, sources, views


class Refused(RuntimeError):
    """The catalog cannot do what was asked; the message says why."""


@dataclass(frozen=True)
class Build:
    build: int
    shape: int
    state: str
    switch_when_ready: bool
    serving: bool = False
    positions: dict[str, int] = field(default_factory=dict)
    dead_letters: int = 0


async def create_catalog(engine: AsyncEngine) -> None:
    """The catalog's tables, if missing. Two processes creating them at once on PostgreSQL can
    collide on the system catalog: the loser tries again and finds them there."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(DBAPIError), stop=stop_after_attempt(3), reraise=True
    ):
        with attempt:
            async with engine.begin() as connection:
                await connection.run_sync(CATALOG.create_all)


async def serving_build(session: AsyncSession) -> int | None:
    build = await session.scalar(select(serving.c.build).where(serving.c.id == 1))
    return None if build is None else int(build)


async def all_builds(session: AsyncSession, with_positions: bool = False) -> list[Build]:
    current = await serving_build(session)
    rows = (await session.execute(select(builds).order_by(builds.c.build))).all()
    found = []
    for row in rows:
        positions, dead = {}, 0
        if with_positions and row.state != "dropped":
            v = views(row.build)
            positions = await store.positions(session, v)
            dead = int(await session.scalar(select(func.count()).select_from(v.dead_letters)) or 0)
        found.append(
            Build(
                row.build,
                row.shape,
                row.state,
                bool(row.switch_when_ready),
                row.build == current,
                positions,
                dead,
            )  # fmt: skip
        )
    return found


async def request_build(session: AsyncSession, switch_when_ready: bool = True) -> int:
    """A new build of the current shape, for the projector to fill; its number."""
    last = await session.scalar(select(func.max(builds.c.build)))
    number = int(last or 0) + 1
    await session.execute(
        builds.insert().values(build=number, shape=SHAPE, state="building",
                               created_at=time.time(), switch_when_ready=int(switch_when_ready))
    )  # fmt: skip
    return number


async def mark_ready(session: AsyncSession, build: int) -> None:
    await session.execute(
        update(builds).where(builds.c.build == build, builds.c.state == "building")
        .values(state="ready", ready_at=time.time())
    )  # fmt: skip


async def switch(session: AsyncSession, build: int, at_least: dict[str, int] | None = None) -> None:
    """Serve `build` from now on. With `at_least`, only if it has got as far in every source
    (so no read goes backwards)."""
    state = await session.scalar(select(builds.c.state).where(builds.c.build == build))
    if state != "ready":
        raise Refused(f"build {build} is {state or 'unknown'}; only a ready build can serve")
    if at_least:
        have = await store.positions(session, views(build))
        behind = {s: n for s, n in at_least.items() if have.get(s, -1) < n}
        if behind:
            raise Refused(f"build {build} is behind the serving build in {', '.join(behind)}")
    values = {"build": build, "switched_at": time.time()}
    changed = await session.execute(update(serving).where(serving.c.id == 1).values(**values))
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        await session.execute(serving.insert().values(id=1, **values))


async def drop(session: AsyncSession, build: int) -> None:
    if await serving_build(session) == build:
        raise Refused(f"build {build} is serving; switch to another one first")
    changed = await session.execute(
        update(builds).where(builds.c.build == build, builds.c.state != "dropped")
        .values(state="dropped")
    )  # fmt: skip
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        raise Refused(f"there is no build {build} to drop")


async def heads(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(sources.c.source, sources.c.head))
    return {row.source: int(row.head) for row in rows}


async def record_heads(session: AsyncSession, found: dict[str, int]) -> None:
    now = time.time()
    for source, head in found.items():
        changed = await session.execute(
            update(sources).where(sources.c.source == source).values(head=head, checked_at=now)
        )
        if changed.rowcount == 0:  # type: ignore[attr-defined]
            await session.execute(sources.insert().values(source=source, head=head, checked_at=now))


async def beat(session: AsyncSession, holder: str, progress_at: float, stuck: str | None) -> None:
    values = {"holder": holder, "beat_at": time.time(), "progress_at": progress_at, "stuck": stuck}
    changed = await session.execute(update(liveness).where(liveness.c.id == 1).values(**values))
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        await session.execute(liveness.insert().values(id=1, **values))


async def liveness_of(session: AsyncSession) -> dict[str, object] | None:
    row = (await session.execute(select(liveness).where(liveness.c.id == 1))).mappings().first()
    return None if row is None else dict(row)
