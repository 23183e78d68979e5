"""The whole saga on real parts: a Temporal dev server, RabbitMQ, the real worker and the real
inventory and payment consumers (in-process), each with its own database."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle

import inventory.service
import payment.service
import worker
from contracts.orders import OrderLine, OrderStatus
from contracts.saga import PlaceOrder, SagaState, SagaTimeouts
from inventory.models import Reservation, StockItem
from messaging.participant import RunningParticipant
from messaging.topology import Topology
from payment.models import Account, Authorization
from settings.participant import InventorySettings, PaymentSettings
from settings.worker import WorkerSettings
from workflows.order_saga import OrderSaga

FAST = SagaTimeouts(step_seconds=4, attempt_seconds=1, compensation_seconds=30)


@dataclass
class SagaSystem:
    client: Client
    topology: Topology
    urls: dict[str, str]
    task_queue: str = field(default_factory=lambda: f"saga-{uuid.uuid4().hex[:8]}")
    _participants: dict[str, contextlib.AsyncExitStack] = field(default_factory=dict)
    _running: dict[str, RunningParticipant] = field(default_factory=dict)

    async def start_participant(self, name: str) -> None:
        stack = contextlib.AsyncExitStack()
        common: dict[str, Any] = {
            "rabbitmq_url": self.urls["rabbitmq"],
            "bus_prefix": self.topology.prefix,
        }
        if name == "inventory":
            settings_i = InventorySettings(inventory_db_url=self.urls["inventory"], **common)
            self._running[name] = await stack.enter_async_context(
                inventory.service.running(settings_i)
            )
        else:
            settings_p = PaymentSettings(payment_db_url=self.urls["payment"], **common)
            self._running[name] = await stack.enter_async_context(
                payment.service.running(settings_p)
            )
        self._participants[name] = stack

    async def stop_participant(self, name: str) -> None:
        await self._participants.pop(name).aclose()

    async def start_order(
        self,
        customer: str = "alice",
        items: dict[str, int] | None = None,
        timeouts: SagaTimeouts = FAST,
        payment_method: str = "card-4242",
    ) -> WorkflowHandle[OrderSaga, SagaState]:
        order = PlaceOrder(
            order_id=uuid.uuid4().hex,
            customer_id=customer,
            payment_method=payment_method,
            items=[OrderLine(sku=s, quantity=q) for s, q in (items or {"SKU-42": 2}).items()],
            timeouts=timeouts,
        )
        return await self.client.start_workflow(
            OrderSaga.run, order, id=f"order-{order.order_id}", task_queue=self.task_queue
        )

    async def place(self, **kwargs: Any) -> SagaState:
        handle = await self.start_order(**kwargs)
        return await handle.result()

    async def stock(self, sku: str) -> StockItem:
        async with self._running["inventory"].sessions() as session:
            item = await session.get(StockItem, sku)
            assert item is not None
            return item

    async def reservation(self, order_id: str) -> Reservation | None:
        async with self._running["inventory"].sessions() as session:
            return await session.get(Reservation, order_id)

    async def account(self, customer: str) -> Account:
        async with self._running["payment"].sessions() as session:
            account = await session.get(Account, customer)
            assert account is not None
            return account

    async def authorization(self, order_id: str) -> Authorization | None:
        async with self._running["payment"].sessions() as session:
            return await session.get(Authorization, order_id)

    async def events(self, service: str) -> list[str]:
        module = inventory if service == "inventory" else payment
        tables = module.models.TABLES
        async with self._running[service].sessions() as session:
            rows = await session.execute(select(tables.events.c.kind).order_by(tables.events.c.seq))
            return [row.kind for row in rows]


@contextlib.asynccontextmanager
async def saga_system(
    client: Client, topology: Topology, urls: dict[str, str]
) -> AsyncIterator[SagaSystem]:
    system = SagaSystem(client, topology, urls)
    await system.start_participant("inventory")
    await system.start_participant("payment")
    settings = WorkerSettings(
        orders_db_url=urls["orders"],
        rabbitmq_url=urls["rabbitmq"],
        bus_prefix=topology.prefix,
        task_queue=system.task_queue,
        graceful_shutdown_seconds=0,
    )
    try:
        async with worker.running(settings, client=client):
            yield system
    finally:
        for name in list(system._participants):
            await system.stop_participant(name)


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 20) -> None:
    """Poll `check` until it holds; for state that settles asynchronously."""
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.1)


async def status_of(handle: WorkflowHandle[OrderSaga, SagaState]) -> OrderStatus:
    return (await handle.query(OrderSaga.state)).status


@contextlib.asynccontextmanager
async def manual_payment(system: SagaSystem) -> AsyncIterator["ManualParticipant"]:
    """Stand in for the payment consumer, so a test decides when each command is handled."""
    from aio_pika import connect

    connection = await connect(system.urls["rabbitmq"])
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(system.topology.command_queue("payment"))
        yield ManualParticipant(system, channel, queue)


@dataclass
class ManualParticipant:
    system: SagaSystem
    channel: Any
    queue: Any

    async def next_message(self, seconds: float = 10) -> Any:
        async with asyncio.timeout(seconds):
            while (message := await self.queue.get(no_ack=False, fail=False)) is None:
                await asyncio.sleep(0.05)
        return message

    async def handle(self, message: Any) -> None:
        """Handle it with the real payment rules and reply, as the consumer would."""
        from aio_pika import Message
        from pydantic import TypeAdapter

        from contracts.commands import PaymentCommand
        from payment.handlers import handle_command

        command = TypeAdapter(PaymentCommand).validate_json(message.body)
        reply = await handle_command(self.system._running["payment"].sessions, command)
        await self.channel.default_exchange.publish(
            Message(reply.model_dump_json().encode(), correlation_id=message.correlation_id),
            routing_key=message.reply_to,
        )
        await message.ack()
