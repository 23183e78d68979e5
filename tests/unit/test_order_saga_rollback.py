"""What a rollback undoes: every compensable step that may have run, not only those the history
shows, because a workflow task that was lost (its worker died) ran local steps without a trace."""

import asyncio
import uuid

from temporalio.client import Client, WorkflowUpdateStage
from temporalio.worker import Worker

from ordersaga.contracts.orders import OrderStatus
from ordersaga.contracts.saga import CancelOrder
from tests.unit.saga_fakes import FakeWorld, an_order, start
from workflows.order_saga import OrderSaga


async def test_a_cancel_accepted_before_the_first_step_still_undoes_every_step(
    client: Client, world: FakeWorld
) -> None:
    task_queue = f"tq-{uuid.uuid4()}"  # no worker yet: the cancel meets the saga's first task
    order = an_order()
    handle = await start(client, task_queue, order)
    cancel = asyncio.create_task(
        handle.start_update(
            OrderSaga.cancel,
            CancelOrder(reason="changed my mind"),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
    )
    await asyncio.sleep(0.5)  # the update waits on the server for a worker

    async with Worker(
        client, task_queue=task_queue, workflows=[OrderSaga], activities=world.activities()
    ):
        answered = await (await cancel).result()
        result = await handle.result()

    assert (answered.status, result.status) == (OrderStatus.CANCELLED, OrderStatus.CANCELLED)
    assert world.calls == ["void_authorization", "release_stock", "close_order"]
    assert world.orders[order.order_id] == "CANCELLED"
    assert [(s.step, s.outcome) for s in result.steps] == [
        ("authorize-payment", "compensated"),
        ("reserve-stock", "compensated"),
        ("create-order", "compensated"),
    ]


async def test_a_business_rejection_undoes_only_the_steps_before_it(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    """The same command id gets the same stored answer in every attempt: a step rejected now
    was rejected in any lost attempt too, so nothing after it can have run."""
    order = an_order(quantity=11)  # out of stock

    result = await (await start(client, saga_worker, order)).result()

    assert result.status == OrderStatus.REJECTED
    assert world.calls == ["create_order", "reserve_stock", "close_order"]
