"""A service's side of request/reply: consume, parse, handle, reply, then ack.

- A message that cannot be parsed goes to the service's dead-letter queue with the reason in
  its `x-death-reason` header, and is acked: it will never parse, so redelivering it is useless.
- A handler that fails for a reason that passes (the database is down or busy, a connection
  dropped, the loser of a race on a primary key) backs off, then nacks the message back to its
  queue: the broker's redelivery is the retry, and the wait grows with the delivery count, so a
  blip of a second costs a second instead of the queue's whole delivery limit. The quorum
  queue's delivery limit dead-letters a command that keeps failing.
- A handler that fails for any other reason (a bug, data it cannot take) would fail the same
  way every time: the message is dead-lettered at once, with the error as its reason.
- The ack comes only after the reply is published, so a crash in between redelivers the command,
  and the idempotent handler answers it again from the stored reply.
- Stopping drains: the consumer is cancelled (basic.cancel, no new deliveries), the handlers in
  flight finish for up to a bound and send their replies and acks; a handler still running
  then is cancelled, and its message, never acked, goes back to the queue when the channel
  closes. A message delivered after the cancel is not handled: it is left for redelivery too.
- Every line logged while a message is handled carries the command's (or query's) `order_id`
  and `command_id` (ordersaga/telemetry/logs.py).
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aio_pika import DeliveryMode, Message
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from aio_pika.exceptions import ChannelInvalidStateError
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ordersaga.rabbitmq.topology import Topology
from ordersaga.telemetry.logs import order_context
from ordersaga.telemetry.metrics import DEAD_LETTERS, NO_METER, Meter

log = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0
CANCEL_SECONDS = 2.0
DRAIN_SECONDS = 10.0


class Consumer:
    def __init__(
        self,
        channel: AbstractChannel,
        topology: Topology,
        service: str,
        parse: Callable[[bytes], Any],
        handle: Callable[[Any], Awaitable[BaseModel]],
        meter: Meter = NO_METER,
    ) -> None:
        self._channel, self._topology, self._service = channel, topology, service
        self._parse, self._handle, self._meter = parse, handle, meter
        self._tag: str | None = None
        self._queue: AbstractQueue | None = None
        self._stopping = asyncio.Event()
        self._in_flight: set[asyncio.Task[Any]] = set()

    async def start(self, queue: AbstractQueue) -> None:
        self._queue = queue
        self._tag = await queue.consume(self._on_message)

    async def stop(self, drain_seconds: float = DRAIN_SECONDS) -> None:
        """Stop consuming, then drain: the handlers in flight get `drain_seconds` to finish
        (reply and ack); those still running then are cancelled, their messages left unacked
        for redelivery. While the broker is away (the connection reconnecting) the consumer
        went with its channel: the cancel then only keeps the reconnect from restoring it, and
        its call to the broker fails or waits for the broker; neither may stop a shutdown."""
        self._stopping.set()
        if self._queue is not None and self._tag is not None:
            with contextlib.suppress(ChannelInvalidStateError, TimeoutError):
                await asyncio.wait_for(self._queue.cancel(self._tag), CANCEL_SECONDS)
        await self._drain(drain_seconds)

    async def _drain(self, seconds: float) -> None:
        running = set(self._in_flight)
        if not running:
            return
        log.info("%s: stopped consuming; %d message(s) in flight get up to %.0fs to finish",
                 self._service, len(running), seconds)  # fmt: skip
        _, unfinished = await asyncio.wait(running, timeout=seconds)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        log.info("%s: drained: %d finished, %d left unacked for redelivery",
                 self._service, len(running) - len(unfinished), len(unfinished))  # fmt: skip

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        if self._stopping.is_set():
            return  # delivered after the cancel: unacked, it is redelivered
        task = asyncio.current_task()
        assert task is not None
        self._in_flight.add(task)
        try:
            await self._take(message)
        finally:
            self._in_flight.discard(task)

    async def _take(self, message: AbstractIncomingMessage) -> None:
        try:
            request = self._parse(message.body)
        except (ValidationError, ValueError) as error:
            await self._dead_letter(message, _describe(error))
            return
        ids = {key: getattr(request, key, None) for key in ("order_id", "command_id")}
        with order_context(**ids):
            try:
                reply = await self._handle(request)
            except Exception as error:
                await self._failed(message, error)
                return
            await self._reply(message, reply)
            await message.ack()

    async def _failed(self, message: AbstractIncomingMessage, error: Exception) -> None:
        if not passes(error):
            log.exception("%s: handler failed, dead-lettering the message", self._service)
            await self._dead_letter(message, f"handler failed: {error!r}"[:1000])
            return
        count = (message.headers or {}).get("x-delivery-count")
        deliveries = count if isinstance(count, int) else 0
        wait = min(FIRST_BACKOFF_SECONDS * 2**deliveries, MAX_BACKOFF_SECONDS)
        log.warning(
            "%s: handler failed (%r); the broker redelivers it in %.1fs", self._service, error, wait
        )
        with contextlib.suppress(TimeoutError):  # stopping cuts the wait short
            await asyncio.wait_for(self._stopping.wait(), wait)
        await message.nack(requeue=True)

    async def _reply(self, message: AbstractIncomingMessage, reply: BaseModel) -> None:
        if not message.reply_to:
            return
        await self._channel.default_exchange.publish(
            Message(
                reply.model_dump_json().encode(),
                content_type="application/json",
                correlation_id=message.correlation_id,
                type=type(reply).__name__,
            ),
            routing_key=message.reply_to,
        )

    async def _dead_letter(self, message: AbstractIncomingMessage, reason: str) -> None:
        log.warning("%s: dead-lettering a message: %s", self._service, reason)
        self._meter.count(DEAD_LETTERS, service=self._service)
        exchange = await self._channel.get_exchange(self._topology.dead_letter_exchange)
        await exchange.publish(
            Message(
                message.body,
                content_type=message.content_type,
                delivery_mode=DeliveryMode.PERSISTENT,
                correlation_id=message.correlation_id,
                message_id=message.message_id,
                headers={"x-death-reason": reason, "x-original-queue": message.routing_key or ""},
            ),
            routing_key=self._topology.dead_letter_queue(self._service),
        )
        await message.ack()


TRANSIENT_SQLSTATES = ("08", "40", "53", "57", "55000", "55P03")
"""PostgreSQL's codes of a failure that passes: connection exceptions, serialization failures
and deadlocks, insufficient resources, operator intervention (shutdown, cannot connect now), a
database not accepting connections, a lock not available."""


def passes(error: BaseException) -> bool:
    """True for a failure that a later attempt may not meet: the database or the network."""
    if isinstance(error, DBAPIError):
        transient = OperationalError | InterfaceError | IntegrityError
        sqlstate = str(getattr(error.orig, "sqlstate", None) or "")
        return (
            error.connection_invalidated
            or isinstance(error, transient)
            or (bool(sqlstate) and sqlstate.startswith(TRANSIENT_SQLSTATES))
        )
    return isinstance(error, OSError | TimeoutError | PoolTimeout)


def _describe(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()
        )[:1000]
    return str(error)[:1000]
