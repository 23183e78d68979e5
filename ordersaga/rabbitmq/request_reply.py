"""Request/reply over RabbitMQ: publish with a confirm, then await the reply correlated by id.

Each client owns one exclusive reply queue. Replies are matched on correlation_id, which for a
command is its command_id; an answer that arrives for nobody (its waiter timed out) is dropped,
and a re-sent command is answered again from the participant's stored reply.
"""

import asyncio
import uuid
from collections import defaultdict

from aio_pika import DeliveryMode, Message
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.exceptions import AMQPError, DeliveryError
from aiormq.exceptions import ChannelInvalidStateError
from pydantic import BaseModel

from ordersaga.contracts.commands import Command, OperatorCommand
from ordersaga.contracts.replies import Reply
from ordersaga.rabbitmq.topology import Topology, declare_command_queue

UNANSWERED = (TimeoutError, DeliveryError, AMQPError, ChannelInvalidStateError, ConnectionError)
"""What a request raises when nobody answered: no reply in time, no queue to route to (the
service never started), or a broker that is away. The request may still be handled later."""


class RequestClient:
    def __init__(self, connection: AbstractRobustConnection, topology: Topology) -> None:
        self._connection = connection
        self._topology = topology
        self._waiters: dict[str, list[asyncio.Future[bytes]]] = defaultdict(list)
        self._declared: set[str] = set()
        self._channel: AbstractChannel | None = None
        self._reply_queue: AbstractQueue | None = None

    async def start(self) -> None:
        # on_return_raises: a request to a queue nobody declared fails at once, not at timeout.
        self._channel = await self._connection.channel(
            publisher_confirms=True, on_return_raises=True
        )
        name = self._topology.reply_queue(uuid.uuid4().hex)
        self._reply_queue = await self._channel.declare_queue(
            name, exclusive=True, auto_delete=True
        )
        await self._reply_queue.consume(self._on_reply, no_ack=True)

    @property
    def is_closed(self) -> bool:
        """Closed, or down while the robust connection reconnects."""
        return self._connection.is_closed or not self._connection.connected.is_set()

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()

    async def send_command(
        self, service: str, command: Command | OperatorCommand, timeout: float
    ) -> Reply:
        """Send a command to a participant and wait for its reply."""
        if service not in self._declared:
            await declare_command_queue(self._require_channel(), self._topology, service)
            self._declared.add(service)
        raw = await self.request(
            self._topology.command_queue(service), command, command.command_id, timeout
        )
        return Reply.model_validate_json(raw)

    async def request(
        self, queue: str, body: BaseModel, correlation_id: str, timeout: float
    ) -> bytes:
        """Publish `body` to `queue` (confirmed, persistent) and await the correlated reply."""
        waiter: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiters[correlation_id].append(waiter)
        try:
            await self._publish(queue, body, correlation_id)
            return await asyncio.wait_for(waiter, timeout)
        finally:
            self._forget(correlation_id, waiter)

    async def _publish(self, queue: str, body: BaseModel, correlation_id: str) -> None:
        assert self._reply_queue is not None
        message = Message(
            body.model_dump_json().encode(),
            content_type="application/json",
            delivery_mode=DeliveryMode.PERSISTENT,
            correlation_id=correlation_id,
            message_id=correlation_id,
            reply_to=self._reply_queue.name,
            type=type(body).__name__,
        )
        channel = self._require_channel()
        await channel.default_exchange.publish(message, routing_key=queue, mandatory=True)

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        for waiter in self._waiters.get(message.correlation_id or "", []):
            if not waiter.done():
                waiter.set_result(message.body)

    def _forget(self, correlation_id: str, waiter: asyncio.Future[bytes]) -> None:
        waiters = self._waiters.get(correlation_id, [])
        if waiter in waiters:
            waiters.remove(waiter)
        if not waiters:
            self._waiters.pop(correlation_id, None)

    def _require_channel(self) -> AbstractChannel:
        if self._channel is None:
            raise RuntimeError("RequestClient.start() was not called")
        return self._channel
