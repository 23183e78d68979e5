"""Cancelling an order: by the `cancel` update or by cancelling the workflow, before or after the
pivot (approve order)."""

import contextlib
from collections.abc import AsyncIterator

import pytest
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.service import RPCError, RPCStatusCode

from ordersaga import temporal
from ordersaga.contracts.orders import OrderStatus
from ordersaga.contracts.saga import CancelOrder
from tests.unit.saga_fakes import FakeWorld, an_order, search_attribute, start
from workflows.order_saga import OrderSaga


@pytest.fixture(autouse=True)
async def _open_gates_before_the_worker_stops(
    saga_worker: str, world: FakeWorld
) -> AsyncIterator[None]:
    yield
    world.open_all()


async def test_cancel_before_the_pivot_compensates_every_begun_step(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    order = an_order()
    gate = world.hold("authorize_payment")
    handle = await start(client, saga_worker, order)
    await world.entered_into("authorize_payment")

    answer = await handle.execute_update(OrderSaga.cancel, CancelOrder(reason="changed my mind"))
    gate.set()
    result = await handle.result()

    assert answer.status == OrderStatus.CANCELLED
    assert result.status == OrderStatus.CANCELLED
    assert result.reason == "changed my mind"
    # the authorize step had begun, so its undo runs too, newest first
    compensations = [c for c in world.calls if c in {"void_authorization", "release_stock"}]
    assert compensations == ["void_authorization", "release_stock"]
    assert world.calls[-1] == "close_order"
    assert "approve_order" not in world.calls
    assert world.orders[order.order_id] == "CANCELLED"
    assert await search_attribute(handle, temporal.ORDER_STATUS) == "CANCELLED"
    assert await search_attribute(handle, temporal.REJECTION_REASON) == "Cancelled"


async def test_cancel_after_the_pivot_is_refused_and_the_order_completes(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    order = an_order()
    gate = world.hold("capture_payment")
    handle = await start(client, saga_worker, order)
    await world.entered_into("capture_payment")

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(OrderSaga.cancel, CancelOrder())
    gate.set()
    result = await handle.result()

    assert isinstance(refused.value.cause, ApplicationError)
    assert "already approved" in refused.value.cause.message
    assert result.status == OrderStatus.COMPLETED
    assert world.captured[order.order_id] == 2000
    assert "void_authorization" not in world.calls


async def test_cancelling_the_workflow_before_the_pivot_compensates_then_ends_cancelled(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    order = an_order()
    world.hold("reserve_stock")
    handle = await start(client, saga_worker, order)
    await world.entered_into("reserve_stock")

    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()

    assert isinstance(failure.value.cause, CancelledError)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    assert world.calls[-2:] == ["release_stock", "close_order"]
    assert "authorize_payment" not in world.calls
    assert world.orders[order.order_id] == "CANCELLED"
    state = await handle.query(OrderSaga.state)
    assert (state.status, state.reason) == (OrderStatus.CANCELLED, "workflow cancelled")


async def test_cancelling_the_workflow_after_the_pivot_still_completes_the_order(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    order = an_order()
    gate = world.hold("capture_payment")
    handle = await start(client, saga_worker, order)
    await world.called("capture_payment", 1)  # a regular activity: the saga awaits the server

    await handle.cancel()
    gate.set()
    result = await handle.result()

    assert result.status == OrderStatus.COMPLETED
    assert world.captured[order.order_id] == 2000
    assert "void_authorization" not in world.calls
    assert "release_stock" not in world.calls
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    assert ("cancel", "failed") in [(s.step, s.outcome) for s in result.steps]


async def test_cancel_of_a_finished_order_is_refused_as_not_found(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    handle = await start(client, saga_worker, an_order())
    assert (await handle.result()).status == OrderStatus.COMPLETED

    with pytest.raises(RPCError) as refused:
        await handle.execute_update(OrderSaga.cancel, CancelOrder())

    # the server answers, not the validator: a closed workflow takes no update (the dev server
    # says "workflow execution already completed", the test server "update <id> not found")
    assert refused.value.status == RPCStatusCode.NOT_FOUND
    assert "not found" in refused.value.message or "already completed" in refused.value.message
    assert "close_order" not in world.calls


async def test_cancelling_the_workflow_while_compensating_still_finishes_the_compensations(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    order = an_order(customer="mallory")  # declined: release the stock, then close the order
    gate = world.hold("release_stock")
    handle = await start(client, saga_worker, order)
    await world.entered_into("release_stock")

    await handle.cancel()
    gate.set()
    with contextlib.suppress(WorkflowFailureError):
        await handle.result()

    assert world.calls[-2:] == ["release_stock", "close_order"]
    assert world.orders[order.order_id] == "REJECTED"


@pytest.mark.parametrize("held", ["reserve_stock", "capture_payment"])
async def test_cancelling_the_workflow_while_local_steps_finish_the_order_keeps_it_completed(
    client: Client, saga_worker: str, world: FakeWorld, held: str
) -> None:
    order = an_order()
    gate = world.hold(held)
    handle = await start(client, saga_worker, order)
    await world.entered_into(held)

    await handle.cancel()
    gate.set()  # the held step answers at once: the rest runs in the same workflow task
    with contextlib.suppress(WorkflowFailureError):
        await handle.result()

    assert world.captured[order.order_id] == 2000  # the money was taken...
    assert (await handle.query(OrderSaga.state)).status == OrderStatus.COMPLETED  # ...so say so
