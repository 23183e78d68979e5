"""The services' dead-letter queues as an operator handles them: list, show, redrive, drop.

Every operation holds a snapshot of one dead-letter queue: basic.get without ack until the queue
answers empty (or a deadline or a size limit is reached), so no message is taken twice. It acts
on the messages it selected and, only at the end, nacks every other one back (requeue) to its
place: a listing leaves the queue as it was, order included. A channel that dies meanwhile gives
the broker every unacked message back by itself.

A redriven message is published back to its service's command queue (persistent, confirmed, its
message id, correlation id and reply-to kept, its death headers dropped) and acked off the
dead-letter queue only after the broker's confirm. A crash in between leaves it in both queues,
which is harmless: a participant handles a command once by its command_id, so a command already
handled is answered from the stored reply and changes nothing.
"""

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aio_pika import DeliveryMode, Message
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aiormq.exceptions import AMQPError, ChannelInvalidStateError

from ordersaga.rabbitmq.topology import (
    PARTICIPANTS,
    Topology,
    declare_command_queue,
    declare_dead_letter_queue,
)

log = logging.getLogger(__name__)

SERVICES = PARTICIPANTS
READ_SECONDS = 30.0
READ_LIMIT = 10_000
DEATH_HEADERS = ("x-death", "x-death-reason", "x-original-queue", "x-delivery-count")
DEATH_PREFIXES = ("x-first-death-", "x-last-death-")

Announce = Callable[["DeadLetter"], None]


class NotFound(LookupError):
    """No dead letter with this message id in the service's dead-letter queue."""

    def __init__(self, message_id: str, queue: str) -> None:
        super().__init__(f"no dead letter {message_id!r} in {queue}")


@dataclass(frozen=True)
class DeadLetter:
    service: str
    message_id: str
    """The message's own id (a command's is its command_id); `body-<hash>` if it has none."""
    reason: str
    original_queue: str
    kind: str | None
    """The JSON body's "kind" (the command's type), if the body parses."""
    body: bytes
    correlation_id: str | None = None
    reply_to: str | None = None
    content_type: str | None = None
    headers: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def describe(service: str, message: AbstractIncomingMessage) -> DeadLetter:
    """What a dead letter is and why it died: the consumer's headers, else RabbitMQ's."""
    headers = dict(message.headers or {})
    reason, original_queue = _death(headers)
    digest = hashlib.sha256(message.body).hexdigest()[:12]
    return DeadLetter(
        service=service,
        message_id=message.message_id or f"body-{digest}",
        reason=reason,
        original_queue=original_queue,
        kind=_kind(message.body),
        body=message.body,
        correlation_id=message.correlation_id,
        reply_to=message.reply_to,
        content_type=message.content_type,
        headers=headers,
    )


class DeadLetters:
    def __init__(
        self,
        connection: AbstractRobustConnection,
        topology: Topology,
        services: Sequence[str] = SERVICES,
        read_seconds: float = READ_SECONDS,
        read_limit: int = READ_LIMIT,
    ) -> None:
        self._connection, self._topology, self.services = connection, topology, tuple(services)
        self._read_seconds, self._read_limit = read_seconds, read_limit

    async def list(self, services: Sequence[str] | None = None) -> tuple[DeadLetter, ...]:
        """Every dead letter of each service, in queue order; the queues stay as they were."""
        found: tuple[DeadLetter, ...] = ()
        for service in services or self.services:
            async with self._holding(service) as snapshot:
                found += tuple(held.letter for held in snapshot.held)
        return found

    async def show(self, service: str, message_id: str) -> DeadLetter:
        async with self._holding(service) as snapshot:
            return snapshot.select(message_id)[0].letter

    async def redrive(
        self, service: str, message_id: str | None, announce: Announce = lambda _: None
    ) -> tuple[DeadLetter, ...]:
        """Send the message (None: every one) back to the service's command queue, then ack it
        off the dead-letter queue."""
        async with self._holding(service, redrive=True) as snapshot:
            chosen = snapshot.select(message_id)
            for held in chosen:
                announce(held.letter)
                await snapshot.channel.default_exchange.publish(
                    _redriven(held.message),
                    routing_key=self._topology.command_queue(service),
                    mandatory=True,
                )
                await held.message.ack()
            return tuple(held.letter for held in chosen)

    async def drop(
        self, service: str, message_id: str | None, announce: Announce = lambda _: None
    ) -> tuple[DeadLetter, ...]:
        """Ack the message (None: every one) off the dead-letter queue: gone for good."""
        async with self._holding(service) as snapshot:
            chosen = snapshot.select(message_id)
            for held in chosen:
                announce(held.letter)
                await held.message.ack()
            return tuple(held.letter for held in chosen)

    @contextlib.asynccontextmanager
    async def _holding(self, service: str, redrive: bool = False) -> AsyncIterator["_Snapshot"]:
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        try:
            if redrive:  # the command queue must exist, declared as its participant declares it
                await declare_command_queue(channel, self._topology, service)
            queue = await declare_dead_letter_queue(channel, self._topology, service)
            snapshot = _Snapshot(service, channel, queue)
            try:
                await snapshot.read(self._read_seconds, self._read_limit)
                yield snapshot
            finally:
                await snapshot.release()
        finally:
            if not channel.is_closed:
                await channel.close()


@dataclass(frozen=True)
class _Held:
    message: AbstractIncomingMessage
    letter: DeadLetter


@dataclass
class _Snapshot:
    """A dead-letter queue's messages, held unacked on a channel of their own."""

    service: str
    channel: AbstractChannel
    queue: AbstractQueue
    held: list[_Held] = field(default_factory=list)

    async def read(self, seconds: float, limit: int) -> None:
        # basic.get without a client timeout: cancelling it mid-RPC can wedge the channel.
        deadline = time.monotonic() + seconds
        while len(self.held) < limit and time.monotonic() < deadline:
            message = await self.queue.get(no_ack=False, fail=False, timeout=None)
            if message is None:
                return
            self.held.append(_Held(message, describe(self.service, message)))
        log.warning("%s: read only the first %d dead letters", self.queue.name, len(self.held))

    def select(self, message_id: str | None) -> list[_Held]:
        """Every held message with this id (None: all); NotFound if there is none."""
        if message_id is None:
            return list(self.held)
        chosen = [held for held in self.held if held.letter.message_id == message_id]
        if not chosen:
            raise NotFound(message_id, self.queue.name)
        return chosen

    async def release(self) -> None:
        """Nack every message not acked back to its place in the queue."""
        try:
            for held in self.held:
                if not held.message.processed:
                    await held.message.nack(requeue=True)
        except (AMQPError, ChannelInvalidStateError):
            log.warning("%s: the channel closed; the broker requeued the rest", self.queue.name)


def _redriven(message: AbstractIncomingMessage) -> Message:
    headers = {
        key: value
        for key, value in (message.headers or {}).items()
        if key not in DEATH_HEADERS and not key.startswith(DEATH_PREFIXES)
    }
    return Message(
        message.body,
        headers=headers,
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        delivery_mode=DeliveryMode.PERSISTENT,
        correlation_id=message.correlation_id,
        message_id=message.message_id,
        reply_to=message.reply_to,
        type=message.type,
    )


def _death(headers: Mapping[str, Any]) -> tuple[str, str]:
    """(reason, original queue): the consumer's headers, else RabbitMQ's latest x-death."""
    if "x-death-reason" in headers:
        return _text(headers["x-death-reason"]), _text(headers.get("x-original-queue", ""))
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], Mapping):
        death = deaths[0]
        queue = _text(death.get("queue", ""))
        reason = _text(death.get("reason", "unknown"))
        return f"{reason} (by the broker, {death.get('count', '?')}x from {queue})", queue
    return "unknown (no death headers)", ""


def _kind(body: bytes) -> str | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    kind = parsed.get("kind") if isinstance(parsed, dict) else None
    return kind if isinstance(kind, str) else None


def _text(value: object) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
