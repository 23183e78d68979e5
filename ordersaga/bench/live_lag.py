"""The read model's lag while sagas run: for each event the services committed during a phase,
the time from its commit (`occurred_at` in its source's feed) to the moment the running
projector's serving build held it (its position seen past the event's sequence number).

The positions are polled from the projector's database every `POLL_SECONDS`, as a reader of the
read model would see them; the events' commit times come from the sources' feeds over RabbitMQ,
read after the phase (the projector's own way of reading them).
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.exc import DBAPIError

from ordersaga.bench.figures import spread
from ordersaga.database.engine import create_reader, session_factory
from ordersaga.projector import catalog, store
from ordersaga.projector.feeds import Feeds
from ordersaga.projector.views import views
from ordersaga.rabbitmq.connection import connect
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import SOURCES, Topology

POLL_SECONDS = 0.025
PAGE = 5000


class LagWatch:
    def __init__(self, projector_db_url: str) -> None:
        self._reader = create_reader(projector_db_url)
        self.applied_at: dict[tuple[str, int], float] = {}
        self.started_at: dict[str, int] = {}

    async def positions(self) -> dict[str, int]:
        try:
            async with session_factory(self._reader)() as session:
                build = await catalog.serving_build(session)
                return {} if build is None else await store.positions(session, views(build))
        except DBAPIError:  # the projector is between transactions of its first build
            return {}

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        last = dict(await self.positions())
        self.started_at = dict(last)
        stop = asyncio.Event()

        async def watch() -> None:
            while not stop.is_set():
                now, seen = time.time(), await self.positions()
                for source, seq in seen.items():
                    for n in range(last.get(source, 0) + 1, seq + 1):
                        self.applied_at[(source, n)] = now
                    last[source] = max(seq, last.get(source, 0))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), POLL_SECONDS)

        watcher = asyncio.create_task(watch())
        try:
            yield
        finally:
            stop.set()
            await watcher

    async def caught_up(self, heads: dict[str, int], seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            seen = await self.positions()
            if all(seen.get(source, 0) >= head for source, head in heads.items()):
                return
            await asyncio.sleep(POLL_SECONDS)

    async def close(self) -> None:
        await self._reader.dispose()


async def lag_figures(watch: LagWatch, rabbitmq_url: str, prefix: str) -> dict[str, Any]:
    """Commit-to-view lag of every event committed while `watch` was watching."""
    topology = Topology(prefix)
    async with await connect(rabbitmq_url, "bench-feeds") as connection:
        requests = RequestClient(connection, topology)
        await requests.start()
        try:
            feeds = Feeds(requests, topology)
            heads = {source: await feeds.head(source) for source in SOURCES}
            await watch.caught_up(heads)
            lags: list[float] = []
            for source in SOURCES:
                after = watch.started_at.get(source, 0)
                while after < heads[source]:
                    page = await feeds.page(source, after, PAGE)
                    if not page.events:
                        break
                    for envelope in page.events:
                        applied = watch.applied_at.get((source, envelope.seq))
                        if applied is not None:
                            lags.append(max(0.0, applied - envelope.occurred_at.timestamp()))
                    after = page.events[-1].seq
        finally:
            await requests.close()
    return spread(lags)
