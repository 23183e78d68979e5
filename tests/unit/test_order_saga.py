"""OrderSaga decisions under the time-skipping test server, with activity fakes."""

import uuid

from temporalio.client import Client

from contracts.orders import OrderLine, OrderStatus
from contracts.saga import PlaceOrder, SagaTimeouts
from tests.unit.saga_fakes import FakeWorld
from workflows.order_saga import OrderSaga


def an_order(customer: str = "alice", quantity: int = 2) -> PlaceOrder:
    return PlaceOrder(
        order_id=str(uuid.uuid4()),
        customer_id=customer,
        items=[OrderLine(sku="SKU-42", quantity=quantity)],
        payment_method="card-4242",
        timeouts=SagaTimeouts(step_seconds=2, attempt_seconds=0.5, compensation_seconds=3),
    )


async def place(client: Client, task_queue: str, order: PlaceOrder) -> object:
    return await client.execute_workflow(
        OrderSaga.run, order, id=f"order-{order.order_id}", task_queue=task_queue
    )


async def test_happy_path_completes_and_captures(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    order = an_order()
    result = await place(client, saga_worker, order)
    assert result.status == OrderStatus.COMPLETED
    assert result.total_cents == 2000
    assert world.calls == [
        "create_order",
        "reserve_stock",
        "authorize_payment",
        "approve_order",
        "capture_payment",
    ]
    assert world.captured[order.order_id] == 2000
