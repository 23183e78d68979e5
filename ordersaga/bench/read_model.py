"""`ordersaga projector bench`: the read model's figures on this machine, against scratch sources
(the three services hosted for real, on databases and a bus prefix of their own) and a projector
running in this process (`ordersaga bench` runs the catch-up alone):

- catch-up: a backlog of N events written to the sources' logs (lost to the bus, so the feeds
  carry them), then the projector started; events per second until it holds them all;
- live lag: completed orders written at a rate, each event in its own transaction and relayed
  over RabbitMQ as the services do; per event, commit to applied in the serving build;
- lost events: one event at a time committed and never published; commit to applied;
- rebuild: a new build filled and switched to while readers read; reads that failed.
"""

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from ordersaga.bench.figures import spread
from ordersaga.bench.local_projector import Projector
from ordersaga.bench.scratch import (
    Sources,
    order_flow,
    scratch_databases,
    scratch_sources,
    write_backlog,
)
from ordersaga.contracts.views import OrderFilter
from ordersaga.database.engine import session_factory
from ordersaga.projector import catalog
from ordersaga.projector.reads import ReadModel
from ordersaga.rabbitmq.topology import Topology, delete_topology

POLL_SECONDS = 0.005


@dataclass(frozen=True)
class Options:
    events: int = 100_000
    rate: float = 20.0
    live_seconds: float = 15.0
    lost: int = 20
    readers: int = 4
    postgres_dsn: str | None = None
    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    head_check_seconds: float = 1.0


async def bench(options: Options) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    async with _scratch(options) as (sources, projector):
        figures["catch_up"] = await catch_up(options, sources, projector)
        figures["live_lag"] = await live_lag(options, sources, projector)
        figures["lost_event"] = await lost_events(options, sources, projector)
        figures["rebuild"] = await rebuild(options, sources, projector)
    backend = "postgresql" if options.postgres_dsn else "sqlite"
    figures["setup"] = {"backend": backend, "head_check_seconds": options.head_check_seconds}
    return figures


async def catch_up_only(options: Options) -> dict[str, Any]:
    """The catch-up figure alone (what `ordersaga bench` runs)."""
    async with _scratch(options) as (sources, projector):
        return await catch_up(options, sources, projector)


@contextlib.asynccontextmanager
async def _scratch(options: Options) -> AsyncIterator[tuple[Sources, "Projector"]]:
    """Scratch sources and a caught-up projector on a bus prefix of their own."""
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    try:
        async with (
            scratch_databases(options.postgres_dsn) as urls,
            scratch_sources(urls, options.rabbitmq_url, prefix) as sources,
            Projector(
                urls["projector"], prefix, options.rabbitmq_url, options.head_check_seconds
            ) as projector,
        ):
            await projector.caught_up(sources)
            yield sources, projector
    finally:
        await delete_topology(options.rabbitmq_url, Topology(prefix))


async def catch_up(options: Options, sources: Sources, projector: Projector) -> dict[str, Any]:
    await projector.stop()
    written = await write_backlog(sources, options.events)
    started = time.monotonic()
    await projector.start()
    await projector.caught_up(sources)
    seconds = time.monotonic() - started
    return {"events": written, "seconds": round(seconds, 2),
            "events_per_second": round(written / seconds)}  # fmt: skip


async def live_lag(options: Options, sources: Sources, projector: Projector) -> dict[str, Any]:
    """Orders at `rate` per second for `live_seconds`; every event's commit-to-applied time."""
    committed: list[tuple[str, int, float]] = []

    async def one_order(n: int) -> None:
        for source, event in order_flow(f"live-{uuid.uuid4().hex[:8]}-{n}"):
            seq = await sources.append(source, [event])
            committed.append((source, seq, time.monotonic()))

    orders, tasks, started = int(options.rate * options.live_seconds), [], time.monotonic()
    async with _watching(projector) as applied_at:
        for n in range(orders):
            await asyncio.sleep(max(0.0, started + n / options.rate - time.monotonic()))
            tasks.append(asyncio.create_task(one_order(n)))
        await asyncio.gather(*tasks)
        await projector.caught_up(sources)
    lags = [applied_at[(s, seq)] - at for s, seq, at in committed]
    return {"orders": orders, "events": len(committed),
            "orders_per_second": options.rate, **spread(lags)}  # fmt: skip


async def lost_events(options: Options, sources: Sources, projector: Projector) -> dict[str, Any]:
    """One event at a time, never published: found by a head check, not a gap."""
    delays: list[float] = []
    for n in range(options.lost):
        source, event = random.choice(order_flow(f"lost-{uuid.uuid4().hex[:8]}-{n}")[:3])
        seq = await sources.append(source, [event], lost=True)
        at = time.monotonic()
        while (await projector.positions()).get(source, 0) < seq:
            await asyncio.sleep(POLL_SECONDS)
        delays.append(time.monotonic() - at)
        await asyncio.sleep(random.uniform(0.05, 0.3))
    return spread(delays)


async def rebuild(options: Options, sources: Sources, projector: Projector) -> dict[str, Any]:
    read_model, failures, reads = ReadModel(session_factory(projector.reader)), [], [0]
    done = asyncio.Event()

    async def reader() -> None:
        while not done.is_set():
            try:
                await read_model.products()
                await read_model.orders(OrderFilter(limit=20))
                reads[0] += 1
            except Exception as error:  # noqa: BLE001 - a failed read is the figure
                failures.append(repr(error))

    readers = [asyncio.create_task(reader()) for _ in range(options.readers)]
    started = time.monotonic()
    async with session_factory(projector.writer)() as session, session.begin():
        build = await catalog.request_build(session)
    while (await _serving(projector)) != build:
        await asyncio.sleep(0.05)
    switched = time.monotonic() - started
    await projector.caught_up(sources, build)
    await asyncio.sleep(1.0)  # reads go on after the switch
    done.set()
    await asyncio.gather(*readers)
    first = failures[0] if failures else None
    return {"build": build, "seconds_to_switch": round(switched, 2), "reads": reads[0],
            "failed_reads": len(failures), "first_failure": first}  # fmt: skip


async def _serving(projector: Projector) -> int | None:
    async with session_factory(projector.reader)() as session:
        return await catalog.serving_build(session)


@contextlib.asynccontextmanager
async def _watching(projector: Projector) -> AsyncIterator[dict[tuple[str, int], float]]:
    """When each position of each source was first seen applied in the serving build."""
    applied_at: dict[tuple[str, int], float] = {}
    last = dict(await projector.positions())
    stop = asyncio.Event()

    async def watch() -> None:
        while not stop.is_set():
            now, positions = time.monotonic(), await projector.positions()
            for source, seq in positions.items():
                for n in range(last.get(source, 0) + 1, seq + 1):
                    applied_at[(source, n)] = now
                last[source] = max(seq, last.get(source, 0))
            await asyncio.sleep(POLL_SECONDS)

    watcher = asyncio.create_task(watch())
    try:
        yield applied_at
    finally:
        await asyncio.sleep(0.05)
        stop.set()
        await watcher
