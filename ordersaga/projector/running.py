"""The projector process: one active instance keeps every build up with the sources.

- Only one instance applies: it holds the `projector` lease in the read model's database and
  renews it; another waits as a standby and takes over when the lease runs out.
- Events from RabbitMQ are prompts (`Projection.advance` with the event as a hint): a message
  that fails or never comes only delays the view, because the feeds are the truth.
- A ticker checks each source's head on an interval, and when the bus goes quiet after a burst
  (a lost *last* event shows no gap), keeps the builds in step with the catalog (builds.py),
  and beats the watchdog: a source behind its head whose position has not moved for
  `stuck_seconds` is reported as stuck (a quiet system is not).
"""

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from aio_pika.exceptions import ChannelInvalidStateError
from pydantic import ValidationError

from ordersaga.contracts.events import EventEnvelope
from ordersaga.database.engine import Sessions, create_engine, dispose, session_factory
from ordersaga.database.leases import hold, release
from ordersaga.projector import catalog
from ordersaga.projector.builds import Builds
from ordersaga.projector.feeds import Feeds
from ordersaga.projector.views import leases
from ordersaga.rabbitmq.connection import connect
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import SOURCES, Topology, declare_events_exchange
from ordersaga.settings import ProjectorSettings
from ordersaga.telemetry.tracing import span_of_messages

log = logging.getLogger(__name__)

LEASE = "projector"
TICK_SECONDS = 0.1
LIVE_BATCH = 500
STOP_SECONDS = 10.0


@contextlib.asynccontextmanager
async def read_model_database(url: str) -> AsyncIterator[Sessions]:
    # Not synced on every commit: the views and their positions are derived from the sources'
    # logs, so losing the last commits to a power cut only means applying them again.
    engine = create_engine(url, durable=False)
    try:
        await catalog.create_catalog(engine)
        yield session_factory(engine)
    finally:
        await dispose(engine)


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
            await release(sessions, leases, LEASE, holder)


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
        self.builds = Builds(sessions, feeds, settings.batch, self._progressed)
        self._inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._last_message = self._last_check = self._lease_at = 0.0
        self._progress_at = time.time()
        self._moved: dict[tuple[int, str], tuple[int, float]] = {}

    async def run(self, connection: AbstractRobustConnection, stop: asyncio.Event) -> None:
        await self.builds.sync()
        await connection.ready()  # it may be reconnecting as this instance takes over
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
            # With the broker away the consumer went with its channel; do not wait for it.
            with contextlib.suppress(ChannelInvalidStateError, TimeoutError):
                await asyncio.wait_for(queue.cancel(tag), STOP_SECONDS / 5)
            async with self._between_transactions():
                tasks += self.builds.stop()
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(ChannelInvalidStateError, TimeoutError):
                await asyncio.wait_for(channel.close(), STOP_SECONDS / 5)

    @contextlib.asynccontextmanager
    async def _between_transactions(self) -> AsyncIterator[None]:
        """Hold every source lock of every build, so no task is cancelled mid-transaction (on
        SQLite that would leave the write lock to the garbage collector); give up waiting after
        STOP_SECONDS."""
        async with contextlib.AsyncExitStack() as held:
            locks = [lock for p in self.builds.projections.values() for lock in p.locks]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(STOP_SECONDS):
                    for lock in locks:
                        await held.enter_async_context(lock)
            yield

    async def _apply_live(self) -> None:
        """Apply the events at hand: one at a time when they trickle in, every one queued (per
        source, in one transaction) when they come faster than a transaction. With tracing on,
        each apply is a span in the trace of the events' messages."""
        while True:
            messages = [await self._inbox.get()]
            while not self._inbox.empty() and len(messages) < LIVE_BATCH:
                messages.append(self._inbox.get_nowait())
            self._last_message = time.monotonic()
            hints: dict[str, list[EventEnvelope]] = {}
            headers: dict[str, list[dict[str, Any] | None]] = {}  # their trace contexts
            for message in messages:
                try:
                    hint = EventEnvelope.model_validate_json(message.body)
                except ValidationError as error:
                    log.warning("an event message that does not parse (%s); the feed decides",
                                error)  # fmt: skip
                    continue
                hints.setdefault(hint.source, []).append(hint)
                headers.setdefault(hint.source, []).append(message.headers)
            for projection in list(self.builds.projections.values()):
                for source, events in hints.items():
                    try:
                        with span_of_messages(f"projector apply {source}", headers[source],
                                              {"ordersaga.build": projection.build}):  # fmt: skip
                            await projection.advance(source, *events)
                    except Exception:  # the head check catches up; the feed is the truth
                        log.exception("build %d: applying %s events failed",
                                      projection.build, source)  # fmt: skip
            # One ack per channel: messages come in delivery order, the last tag covers the rest.
            for last in {id(message.channel): message for message in messages}.values():
                await last.ack(multiple=True)

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
                await self._guarded(self.builds.sync())
                await self._guarded(self._watchdog())
            await _sleep(stop, TICK_SECONDS)

    async def _renew(self) -> bool:
        s = self._settings
        until = await hold(self._sessions, leases, LEASE, self._holder, s.lease_seconds)
        self._lease_at = time.monotonic()
        return until is not None

    async def _check_heads(self) -> None:
        found: dict[str, int] = {}
        answers = await asyncio.gather(*map(self._feeds.head, SOURCES), return_exceptions=True)
        for source, answer in zip(SOURCES, answers, strict=True):
            if isinstance(answer, BaseException):
                log.debug("%s did not tell its head: %r", source, answer)
                continue
            found[source] = answer
        async with self._sessions() as session, session.begin():
            await catalog.record_heads(session, found)
        for projection in list(self.builds.projections.values()):
            for source, head in found.items():
                projection.heads[source] = max(projection.heads.get(source, 0), head)
                if projection.filled(source) and projection.positions[source] < head:
                    await projection.advance(source)

    async def _progressed(self) -> None:
        self._progress_at = time.time()

    async def _watchdog(self) -> None:
        now, stuck = time.monotonic(), []
        for projection in self.builds.projections.values():
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
