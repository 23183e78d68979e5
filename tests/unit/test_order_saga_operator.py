"""A compensation that keeps failing past its window waits for an operator (NEEDS_ATTENTION)."""

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from ordersaga import temporal
from ordersaga.contracts.orders import OrderStatus
from tests.unit.saga_fakes import (
    FakeWorld,
    an_order,
    search_attribute,
    start,
    wait_for_status,
)
from workflows.order_saga import OrderSaga


async def test_compensation_failing_past_its_window_needs_attention_until_an_operator_retries(
    saga_env: WorkflowEnvironment, client: Client, saga_worker: str, world: FakeWorld
) -> None:
    order = an_order(customer="mallory")  # declined: the stock must be released
    world.fail("release_stock", 1000)
    handle = await start(client, saga_worker, order)

    stuck = await wait_for_status(saga_env, handle, OrderStatus.NEEDS_ATTENTION)
    assert ("reserve-stock", "compensation-failed") in [(s.step, s.outcome) for s in stuck.steps]
    assert await search_attribute(handle, temporal.ORDER_STATUS) == "NEEDS_ATTENTION"
    assert "close_order" not in world.calls  # newest first: closing waits for the release
    assert (await handle.describe()).close_time is None  # still running, waiting

    world.failures["release_stock"] = 0
    resumed = await handle.execute_update(OrderSaga.retry_compensation)
    final = await handle.result()

    assert resumed.status == OrderStatus.COMPENSATING

    assert final.status == OrderStatus.REJECTED
    assert world.calls[-2:] == ["release_stock", "close_order"]
    assert order.order_id not in world.reserved
    assert world.orders[order.order_id] == "REJECTED"
    assert await search_attribute(handle, temporal.ORDER_STATUS) == "REJECTED"


async def test_capture_failing_past_its_window_needs_attention_and_is_never_undone(
    saga_env: WorkflowEnvironment, client: Client, saga_worker: str, world: FakeWorld
) -> None:
    order = an_order()
    world.fail("capture_payment", 1000)
    handle = await start(client, saga_worker, order)

    await wait_for_status(saga_env, handle, OrderStatus.NEEDS_ATTENTION)
    world.failures["capture_payment"] = 0
    await handle.execute_update(OrderSaga.retry_compensation)
    result = await handle.result()

    assert result.status == OrderStatus.COMPLETED  # past the pivot: only forward
    assert world.captured[order.order_id] == 2000
    assert not {"void_authorization", "release_stock", "close_order"} & set(world.calls)


async def test_operator_retry_is_refused_unless_the_order_needs_attention(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    gate = world.hold("capture_payment")
    handle = await start(client, saga_worker, an_order())
    await world.entered_into("capture_payment")
    try:
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(OrderSaga.retry_compensation)
    finally:
        gate.set()

    assert isinstance(refused.value.cause, ApplicationError)
    assert "only an order that NEEDS_ATTENTION can be retried" in refused.value.cause.message
    assert "APPROVED" in refused.value.cause.message
    assert (await handle.result()).status == OrderStatus.COMPLETED


async def test_commit_failing_past_its_window_needs_attention_and_completes_after_a_retry(
    saga_env: WorkflowEnvironment, client: Client, saga_worker: str, world: FakeWorld
) -> None:
    order = an_order()
    world.fail("commit_stock", 1000)
    handle = await start(client, saga_worker, order)

    stuck = await wait_for_status(saga_env, handle, OrderStatus.NEEDS_ATTENTION)
    assert ("commit-stock", "failed") in [(s.step, s.outcome) for s in stuck.steps]
    assert world.captured[order.order_id] == 2000  # the capture went on beside it
    assert "complete_order" not in world.calls
    world.failures["commit_stock"] = 0
    await handle.execute_update(OrderSaga.retry_compensation)
    result = await handle.result()

    assert result.status == OrderStatus.COMPLETED
    assert world.committed[order.order_id] == 2
    assert world.orders[order.order_id] == "COMPLETED"


async def test_capture_and_commit_both_stuck_resume_on_one_operator_retry(
    saga_env: WorkflowEnvironment, client: Client, saga_worker: str, world: FakeWorld
) -> None:
    order = an_order()
    world.fail("commit_stock", 1000)
    world.fail("capture_payment", 1000)
    handle = await start(client, saga_worker, order)

    stuck = await wait_for_status(saga_env, handle, OrderStatus.NEEDS_ATTENTION)
    await world.called("commit_stock", 2)
    await world.called("capture_payment", 2)
    failed = {s.step for s in (await handle.query(OrderSaga.state)).steps if s.outcome == "failed"}
    assert failed == {"capture-payment", "commit-stock"}, stuck.steps
    world.failures.update({"commit_stock": 0, "capture_payment": 0})
    resumed = await handle.execute_update(OrderSaga.retry_compensation)
    result = await handle.result()

    assert resumed.status == OrderStatus.APPROVED
    assert result.status == OrderStatus.COMPLETED
    assert (world.captured[order.order_id], world.committed[order.order_id]) == (2000, 2)
