"""A hand-fed payment service: a test takes payment's commands from the queue one at a time and
decides when each is handled. Handling is the host's own (exactly once, the real rules); only
the timing is the test's."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aio_pika import Message, connect
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue

from ordersaga.database.messaging_tables import messaging_tables
from ordersaga.database.migrated import migrated_database
from ordersaga.services.host.commands import Commands
from ordersaga.services.payment.service import PAYMENT
from tests.support.system import SagaSystem


@contextlib.asynccontextmanager
async def manual_payment(system: SagaSystem) -> AsyncIterator["ManualPayment"]:
    """Stand in for the (stopped) payment service on its own database and queue."""
    async with (
        migrated_database(system.urls["payment"], PAYMENT.migrations) as sessions,
        await connect(system.urls["rabbitmq"]) as connection,
    ):
        channel = await connection.channel()
        queue = await channel.get_queue(system.topology.command_queue("payment"))
        commands = Commands(PAYMENT, sessions, messaging_tables(PAYMENT.tables))
        yield ManualPayment(commands, channel, queue)


@dataclass
class ManualPayment:
    commands: Commands
    channel: AbstractChannel
    queue: AbstractQueue

    async def next_message(self, seconds: float = 10) -> AbstractIncomingMessage:
        # A deadline, not asyncio.timeout: cancelling a basic.get half-way can wedge aiormq.
        deadline = asyncio.get_running_loop().time() + seconds
        while (message := await self.queue.get(no_ack=False, fail=False)) is None:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no payment command within {seconds}s")
            await asyncio.sleep(0.05)
        return message

    async def handle(self, message: AbstractIncomingMessage) -> str:
        """Handle it as the service would, reply, ack; returns the command's kind."""
        command = self.commands.parse(message.body)
        reply = await self.commands.handle(command)
        if message.reply_to is None:
            raise ValueError(f"{command.kind} {command.command_id} has no reply_to")
        await self.channel.default_exchange.publish(
            Message(reply.model_dump_json().encode(), correlation_id=message.correlation_id),
            routing_key=message.reply_to,
        )
        await message.ack()
        return str(command.kind)
