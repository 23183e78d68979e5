"""The whole saga on real parts, for tests and for recording histories: a Temporal dev server,
the real worker and the real inventory and payment services in-process (each its own database),
and a bus prefix of its own on RabbitMQ whose queues and exchanges are deleted afterwards.

Tests and scenarios stop and start services, place orders, and look into each service's
database through its own models.
"""

import contextlib
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

import worker
from ordersaga import temporal
from ordersaga.contracts.orders import OrderLine, OrderStatus
from ordersaga.contracts.saga import PlaceOrder, SagaState, SagaTimeouts
from ordersaga.database.engine import Sessions, create_engine, session_factory
from ordersaga.database.messaging_tables import messaging_tables
from ordersaga.rabbitmq.topology import Topology, delete_topology
from ordersaga.services.host.hosting import Hosted, hosting
from ordersaga.services.inventory.models import Reservation, StockItem
from ordersaga.services.inventory.service import INVENTORY
from ordersaga.services.orders.models import Base as OrdersBase
from ordersaga.services.orders.models import Order
from ordersaga.services.payment.models import Account, Authorization
from ordersaga.services.payment.service import PAYMENT
from ordersaga.settings import ServiceSettings, WorkerSettings
from tests.support.waiting import eventually
from workflows.order_saga import OrderSaga

FAST = SagaTimeouts(step_seconds=4, attempt_seconds=1, compensation_seconds=30)
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
SERVICES = {"inventory": INVENTORY, "payment": PAYMENT}

SagaHandle = WorkflowHandle[OrderSaga, SagaState]
M = TypeVar("M")


@dataclass
class SagaSystem:
    client: Client
    topology: Topology
    urls: dict[str, str]
    task_queue: str = field(default_factory=lambda: f"saga-{uuid.uuid4().hex[:8]}")
    running: dict[str, Hosted] = field(default_factory=dict)
    _stacks: dict[str, contextlib.AsyncExitStack] = field(default_factory=dict)
    _readers: dict[str, AsyncEngine] = field(default_factory=dict)

    async def start_participant(self, name: str) -> None:
        stack = contextlib.AsyncExitStack()
        settings = ServiceSettings(
            rabbitmq_url=self.urls["rabbitmq"],
            bus_prefix=self.topology.prefix,
            inventory_db_url=self.urls.get("inventory", ""),
            payment_db_url=self.urls.get("payment", ""),
        )
        self.running[name] = await stack.enter_async_context(hosting(SERVICES[name], settings))
        self._stacks[name] = stack

    async def stop_participant(self, name: str) -> None:
        await self._stacks.pop(name).aclose()
        del self.running[name]

    async def stop_all(self) -> None:
        for name in list(self._stacks):
            await self.stop_participant(name)
        for engine in self._readers.values():
            await engine.dispose()
        self._readers.clear()

    def worker_settings(self, **changes: Any) -> WorkerSettings:
        return WorkerSettings(
            orders_db_url=self.urls["orders"],
            rabbitmq_url=self.urls["rabbitmq"],
            bus_prefix=self.topology.prefix,
            task_queue=self.task_queue,
            graceful_shutdown_seconds=0,
            **changes,
        )

    async def start_order(
        self,
        order_id: str | None = None,
        customer: str = "alice",
        items: dict[str, int] | None = None,
        timeouts: SagaTimeouts = FAST,
    ) -> SagaHandle:
        order = PlaceOrder(
            order_id=order_id or uuid.uuid4().hex,
            customer_id=customer,
            payment_method="card-4242",
            items=[OrderLine(sku=s, quantity=q) for s, q in (items or {"SKU-42": 2}).items()],
            timeouts=timeouts,
        )
        return await self.client.start_workflow(
            OrderSaga.run,
            order,
            id=temporal.workflow_id(order.order_id),
            task_queue=self.task_queue,
        )

    async def place(self, **kwargs: Any) -> SagaState:
        return await (await self.start_order(**kwargs)).result()

    async def forget(self, handle: WorkflowHandle[Any, Any]) -> None:
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

    async def stock(self, sku: str) -> StockItem:
        item = await self._get("inventory", StockItem, sku)
        assert item is not None
        return item

    async def reservation(self, order_id: str) -> Reservation | None:
        return await self._get("inventory", Reservation, order_id)

    async def account(self, customer: str) -> Account:
        account = await self._get("payment", Account, customer)
        assert account is not None
        return account

    async def authorization(self, order_id: str) -> Authorization | None:
        return await self._get("payment", Authorization, order_id)

    async def reservation_status(self, order_id: str) -> str | None:
        reservation = await self.reservation(order_id)
        return None if reservation is None else reservation.status

    async def authorization_status(self, order_id: str) -> str | None:
        authorization = await self.authorization(order_id)
        return None if authorization is None else authorization.status

    async def order_status(self, order_id: str) -> str | None:
        """The order's row in the orders database, as the worker wrote it."""
        order = await self._get("orders", Order, order_id)
        return None if order is None else order.status

    async def events(self, service: str) -> list[str]:
        """The kinds of the service's events, in sequence order."""
        metadata = OrdersBase.metadata if service == "orders" else SERVICES[service].tables
        events = messaging_tables(metadata).events
        async with self._sessions(service)() as session:
            rows = await session.execute(select(events.c.kind).order_by(events.c.seq))
            return [row.kind for row in rows]

    async def _get(self, service: str, model: type[M], key: str) -> M | None:
        async with self._sessions(service)() as session:
            return await session.get(model, key)

    def _sessions(self, service: str) -> Sessions:
        """A reader of the service's database of its own, whether the service runs or not."""
        if service not in self._readers:
            self._readers[service] = create_engine(self.urls[service])
        return session_factory(self._readers[service])


@contextlib.asynccontextmanager
async def recording_system(
    client: Client, rabbitmq_url: str = RABBITMQ_URL
) -> AsyncIterator[SagaSystem]:
    """The whole system on `client`'s server, SQLite databases in a folder of its own."""
    topology = Topology(prefix=f"rec{uuid.uuid4().hex[:10]}")
    with tempfile.TemporaryDirectory(prefix="ordersaga-record-") as folder:
        urls = {
            name: f"sqlite+aiosqlite:///{Path(folder) / f'{name}.db'}"
            for name in ("orders", "inventory", "payment", "projector")
        }
        system = SagaSystem(client, topology, {**urls, "rabbitmq": rabbitmq_url})
        try:
            async with serving(system):
                yield system
        finally:
            await delete_topology(rabbitmq_url, topology)


@contextlib.asynccontextmanager
async def serving(system: SagaSystem) -> AsyncIterator[None]:
    """The services and the real worker running for `system`; all stopped on exit."""
    try:
        await system.start_participant("inventory")
        await system.start_participant("payment")
        async with worker.running(system.worker_settings(), client=system.client):
            yield
    finally:
        await system.stop_all()


async def reaches(handle: SagaHandle, status: OrderStatus, seconds: float = 20) -> None:
    async def check() -> bool:
        return (await handle.query(OrderSaga.state)).status == status

    await eventually(check, seconds)


async def status_of(handle: SagaHandle) -> OrderStatus:
    return (await handle.query(OrderSaga.state)).status
