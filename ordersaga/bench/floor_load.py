"""Running the floors (floors.py): floor A started the way the API starts a saga (the same start
options, search attributes and memo) on the floor worker's task queue; floor B started eagerly
from this process, which runs its worker; and the saga's own workflow with its steps stubbed
(stub_steps.py), started by the API's own code on the floor worker's task queue."""

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.worker import Worker

from api.sagas import TemporalOrders
from ordersaga.bench.floor_worker import floor_worker
from ordersaga.bench.floors import FiveLocal, SagaShape
from ordersaga.bench.system import FLOOR_QUEUE
from ordersaga.contracts.orders import OrderLine, OrderStatus
from ordersaga.contracts.saga import PlaceOrder
from ordersaga.settings import WorkerSettings
from ordersaga.temporal import CUSTOMER_ID, ORDER_STATUS, workflow_id

WAIT_SECONDS = 60.0

EAGER_QUEUE = "bench-eager"


@dataclass
class FloorA:
    client: Client
    workflow_ids: list[str] = field(default_factory=list)

    async def one(self, n: int) -> None:
        order_id = f"floor-a-{uuid.uuid4().hex}"
        self.workflow_ids.append(order_id)
        handle = await self.client.start_workflow(
            SagaShape.run,
            order_id,
            id=order_id,
            task_queue=FLOOR_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            memo={"fingerprint": uuid.uuid4().hex},
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(CUSTOMER_ID, f"bench-{n}"),
                    SearchAttributePair(ORDER_STATUS, OrderStatus.PENDING.value),
                ]
            ),  # fmt: skip
            static_summary=f"Floor A {order_id}",
        )
        await handle.result()


@dataclass
class FloorB:
    client: Client
    workflow_ids: list[str] = field(default_factory=list)

    async def one(self, n: int) -> None:
        order_id = f"floor-b-{n}-{uuid.uuid4().hex}"
        self.workflow_ids.append(order_id)
        await self.client.execute_workflow(
            FiveLocal.run, order_id, id=order_id, task_queue=EAGER_QUEUE, request_eager_start=True
        )


@dataclass
class StubbedSaga:
    """OrderSaga whose steps answer at once: the saga's workflow code, and nothing behind it."""

    client: Client
    workflow_ids: list[str] = field(default_factory=list)

    async def one(self, n: int) -> None:
        order_id = f"stubbed-{uuid.uuid4().hex}"
        self.workflow_ids.append(workflow_id(order_id))
        orders = TemporalOrders(self.client, FLOOR_QUEUE)
        line = OrderLine(sku=f"STUB-{n % 16}", quantity=1)
        place = PlaceOrder(order_id=order_id, customer_id=f"bench-{n}", items=[line],
                           payment_method="card")  # fmt: skip
        await orders.start(place, order_id, may_exist=False)
        outcome = await orders.wait(order_id, WAIT_SECONDS)
        if outcome.state.status != OrderStatus.COMPLETED:
            raise RuntimeError(f"a stubbed saga {order_id} ended {outcome.state.status}")


@contextlib.asynccontextmanager
async def eager_worker(client: Client, settings: WorkerSettings) -> AsyncIterator[Worker]:
    """Floor B's worker in this process, with the saga worker's settings: eager start needs the
    starting client's process to run a worker of the task queue."""
    worker = floor_worker(client, settings, EAGER_QUEUE)
    async with worker:
        yield worker
