"""Cancellation, participant outages and races, on real Temporal, RabbitMQ and databases."""

import asyncio

import pytest
from temporalio.client import WorkflowUpdateFailedError

from ordersaga.contracts.orders import OrderStatus
from ordersaga.contracts.saga import CancelOrder, SagaTimeouts
from tests.support.manual_payment import manual_payment
from tests.support.system import FAST, SagaSystem, status_of
from tests.support.waiting import eventually
from workflows.order_saga import OrderSaga


async def test_cancel_before_the_pivot_releases_everything(system: SagaSystem) -> None:
    await system.stop_participant("payment")
    handle = await system.start_order(items={"SKU-42": 4})
    await eventually(lambda: _is(handle, OrderStatus.RESERVED))
    cancel = asyncio.create_task(
        handle.execute_update(OrderSaga.cancel, CancelOrder(reason="oops"))
    )
    await system.start_participant("payment")
    assert (await cancel).status == OrderStatus.CANCELLED
    state = await handle.result()
    assert state.status == OrderStatus.CANCELLED and state.reason == "oops"
    assert (await system.stock("SKU-42")).reserved == 0
    assert (await system.account("alice")).held_cents == 0
    authorization = await system.authorization(state.order_id)
    assert authorization is None or authorization.status == "VOIDED"


async def test_cancel_after_the_pivot_is_refused_and_the_order_stands(
    system: SagaSystem,
) -> None:
    await system.stop_participant("payment")
    handle = await system.start_order(items={"SKU-42": 1})
    async with manual_payment(system) as payment:
        await payment.handle(await payment.next_message())  # authorize
        capture = await payment.next_message()  # the saga is past the pivot now
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(OrderSaga.cancel, CancelOrder())
        assert "already approved" in str(refused.value.cause)
        await payment.handle(capture)
    state = await handle.result()
    assert state.status == OrderStatus.COMPLETED
    assert (await system.authorization(state.order_id)).status == "CAPTURED"  # type: ignore[union-attr]


async def test_a_participant_down_shorter_than_the_deadline_only_delays_the_saga(
    system: SagaSystem,
) -> None:
    await system.stop_participant("payment")
    handle = await system.start_order(timeouts=SagaTimeouts(step_seconds=15, attempt_seconds=2))
    await eventually(lambda: _is(handle, OrderStatus.RESERVED))
    await asyncio.sleep(1.5)  # the authorize command waits in its durable queue meanwhile
    await system.start_participant("payment")
    state = await handle.result()
    assert state.status == OrderStatus.COMPLETED
    assert (await system.account("alice")).captured_cents == state.total_cents


async def test_a_participant_silent_past_the_deadline_is_compensated_even_if_it_acts_later(
    system: SagaSystem,
) -> None:
    await system.stop_participant("payment")
    handle = await system.start_order(items={"SKU-42": 5}, timeouts=FAST)
    await eventually(lambda: _is(handle, OrderStatus.COMPENSATING))
    # The stale AuthorizePayment is still queued; it is handled now, after the deadline.
    await system.start_participant("payment")
    state = await handle.result()
    assert state.status == OrderStatus.REJECTED
    assert "deadline" in (state.reason or "")
    await eventually(_nothing_held(system, state.order_id))
    assert (await system.stock("SKU-42")).reserved == 0


async def test_concurrent_orders_for_the_last_units_sell_exactly_the_units_there_are(
    system: SagaSystem,
) -> None:
    units = (await system.stock("SKU-LAST")).on_hand
    handles = await asyncio.gather(
        *(system.start_order(customer="bob", items={"SKU-LAST": 1}) for _ in range(units + 5))
    )
    states = await asyncio.gather(*(h.result() for h in handles))
    completed = [s for s in states if s.status == OrderStatus.COMPLETED]
    rejected = [s for s in states if s.status == OrderStatus.REJECTED]
    assert len(completed) == units and len(rejected) == 5
    assert all("SKU-LAST" in (s.reason or "") for s in rejected)
    item = await system.stock("SKU-LAST")
    assert (item.on_hand, item.reserved) == (0, 0)  # every unit sold, none held


async def _is(handle: object, status: OrderStatus) -> bool:
    return await status_of(handle) == status  # type: ignore[arg-type]


def _nothing_held(system: SagaSystem, order_id: str):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        authorization = await system.authorization(order_id)
        account = await system.account("alice")
        voided = authorization is None or authorization.status == "VOIDED"
        return voided and account.held_cents == 0

    return check
