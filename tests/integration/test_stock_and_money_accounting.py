"""What a batch of mixed orders leaves behind: stock sold for the completed orders only, money
captured for them only, nothing held; and a commit that cannot get through waits for an operator."""

import asyncio
import logging

import pytest

from ordersaga.contracts.orders import OrderStatus
from ordersaga.contracts.saga import SagaState, SagaTimeouts
from tests.support.system import SagaSystem, status_of
from tests.support.waiting import eventually
from workflows.order_saga import OrderSaga

BATCH = [
    ("alice", {"SKU-42": 2}),
    ("bob", {"SKU-42": 1, "SKU-7": 1}),
    ("alice", {"SKU-LAST": 2}),
    ("mallory", {"SKU-42": 3}),  # declined: its stock is released
    ("alice", {"SKU-42": 1, "SKU-GONE": 1}),  # out of stock: nothing reserved
    ("alice", {"SKU-NOPE": 1}),  # unknown SKU
    ("carol", {"SKU-7": 1}),  # insufficient funds: released
    ("alice", {"SKU-LAST": 2}),  # one of the two SKU-LAST orders runs out
]


@pytest.mark.parametrize("saga_backend", ["sqlite", "postgresql"])
async def test_a_mixed_batch_sells_exactly_what_completed_and_holds_nothing(
    system: SagaSystem, caplog: pytest.LogCaptureFixture
) -> None:
    skus = ["SKU-42", "SKU-7", "SKU-LAST", "SKU-GONE"]
    before = {sku: (await system.stock(sku)).on_hand for sku in skus}
    customers = {customer for customer, _ in BATCH}
    captured_before = {c: (await system.account(c)).captured_cents for c in customers}
    caplog.set_level(logging.INFO)

    states = await asyncio.gather(*(system.place(customer=c, items=i) for c, i in BATCH))

    completed = [(s, items) for s, (_, items) in zip(states, BATCH, strict=True) if done(s)]
    assert len(completed) == 3 and sum(not done(s) for s in states) == 5
    for sku in skus:
        sold = sum(items.get(sku, 0) for _, items in completed)
        stock = await system.stock(sku)
        assert (stock.on_hand, stock.reserved) == (before[sku] - sold, 0), sku
    for customer in customers:
        account = await system.account(customer)
        paid = sum(s.total_cents or 0 for s, _ in completed if s.customer_id == customer)
        assert account.captured_cents - captured_before[customer] == paid, customer
        assert account.held_cents == 0, customer
    for state in states:
        assert await system.order_status(state.order_id) == state.status.value
    rejected = [r for r in caplog.records if r.name == "ordersaga.rejections"]
    assert len(rejected) == 5 and all(r.levelno == logging.INFO for r in rejected)
    # No traceback for an expected outcome. A step's quick try that got no reply in time (a
    # slow machine) goes on as a regular activity: the SDK's warning of it is not a rejection.
    tracebacks = [r for r in caplog.records if r.exc_info and "NoReply" not in str(r.exc_info[1])]
    assert not tracebacks


def done(state: SagaState) -> bool:
    return state.status == OrderStatus.COMPLETED


async def test_a_commit_past_its_window_waits_for_an_operator_then_completes(
    system: SagaSystem,
) -> None:
    timeouts = SagaTimeouts(step_seconds=30, attempt_seconds=1, compensation_seconds=3)
    await system.stop_participant("payment")
    handle = await system.start_order(items={"SKU-42": 2}, timeouts=timeouts)
    await eventually(lambda: _is(handle, OrderStatus.RESERVED))
    await system.stop_participant("inventory")  # the commit will find nobody
    await system.start_participant("payment")

    await eventually(lambda: _is(handle, OrderStatus.NEEDS_ATTENTION), 30)
    stuck = await handle.query(OrderSaga.state)
    assert ("commit-stock", "failed") in [(s.step, s.outcome) for s in stuck.steps]
    assert ("capture-payment", "done") in [(s.step, s.outcome) for s in stuck.steps]
    await system.start_participant("inventory")
    await handle.execute_update(OrderSaga.retry_compensation)
    state = await handle.result()

    assert state.status == OrderStatus.COMPLETED
    reservation = await system.reservation(state.order_id)
    assert reservation is not None and reservation.status == "COMMITTED"
    assert (await system.stock("SKU-42")).reserved == 0
    assert await system.order_status(state.order_id) == "COMPLETED"


async def _is(handle: object, status: OrderStatus) -> bool:
    return await status_of(handle) == status  # type: ignore[arg-type]
