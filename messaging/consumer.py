"""A participant's side of request/reply: consume, parse, handle, reply, then ack.

- A message that cannot be parsed goes to the service's dead-letter queue with the reason in
  its `x-death-reason` header, and is acked: it will never parse, so redelivering it is useless.
- A handler that fails (a database outage, say) nacks the message back to its queue: the
  broker's redelivery is the retry, and the quorum queue's delivery limit dead-letters a command
  that keeps failing.
- The ack comes only after the reply is published, so a crash in between redelivers the command,
  and the idempotent handler answers it again from the stored reply.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from aio_pika import DeliveryMode, Message
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from pydantic import BaseModel, ValidationError

from messaging.topology import Topology

log = logging.getLogger(__name__)

M = TypeVar("M")

Parse = Callable[[bytes], M]
Handle = Callable[[M], Awaitable[BaseModel]]


class Consumer(Generic[M]):
    def __init__(
        self,
        channel: AbstractChannel,
        topology: Topology,
        service: str,
        parse: Parse[M],
        handle: Handle[M],
    ) -> None:
        self._channel = channel
        self._topology = topology
        self._service = service
        self._parse = parse
        self._handle = handle
        self._tag: str | None = None
        self._queue: AbstractQueue | None = None

    async def start(self, queue: AbstractQueue) -> None:
        self._queue = queue
        self._tag = await queue.consume(self._on_message)

    async def stop(self) -> None:
        if self._queue is not None and self._tag is not None:
            await self._queue.cancel(self._tag)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            request = self._parse(message.body)
        except (ValidationError, ValueError) as error:
            await self._dead_letter(message, _describe(error))
            return
        try:
            reply = await self._handle(request)
        except Exception as error:
            log.warning("%s: handler failed, the broker will redeliver: %r", self._service, error)
            await message.nack(requeue=True)
            return
        await self._reply(message, reply)
        await message.ack()

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
        log.warning("%s: dead-lettering an unreadable message: %s", self._service, reason)
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


def _describe(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()
        )[:1000]
    return str(error)[:1000]
