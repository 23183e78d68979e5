"""OrderSaga decisions under the time-skipping test server, with activity fakes."""

from collections.abc import Callable

from temporalio.client import Client

from ordersaga import temporal
from ordersaga.contracts.orders import OrderStatus
from ordersaga.contracts.saga import SagaState
from tests.unit.saga_fakes import FakeWorld, an_order, place, search_attribute, start
from workflows.order_saga import OrderSaga


async def test_happy_path_captures_and_commits_the_stock_then_completes(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    order = an_order()
    result = await place(client, saga_worker, order)
    assert result.status == OrderStatus.COMPLETED
    assert result.total_cents == 2000
    assert world.calls[:4] == [
        "create_order",
        "reserve_stock",
        "authorize_payment",
        "approve_order",
    ]
    assert set(world.calls[4:6]) == {"capture_payment", "commit_stock"}  # concurrently
    assert world.calls[6:] == ["complete_order"]
    assert world.captured[order.order_id] == 2000
    assert world.committed[order.order_id] == 2
    assert world.orders[order.order_id] == "COMPLETED"


async def test_out_of_stock_rejects_without_touching_payment_or_releasing(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    order = an_order(quantity=11)
    handle = await start(client, saga_worker, order)
    result = await handle.result()

    assert result.status == OrderStatus.REJECTED
    assert result.reason is not None and "SKU-42" in result.reason
    assert "authorize_payment" not in world.calls
    assert "void_authorization" not in world.calls
    assert "release_stock" not in world.calls  # rejected atomically: nothing to undo
    assert world.calls[-1] == "close_order"
    assert world.orders[order.order_id] == "REJECTED"
    assert await search_attribute(handle, temporal.ORDER_STATUS) == "REJECTED"
    assert await search_attribute(handle, temporal.REJECTION_REASON) == "OutOfStock"


async def test_declined_payment_releases_stock_then_closes_the_order(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    order = an_order(customer="mallory")
    handle = await start(client, saga_worker, order)
    result = await handle.result()

    assert result.status == OrderStatus.REJECTED
    assert result.reason == "card declined by issuer"
    assert world.calls == [
        "create_order",
        "reserve_stock",
        "authorize_payment",
        "release_stock",  # newest compensation first
        "close_order",
    ]
    assert order.order_id not in world.reserved
    assert world.orders[order.order_id] == "REJECTED"
    assert await search_attribute(handle, temporal.REJECTION_REASON) == "PaymentDeclined"


async def test_step_past_its_deadline_rejects_and_undoes_every_step_that_may_have_run(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    order = an_order()
    world.hold("reserve_stock")  # never answers
    try:
        handle = await start(client, saga_worker, order)
        result = await handle.result()
    finally:
        world.open_all()

    assert result.status == OrderStatus.REJECTED
    assert result.reason is not None and "reserve-stock" in result.reason
    # a step that timed out may still have happened, and so may the steps after it (a lost
    # workflow task runs local steps without a trace): every undo runs, newest first
    assert world.calls[-3:] == ["void_authorization", "release_stock", "close_order"]
    assert "authorize_payment" not in world.calls
    assert world.orders[order.order_id] == "REJECTED"
    assert await search_attribute(handle, temporal.REJECTION_REASON) == "Timeout"


async def test_capture_is_retried_past_transient_failures(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    order = an_order()
    world.fail("capture_payment", 2)
    result = await place(client, saga_worker, order)

    assert result.status == OrderStatus.COMPLETED
    assert world.calls.count("capture_payment") == 3
    assert world.captured[order.order_id] == 2000
    assert "void_authorization" not in world.calls


async def test_state_query_returns_the_step_log_in_order(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    handle = await start(client, saga_worker, an_order())
    await handle.result()

    state = await handle.query(OrderSaga.state)
    assert state.status == OrderStatus.COMPLETED
    assert [(s.step, s.outcome) for s in state.steps] == [
        ("create-order", "started"),
        ("create-order", "done"),
        ("reserve-stock", "started"),
        ("reserve-stock", "done"),
        ("authorize-payment", "started"),
        ("authorize-payment", "done"),
        ("approve-order", "done"),
        *sorted([("capture-payment", "done"), ("commit-stock", "done")], key=order_of(state)),
        ("complete-order", "done"),
        ("notify-customer", "done"),
    ]
    assert state.steps[2].detail == "reserve 2 x SKU-42"
    assert [s.at for s in state.steps] == sorted(s.at for s in state.steps)


async def test_step_log_shows_the_failure_and_each_compensation(
    client: Client, saga_worker: str, world: FakeWorld
) -> None:
    handle = await start(client, saga_worker, an_order(customer="mallory"))
    await handle.result()

    state = await handle.query(OrderSaga.state)
    assert [(s.step, s.outcome) for s in state.steps][-3:] == [
        ("authorize-payment", "failed"),
        ("reserve-stock", "compensated"),
        ("create-order", "compensated"),
    ]


def order_of(state: SagaState) -> Callable[[tuple[str, str]], int]:
    """Concurrent steps finish in either order: sort the expectation as they did."""
    names = [s.step for s in state.steps]
    return lambda entry: names.index(entry[0])
