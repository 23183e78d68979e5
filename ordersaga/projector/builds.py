"""The builds the active projector keeps up with the sources, in step with the catalog: a
new build is filled (backfilled from the snapshots, then caught up) in the background, a build
that has caught up is marked ready and, if asked, switched to, and a dropped build's tables go.
When no build of this code's shape serves, one is requested. Each sync records how far the
serving build is behind each source (metrics.py)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aio_pika.exceptions import DeliveryError

from ordersaga.database.engine import Sessions
from ordersaga.projector import catalog, store
from ordersaga.projector.feeds import Feeds
from ordersaga.projector.metrics import record_lag
from ordersaga.projector.projection import Projection
from ordersaga.projector.views import SHAPE, views
from ordersaga.rabbitmq.topology import SOURCES

log = logging.getLogger(__name__)


class Builds:
    def __init__(
        self,
        sessions: Sessions,
        feeds: Feeds,
        batch: int,
        on_progress: Callable[[], Awaitable[None]],
    ) -> None:
        self._sessions, self._feeds, self._batch = sessions, feeds, batch
        self._on_progress = on_progress
        self.projections: dict[int, Projection] = {}
        self._builders: dict[int, asyncio.Task[None]] = {}

    def stop(self) -> list["asyncio.Task[None]"]:
        """The builders still filling; the caller cancels and awaits them."""
        return list(self._builders.values())

    async def sync(self) -> None:
        async with self._sessions() as session, session.begin():
            known = await catalog.all_builds(session)
            current = await catalog.serving_build(session)
            wanted = [b for b in known if b.state != "dropped" and b.shape == SHAPE]
            if not any(b.serving and b.shape == SHAPE for b in known) and not any(
                b.state == "building" for b in wanted
            ):
                number = await catalog.request_build(session)
                log.info("no build of shape %d serves; filling build %d", SHAPE, number)
                known = await catalog.all_builds(session)
                wanted = [b for b in known if b.state != "dropped" and b.shape == SHAPE]
        for b in wanted:
            if b.build not in self.projections:
                await self._add(b.build)
        for b in known:
            if b.state == "dropped" and b.build in self.projections:
                await self._remove(b.build)
        for b in wanted:
            projection = self.projections[b.build]
            if b.state == "building" and projection.caught_up():
                await self._ready(b, current)
        record_lag(self.projections, current)

    async def _add(self, build: int) -> None:
        projection = Projection(
            self._sessions, views(build), self._feeds, self._batch, self._on_progress
        )
        async with self._sessions() as session, session.begin():
            await store.create_build(await session.connection(), projection.views)
        await projection.load_positions()
        self.projections[build] = projection
        if not all(projection.filled(s) for s in SOURCES):
            self._builders[build] = asyncio.create_task(self._fill(projection))

    async def _fill(self, projection: Projection) -> None:
        for source in SOURCES:
            while not projection.filled(source):
                try:
                    await projection.backfill(source)
                    await projection.advance(source)
                except (TimeoutError, DeliveryError) as error:
                    log.warning("build %d: %s does not answer yet (%s); trying again",
                                projection.build, source, error)  # fmt: skip
                    await asyncio.sleep(1)
                except Exception:
                    log.exception("build %d: backfilling %s failed; trying again",
                                  projection.build, source)  # fmt: skip
                    await asyncio.sleep(1)

    async def _remove(self, build: int) -> None:
        projection = self.projections.pop(build)
        if (builder := self._builders.pop(build, None)) is not None:
            builder.cancel()
        async with self._sessions() as session, session.begin():
            await store.drop_build(await session.connection(), projection.views)
        log.info("build %d dropped", build)

    async def _ready(self, b: catalog.Build, current: int | None) -> None:
        at_least = self.projections[current].positions if current in self.projections else None
        async with self._sessions() as session, session.begin():
            await catalog.mark_ready(session, b.build)
            if b.switch_when_ready:
                await catalog.switch(session, b.build, at_least)
        log.info("build %d caught up%s", b.build, "; it serves now" if b.switch_when_ready else "")
