"""The outbox relay: publishes committed events from a service's log to the events exchange, in
sequence order, then marks them published.

- No dual write: it publishes only what a transaction already committed. A crash between publish
  and mark re-publishes the same events with the same sequence numbers, which a projector skips
  as duplicates. `notify()` wakes it right after a commit; the poll interval is the backstop.
- Debounced and batched: woken, it waits `settle_seconds` before reading, so the command's reply
  goes out first and the commits of a burst are relayed together: one read, one mark and the
  publishes of a batch awaited together (their confirms overlap), not two transactions and a
  broker round trip per command.
- One relay per database publishes: it holds the database's `outbox-relay` lease, renewed while
  it runs. Every worker process runs a relay for the orders database; the others stand by and
  take over within LEASE_SECONDS of the holder's death.
- It survives: a broker or database failure (declaring the exchange included) is logged and the
  relay starts over after a growing wait (tenacity), until it is cancelled.
- It skips nothing: a row that no longer parses is parked with its reason (logged as an error,
  kept in the log and reported by the feed) and the events after it go on.
- With tracing on, an event is published in the trace of the transaction that recorded it (the
  row's `trace_context`), and the message's headers carry that trace on to the projector.
"""

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid

from aio_pika import DeliveryMode, Message
from aio_pika.abc import AbstractExchange, AbstractRobustConnection
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from ordersaga.database.engine import Sessions, consistent_reader
from ordersaga.database.event_log import (
    envelope,
    mark_published,
    park,
    read_unpublished,
    unreadable,
)
from ordersaga.database.leases import hold
from ordersaga.database.messaging_tables import MessagingTables
from ordersaga.rabbitmq.topology import Topology, declare_events_exchange
from ordersaga.telemetry.tracing import resumed

log = logging.getLogger(__name__)

LEASE = "outbox-relay"
LEASE_SECONDS = 15.0
SETTLE_SECONDS = 0.01


class ChannelLost(RuntimeError):
    """The broker closed the relay's channel under it."""


class OutboxRelay:
    def __init__(
        self,
        source: str,
        sessions: Sessions,
        tables: MessagingTables,
        topology: Topology,
        poll_seconds: float = 1.0,
        batch: int = 200,
        lease_seconds: float = LEASE_SECONDS,
        settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        self._source, self._sessions, self._tables = source, sessions, tables
        self._reader = consistent_reader(sessions)
        self._topology, self._poll_seconds, self._batch = topology, poll_seconds, batch
        self._lease_seconds, self._settle_seconds = lease_seconds, settle_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._lease_until = 0.0

    def notify(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Finish the batch at hand, then return from `run` (a cancel could cut a transaction
        in half and leave SQLite's write lock to the garbage collector)."""
        self._stopping = True
        self._wake.set()

    async def run(self, connection: AbstractRobustConnection) -> None:
        """Relay until cancelled; any failure is reported and the relay starts over on a fresh
        channel (a failed declaration closes the one it was made on)."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(Exception),
            wait=wait_exponential(multiplier=0.5, max=15),
            before_sleep=lambda state: log.error(
                "%s outbox relay failed; starting over", self._source, exc_info=_error(state)
            ),
        )
        async for attempt in retrying:
            with attempt:
                await self._relay_on_a_fresh_channel(connection)

    async def _relay_on_a_fresh_channel(self, connection: AbstractRobustConnection) -> None:
        try:
            async with await connection.channel(publisher_confirms=True) as channel:
                await self._relay(await declare_events_exchange(channel, self._topology))
        except asyncio.CancelledError as error:
            # aiormq cancels what waits on a channel the broker closed (a declaration it
            # refused, say): that is a failure to report and start over from, not our stop.
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            raise ChannelLost(f"the broker closed the relay's channel: {error}") from None

    async def _relay(self, exchange: AbstractExchange) -> None:
        while not self._stopping:
            if await self._holds_lease():
                while await self.relay_once(exchange) == self._batch and not self._stopping:
                    pass
            try:
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
            except TimeoutError:
                pass
            if not self._stopping:
                await asyncio.sleep(self._settle_seconds)  # the commits of a burst join in
                self._wake.clear()

    async def _holds_lease(self) -> bool:
        """Renewed when half its time is gone, so a commit does not cost a lease write."""
        if time.time() < self._lease_until - self._lease_seconds / 2:
            return True
        until = await hold(
            self._sessions, self._tables.leases, LEASE, self.holder, self._lease_seconds
        )
        self._lease_until = until or 0.0
        return until is not None

    async def relay_once(self, exchange: AbstractExchange) -> int:
        """Publish one batch; returns how many rows it settled (published or parked). The rows
        are read without the write lock; only marking them published takes it."""
        async with self._reader() as session, session.begin():
            rows = await read_unpublished(session, self._tables, self._batch)
        sending: list[tuple[int, Message, str | None]] = []
        for row in rows:
            try:
                event = envelope(self._source, row)
            except ValidationError as error:
                await self._park(row.seq, unreadable(error))
                continue
            message = Message(
                event.model_dump_json().encode(),
                content_type="application/json",
                delivery_mode=DeliveryMode.PERSISTENT,
                message_id=f"{self._source}:{row.seq}",
                type=row.kind,
            )
            sending.append((row.seq, message, row.trace_context))
        # Sent in sequence order, their confirms awaited together; a batch that fails is
        # relayed again whole (a projector skips what it already applied).
        await asyncio.gather(*(self._publish(exchange, m, t) for _, m, t in sending))
        published = [seq for seq, _, _ in sending]
        if published:
            async with self._sessions() as session, session.begin():
                await mark_published(session, self._tables, published)
        return len(rows)

    async def _publish(
        self, exchange: AbstractExchange, message: Message, trace_context: str | None
    ) -> None:
        # Not mandatory: nobody may be bound yet; the feed, not the bus, is the truth. In the
        # trace of the transaction that recorded it (tracing on): its publish span is there.
        with resumed(trace_context):
            await exchange.publish(message, f"{self._source}.{message.type}", mandatory=False)

    async def _park(self, seq: int, reason: str) -> None:
        log.error("%s outbox relay: event %d parked: %s", self._source, seq, reason)
        async with self._sessions() as session, session.begin():
            await park(session, self._tables, seq, reason)


def _error(state: object) -> BaseException | None:
    outcome = getattr(state, "outcome", None)
    return outcome.exception() if outcome is not None else None


async def stopped(relay: OutboxRelay, running: "asyncio.Task[None]", seconds: float = 5.0) -> None:
    """Stop a running relay cleanly, cancelling it only if it does not stop in time."""
    relay.stop()
    try:
        await asyncio.wait_for(asyncio.shield(running), seconds)
    except TimeoutError:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
