"""The projector process: one active instance keeps every build up with the sources.

- Only one instance applies: it holds the `projector` lease in the read model's database and
  renews it; another waits as a standby and takes over when the lease runs out.
- Events from RabbitMQ are prompts (`Projection.advance` with the event as a hint): a message
  that fails or never comes only delays the view, because the feeds are the truth.
- A ticker checks each source's head on an interval, and when the bus goes quiet after a burst
  (a lost *last* event shows no gap), fills new builds, switches to a build once it has caught
  up, drops dropped ones, and beats the watchdog: a source behind its head whose position has
  not moved for `stuck_seconds` is reported as stuck (a quiet system is not).
"""

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable

from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from aio_pika.exceptions import DeliveryError
from pydantic import ValidationError

from ordersaga.contracts.events import EventEnvelope
from ordersaga.database.engine import Sessions, create_engine, session_factory
from ordersaga.database.leases import hold
from ordersaga.projector import catalog, store
from ordersaga.projector.feeds import Feeds
from ordersaga.projector.projection import Projection
from ordersaga.projector.views import SHAPE, SOURCES, leases, views
from ordersaga.rabbitmq.connection import connect
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import Topology, declare_events_exchange
from ordersaga.settings import ProjectorSettings

log = logging.getLogger(__name__)

LEASE = "projector"
TICK_SECONDS = 0.1


@contextlib.asynccontextmanager
async def read_model_database(url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(url)
    try:
        await catalog.create_catalog(engine)
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def run(settings: ProjectorSettings, stop: asyncio.Event) -> None:
    """Stand by until this instance holds the lease, apply while it does, until `stop`."""
    topology = Topology(settings.bus_prefix)
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    async with (
        read_model_database(settings.projector_db_url) as sessions,
        await connect(settings.rabbitmq_url, "projector") as connection,
    ):
        requests = RequestClient(connection, topology)
        await requests.start()
        feeds, waiting = Feeds(requests, topology), False
        try:
            while not stop.is_set():
                if await hold(sessions, leases, LEASE, holder, settings.lease_seconds) is None:
                    if not waiting:
                        log.info("another projector is active; standing by")
                    waiting = True
                    await _sleep(stop, settings.lease_seconds / 3)
                    continue
                waiting = False
                log.info("projector active (%s)", holder)
                await Active(sessions, feeds, topology, settings, holder).run(connection, stop)
        finally:
            await requests.close()


class Active:
    """What the lease holder runs: the live consumer, the ticker and the builders."""

    def __init__(
        self,
        sessions: Sessions,
        feeds: Feeds,
        topology: Topology,
        settings: ProjectorSettings,
        holder: str,
    ) -> None:
        self._sessions, self._feeds, self._topology = sessions, feeds, topology
        self._settings, self._holder = settings, holder
        self.projections: dict[int, Projection] = {}
        self._builders: dict[int, asyncio.Task[None]] = {}
        self._inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._last_message = self._last_check = self._lease_at = 0.0
        self._progress_at = time.time()
        self._moved: dict[tuple[int, str], tuple[int, float]] = {}

    async def run(self, connection: AbstractRobustConnection, stop: asyncio.Event) -> None:
        await self._sync_builds()
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=256)
        exchange = await declare_events_exchange(channel, self._topology)
        queue = await channel.declare_queue(
            self._topology.projector_queue, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(exchange, routing_key="#")
        tag = await queue.consume(self._inbox.put)
        tasks = [asyncio.create_task(self._apply_live()), asyncio.create_task(self._tick(stop))]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await queue.cancel(tag)
            for task in [*tasks, *self._builders.values()]:
                task.cancel()
            await asyncio.gather(*tasks, *self._builders.values(), return_exceptions=True)
            await channel.close()

    async def _apply_live(self) -> None:
        while True:
            message = await self._inbox.get()
            self._last_message = time.monotonic()
            try:
                hint = EventEnvelope.model_validate_json(message.body)
            except ValidationError as error:
                log.warning("an event message that does not parse (%s); the feed decides", error)
                await message.ack()
                continue
            for projection in list(self.projections.values()):
                try:
                    await projection.advance(hint.source, hint)
                except Exception:  # the head check catches up; the feed is the truth
                    log.exception("build %d: applying %s:%d failed",
                                  projection.build, hint.source, hint.seq)  # fmt: skip
            await message.ack()

    async def _tick(self, stop: asyncio.Event) -> None:
        """Returns on stop or when the lease is lost."""
        while not stop.is_set():
            now = time.monotonic()
            if now - self._lease_at > self._settings.lease_seconds / 3:
                if not await self._renew():
                    log.warning("the projector lease went to another instance; standing by")
                    return
            quiet = self._last_message > self._last_check and (
                now - self._last_message >= self._settings.idle_seconds
            )
            if quiet or now - self._last_check >= self._settings.head_check_seconds:
                self._last_check = now
                await self._guarded(self._check_heads())
                await self._guarded(self._sync_builds())
                await self._guarded(self._watchdog())
            await _sleep(stop, TICK_SECONDS)

    async def _renew(self) -> bool:
        s = self._settings
        until = await hold(self._sessions, leases, LEASE, self._holder, s.lease_seconds)
        self._lease_at = time.monotonic()
        return until is not None

    async def _check_heads(self) -> None:
        found: dict[str, int] = {}
        answers = await asyncio.gather(
            *(self._feeds.head(s) for s in SOURCES), return_exceptions=True
        )
        for source, answer in zip(SOURCES, answers, strict=True):
            if isinstance(answer, BaseException):
                log.debug("%s did not tell its head: %r", source, answer)
                continue
            found[source] = answer
        async with self._sessions() as session, session.begin():
            await catalog.record_heads(session, found)
        for projection in list(self.projections.values()):
            for source, head in found.items():
                projection.heads[source] = max(projection.heads.get(source, 0), head)
                if projection.filled(source) and projection.positions[source] < head:
                    await projection.advance(source)

    async def _sync_builds(self) -> None:
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

    async def _add(self, build: int) -> None:
        projection = Projection(
            self._sessions, views(build), self._feeds, self._settings.batch, self._progressed
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

    async def _progressed(self) -> None:
        self._progress_at = time.time()

    async def _watchdog(self) -> None:
        now, stuck = time.monotonic(), []
        for projection in self.projections.values():
            for source, position in projection.positions.items():
                key = (projection.build, source)
                last, since = self._moved.get(key, (-1, now))
                if position != last:
                    self._moved[key] = (position, now)
                    continue
                behind = projection.heads.get(source, 0) > position
                if behind and now - since > self._settings.stuck_seconds:
                    stuck.append(f"build {projection.build} {source} at {position}")
        if stuck:
            log.error("projector stuck: %s behind its head and not moving", "; ".join(stuck))
        async with self._sessions() as session, session.begin():
            await catalog.beat(session, self._holder, self._progress_at, "; ".join(stuck) or None)

    async def _guarded(self, work: Awaitable[None]) -> None:
        try:
            await work
        except Exception:
            log.exception("projector tick failed; the next one tries again")


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
