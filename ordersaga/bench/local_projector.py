"""The projector of the read model's benchmark, run as a task in the benchmark's process and
started and stopped by its phases; and the sources' heads it catches up to."""

import asyncio

from sqlalchemy.exc import DBAPIError

from ordersaga.bench.scratch import SERVICES, Sources
from ordersaga.database.engine import create_engine, create_reader, session_factory
from ordersaga.database.event_log import head
from ordersaga.database.messaging_tables import messaging_tables
from ordersaga.projector import catalog, store
from ordersaga.projector.running import run
from ordersaga.projector.views import views
from ordersaga.settings import ProjectorSettings


class Projector:
    """The projector in this process, started and stopped by the phases."""

    def __init__(self, url: str, prefix: str, rabbitmq_url: str, head_check_seconds: float) -> None:
        self.settings = ProjectorSettings(
            projector_db_url=url, rabbitmq_url=rabbitmq_url, bus_prefix=prefix,
            head_check_seconds=head_check_seconds,
        )  # fmt: skip
        self.reader = create_reader(url)
        self.writer = create_engine(url)
        self._running: tuple[asyncio.Task[None], asyncio.Event] | None = None

    async def __aenter__(self) -> "Projector":
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
        await self.reader.dispose()
        await self.writer.dispose()

    async def start(self) -> None:
        stop = asyncio.Event()
        self._running = (asyncio.create_task(run(self.settings, stop)), stop)

    async def stop(self) -> None:
        if self._running is not None:
            task, stop = self._running
            stop.set()
            await task
            self._running = None

    async def positions(self, build: int | None = None) -> dict[str, int]:
        try:
            async with session_factory(self.reader)() as session:
                number = build or await catalog.serving_build(session)
                return {} if number is None else await store.positions(session, views(number))
        except DBAPIError:  # the projector has not created its tables yet
            return {}

    async def caught_up(self, sources: Sources, build: int | None = None) -> None:
        heads = await source_heads(sources)
        while True:
            positions = await self.positions(build)
            if all(positions.get(s, -1) >= n for s, n in heads.items()):
                return
            await asyncio.sleep(0.05)


async def source_heads(sources: Sources) -> dict[str, int]:
    found = {}
    for name, hosted in sources.hosted.items():
        async with hosted.sessions() as session:
            found[name] = await head(session, messaging_tables(SERVICES[name].tables))
    return found
