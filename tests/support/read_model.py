"""The projector beside a SagaSystem: started and stopped in-process, its read model read, and
the sources' heads counted, so a test can wait until the views have everything."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ordersaga.database.engine import Sessions, create_engine, create_reader, session_factory
from ordersaga.database.messaging_tables import messaging_tables
from ordersaga.projector import catalog, store
from ordersaga.projector.feeds import Feeds
from ordersaga.projector.reads import ReadModel
from ordersaga.projector.running import run
from ordersaga.projector.views import Views, views
from ordersaga.projector.wiring import connected_feeds
from ordersaga.rabbitmq.topology import SOURCES
from ordersaga.services.orders.models import Base as OrdersBase
from ordersaga.settings import ProjectorSettings
from tests.support.system import SERVICES, SagaSystem
from tests.support.waiting import eventually


class ProjectorHarness:
    def __init__(self, system: SagaSystem) -> None:
        self.system = system
        self._running: tuple[asyncio.Task[None], asyncio.Event] | None = None
        self._engine: AsyncEngine | None = None
        self._writer: AsyncEngine | None = None

    def settings(self, **changes: Any) -> ProjectorSettings:
        values: dict[str, Any] = {
            "projector_db_url": self.system.urls["projector"],
            "rabbitmq_url": self.system.urls["rabbitmq"],
            "bus_prefix": self.system.topology.prefix,
            "head_check_seconds": 0.5,
            "lease_seconds": 3.0,
        }
        return ProjectorSettings(**(values | changes))

    async def start(self, **changes: Any) -> None:
        stop = asyncio.Event()
        self._running = (asyncio.create_task(run(self.settings(**changes), stop)), stop)

    async def stop(self) -> None:
        if self._running is not None:
            task, stop = self._running
            stop.set()
            await asyncio.wait_for(task, 30)
            self._running = None

    async def close(self) -> None:
        await self.stop()
        for engine in (self._engine, self._writer):
            if engine is not None:
                await engine.dispose()

    @property
    def sessions(self) -> Sessions:
        if self._engine is None:
            self._engine = create_reader(self.system.urls["projector"])
        return session_factory(self._engine)

    @property
    def writer(self) -> Sessions:
        """Sessions for a test that changes the read model by hand (the CLI's way)."""
        if self._writer is None:
            self._writer = create_engine(self.system.urls["projector"])
        return session_factory(self._writer)

    def read_model(self) -> ReadModel:
        return ReadModel(self.sessions)

    async def serving(self) -> Views:
        async def serves() -> bool:
            with contextlib.suppress(Exception):
                async with self.sessions() as session:
                    return await catalog.serving_build(session) is not None
            return False

        await eventually(serves)
        async with self.sessions() as session:
            build = await catalog.serving_build(session)
        assert build is not None
        return views(build)

    async def heads(self) -> dict[str, int]:
        """Each source's last sequence number, read from its own database."""
        found = {}
        for source in SOURCES:
            metadata = OrdersBase.metadata if source == "orders" else SERVICES[source].tables
            events = messaging_tables(metadata).events
            async with self.system._sessions(source)() as session:
                found[source] = int(await session.scalar(select(func.max(events.c.seq))) or 0)
        return found

    async def positions(self, build: int | None = None) -> dict[str, int]:
        v = views(build) if build else await self.serving()
        async with self.sessions() as session:
            return await store.positions(session, v)

    async def caught_up(self, seconds: float = 20, build: int | None = None) -> None:
        """Wait until the build (the serving one by default) holds every event."""

        async def holds_everything() -> bool:
            heads, positions = await self.heads(), await self.positions(build)
            return all(positions.get(s, -1) >= n for s, n in heads.items())

        await eventually(holds_everything, seconds)

    async def timeline_count(self, source: str) -> int:
        v = await self.serving()
        async with self.sessions() as session:
            query = (
                select(func.count()).select_from(v.timeline).where(v.timeline.c.source == source)
            )
            return int(await session.scalar(query) or 0)

    @contextlib.asynccontextmanager
    async def feeds(self) -> AsyncIterator[Feeds]:
        async with connected_feeds(self.settings(), "test-feeds") as feeds:
            yield feeds
