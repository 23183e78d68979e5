"""The whole saga on real parts: a Temporal dev server, RabbitMQ, the real worker and the real
inventory and payment consumers (in-process), each with its own database.

The running system is replay.system's (the history recorder drives the same one); the tests
add ways to look into each participant's database.
"""

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowHandle

import inventory.models
import orders.models
import payment.models
from contracts.orders import OrderStatus
from contracts.saga import SagaState, SagaTimeouts
from inventory.models import Reservation, StockItem
from messaging.topology import Topology
from payment.models import Account, Authorization
from persistence.engine import create_engine, session_factory
from replay.system import FAST, RecordingSystem, SagaHandle, eventually, manual_payment, serving
from workflows.order_saga import OrderSaga

M = TypeVar("M")

__all__ = [
    "FAST",
    "SagaHandle",
    "SagaSystem",
    "eventually",
    "manual_payment",
    "saga_system",
    "status_of",
]


SERVICE_MODELS = {"inventory": inventory.models, "payment": payment.models, "orders": orders.models}


class SagaSystem(RecordingSystem):
    orders_sessions: async_sessionmaker[AsyncSession] | None = None

    async def start_order(  # type: ignore[override]
        self,
        customer: str = "alice",
        items: dict[str, int] | None = None,
        timeouts: SagaTimeouts = FAST,
    ) -> WorkflowHandle[OrderSaga, SagaState]:
        return await super().start_order(uuid.uuid4().hex, customer, items, timeouts)

    async def place(self, **kwargs: Any) -> SagaState:
        handle = await self.start_order(**kwargs)
        return await handle.result()

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

    @contextlib.asynccontextmanager
    async def open_orders(self) -> AsyncIterator[None]:
        """Read the orders database beside the worker (which migrates it when it starts)."""
        engine = create_engine(self.urls["orders"])
        self.orders_sessions = session_factory(engine)
        try:
            yield
        finally:
            await engine.dispose()

    async def order_status(self, order_id: str) -> str | None:
        """The order's row in the orders database, as the worker wrote it."""
        order = await self._get("orders", orders.models.Order, order_id)
        return None if order is None else order.status

    async def events(self, service: str) -> list[str]:
        """The kinds of the service's events, in sequence order."""
        events = SERVICE_MODELS[service].TABLES.events
        async with self._sessions(service)() as session:
            rows = await session.execute(select(events.c.kind).order_by(events.c.seq))
            return [row.kind for row in rows]

    async def _get(self, service: str, model: type[M], key: str) -> M | None:
        async with self._sessions(service)() as session:
            return await session.get(model, key, populate_existing=True)

    def _sessions(self, service: str) -> async_sessionmaker[AsyncSession]:
        if service == "orders":
            assert self.orders_sessions is not None, "saga_system() opens the orders database"
            return self.orders_sessions
        return self.running[service].sessions


@contextlib.asynccontextmanager
async def saga_system(
    client: Client, topology: Topology, urls: dict[str, str]
) -> AsyncIterator[SagaSystem]:
    system = SagaSystem(client, topology, urls, task_queue=f"saga-{uuid.uuid4().hex[:8]}")
    async with serving(system), system.open_orders():
        yield system


async def status_of(handle: WorkflowHandle[OrderSaga, SagaState]) -> OrderStatus:
    return (await handle.query(OrderSaga.state)).status
