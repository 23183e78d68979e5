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
from temporalio.client import Client, WorkflowHandle

import inventory.models
import payment.models
from contracts.orders import OrderStatus
from contracts.saga import SagaState, SagaTimeouts
from inventory.models import Reservation, StockItem
from messaging.topology import Topology
from payment.models import Account, Authorization
from replay.system import FAST, RecordingSystem, eventually, manual_payment, serving
from workflows.order_saga import OrderSaga

M = TypeVar("M")

__all__ = ["FAST", "SagaSystem", "eventually", "manual_payment", "saga_system", "status_of"]


class SagaSystem(RecordingSystem):
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

    async def events(self, service: str) -> list[str]:
        """The kinds of the service's events, in sequence order."""
        events = (inventory.models if service == "inventory" else payment.models).TABLES.events
        async with self.running[service].sessions() as session:
            rows = await session.execute(select(events.c.kind).order_by(events.c.seq))
            return [row.kind for row in rows]

    async def _get(self, service: str, model: type[M], key: str) -> M | None:
        async with self.running[service].sessions() as session:
            return await session.get(model, key)


@contextlib.asynccontextmanager
async def saga_system(
    client: Client, topology: Topology, urls: dict[str, str]
) -> AsyncIterator[SagaSystem]:
    system = SagaSystem(client, topology, urls, task_queue=f"saga-{uuid.uuid4().hex[:8]}")
    async with serving(system):
        yield system


async def status_of(handle: WorkflowHandle[OrderSaga, SagaState]) -> OrderStatus:
    return (await handle.query(OrderSaga.state)).status
