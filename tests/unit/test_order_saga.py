"""OrderSaga decisions under the time-skipping test server, with activity fakes."""

from temporalio.client import Client

from contracts.orders import OrderStatus
from tests.unit.saga_fakes import FakeWorld, an_order, place, search_attribute, start
from workflows import search_attributes
from workflows.order_saga import OrderSaga


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
    assert await search_attribute(handle, search_attributes.ORDER_STATUS) == "REJECTED"
    assert await search_attribute(handle, search_attributes.REJECTION_REASON) == "OutOfStock"


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
    assert await search_attribute(handle, search_attributes.REJECTION_REASON) == "PaymentDeclined"


async def test_step_past_its_deadline_rejects_and_still_compensates_it(
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
    # a step that timed out may still have happened: its undo runs, before the order is closed
    assert world.calls[-2:] == ["release_stock", "close_order"]
    assert "authorize_payment" not in world.calls
    assert world.orders[order.order_id] == "REJECTED"
    assert await search_attribute(handle, search_attributes.REJECTION_REASON) == "Timeout"


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
        ("capture-payment", "done"),
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
