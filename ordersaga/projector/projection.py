"""One build kept up with its sources: backfilled from their snapshots, then advanced along
their feeds, one source at a time under that source's lock.

- `backfill(source)`: an empty build takes the source's snapshot at its watermark W, adds the
  timeline of events 1..W from the feed, and loads the snapshot with position W, in one
  transaction. Seed data that never was an event comes with the snapshot.
- `advance(source, *hints)`: live events that are next are applied as they are (all those at
  hand in one transaction); any position ahead of them (a gap: a lost or reordered delivery) is
  pulled from the source's feed, never skipped; duplicates are ignored. Without hints it
  catches up to the source's head, in batches, reading the next page while it applies the last.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from ordersaga.contracts.events import EventEnvelope
from ordersaga.contracts.queries import FeedPage
from ordersaga.database.engine import Sessions
from ordersaga.projector import loading, store
from ordersaga.projector.feeds import Feeds
from ordersaga.projector.views import Views
from ordersaga.rabbitmq.topology import SOURCES

log = logging.getLogger(__name__)


class Projection:
    def __init__(
        self,
        sessions: Sessions,
        views: Views,
        feeds: Feeds,
        batch: int = 2000,
        on_progress: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.views, self._sessions, self._feeds, self._batch = views, sessions, feeds, batch
        self._on_progress = on_progress
        self._locks = {source: asyncio.Lock() for source in SOURCES}
        self.positions: dict[str, int] = {}
        self.heads: dict[str, int] = {}

    @property
    def build(self) -> int:
        return self.views.build

    @property
    def locks(self) -> list[asyncio.Lock]:
        """One per source; held while that source's events are read and written."""
        return list(self._locks.values())

    async def load_positions(self) -> None:
        async with self._sessions() as session, session.begin():
            self.positions = await store.positions(session, self.views)

    def filled(self, source: str) -> bool:
        return source in self.positions

    def caught_up(self) -> bool:
        return all(
            source in self.positions and self.positions[source] >= self.heads.get(source, 1 << 62)
            for source in SOURCES
        )

    async def backfill(self, source: str) -> None:
        async with self._locks[source]:
            if self.filled(source):
                return
            snapshot = await self._feeds.snapshot(source)
            after = 0
            while after < snapshot.seq:
                page = await self._feeds.page(source, after, self._batch)
                history = [e for e in page.events if e.seq <= snapshot.seq]
                async with self._sessions() as session, session.begin():
                    await loading.add_timeline(session, self.views, history)
                seqs = [e.seq for e in page.events] + [p.seq for p in page.parked]
                if not seqs:
                    break
                after = max(seqs)
            async with self._sessions() as session, session.begin():
                await loading.load_snapshot(session, self.views, snapshot)
            self.positions[source] = snapshot.seq
            self.heads[source] = max(self.heads.get(source, 0), snapshot.seq)
            log.info(
                "build %d: %s loaded from its snapshot at %d", self.build, source, snapshot.seq
            )

    async def advance(self, source: str, *hints: EventEnvelope) -> int:
        """Apply what follows this build's position in `source` (the events at hand if they
        are next, else from the feed); returns the new position."""
        async with self._locks[source]:
            if not self.filled(source):
                return 0  # backfill has not reached this source yet; it will cover the event
            try:
                if hints:
                    return await self._take(source, sorted(hints, key=lambda e: e.seq))
                return await self._catch_up(source)
            except store.PositionMoved:
                await self.load_positions()
                raise

    async def _take(self, source: str, hints: list[EventEnvelope]) -> int:
        position, last = self.positions[source], hints[-1].seq
        self.heads[source] = max(self.heads.get(source, 0), last)
        fresh = [e for e in hints if e.seq > position]  # the rest are duplicates
        run = [e for n, e in enumerate(fresh) if e.seq == position + 1 + n]
        if run:
            position = await self._apply(source, FeedPage(events=run, head=last))
        if position >= last:
            return position
        log.info("build %d: %s gap after %d (up to %d); pulling it from the feed",
                 self.build, source, position, last)  # fmt: skip
        return await self._catch_up(source, until=last)

    async def _catch_up(self, source: str, until: int | None = None) -> int:
        """Pull pages from the feed (the next one read while the last is applied) until the
        feed has nothing more, or `until` is reached."""
        position = self.positions[source]
        page = await self._feeds.page(source, position, self._batch)
        while True:
            self.heads[source] = max(self.heads.get(source, 0), page.head)
            seqs = [e.seq for e in page.events] + [p.seq for p in page.parked]
            if not seqs:
                return position
            ahead = max(seqs)
            more = len(seqs) == self._batch and (until is None or ahead < until)
            upcoming = (
                asyncio.create_task(self._feeds.page(source, ahead, self._batch)) if more else None
            )
            try:
                position = await self._apply(source, page)
            except BaseException:
                if upcoming is not None:
                    upcoming.cancel()
                raise
            if upcoming is None:
                return position
            page = await upcoming

    async def _apply(self, source: str, page: FeedPage) -> int:
        after = self.positions[source]
        async with self._sessions() as session, session.begin():
            position = await store.apply(
                session, self.views, source, after, page.events, page.parked
            )
        self.positions[source] = position
        if position > after and self._on_progress is not None:
            await self._on_progress()
        return position
