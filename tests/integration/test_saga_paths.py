"""The saga's paths end to end on real Temporal, RabbitMQ and both database engines."""

from ordersaga.contracts.orders import OrderStatus
from tests.support.system import SagaSystem


async def test_happy_path_sells_the_stock_and_captures(system: SagaSystem) -> None:
    before = await system.stock("SKU-42")
    state = await system.place(customer="alice", items={"SKU-42": 2})
    assert state.status == OrderStatus.COMPLETED
    after = await system.stock("SKU-42")
    assert (after.on_hand, after.reserved) == (before.on_hand - 2, before.reserved)
    reservation = await system.reservation(state.order_id)
    assert reservation is not None and reservation.status == "COMMITTED"
    authorization = await system.authorization(state.order_id)
    assert authorization is not None and authorization.status == "CAPTURED"
    assert (await system.account("alice")).captured_cents == state.total_cents
    assert await system.order_status(state.order_id) == "COMPLETED"
    assert await system.events("inventory") == ["StockReserved", "StockCommitted"]
    assert await system.events("payment") == ["PaymentAuthorized", "PaymentCaptured"]
    assert await system.events("orders") == ["OrderPlaced", "OrderApproved", "OrderCompleted"]


async def test_out_of_stock_rejects_without_touching_payment(system: SagaSystem) -> None:
    state = await system.place(customer="alice", items={"SKU-42": 2, "SKU-GONE": 1})
    assert state.status == OrderStatus.REJECTED
    assert "SKU-GONE" in (state.reason or "")
    assert (await system.stock("SKU-42")).reserved == 0
    assert await system.authorization(state.order_id) is None
    assert await system.events("payment") == []


async def test_unknown_sku_rejects_with_its_reason(system: SagaSystem) -> None:
    state = await system.place(items={"SKU-NOPE": 1})
    assert state.status == OrderStatus.REJECTED
    assert "SKU-NOPE" in (state.reason or "")


async def test_declined_payment_rejects_and_releases_the_stock(system: SagaSystem) -> None:
    state = await system.place(customer="mallory", items={"SKU-42": 3})
    assert state.status == OrderStatus.REJECTED
    assert "declined" in (state.reason or "")
    assert (await system.stock("SKU-42")).reserved == 0
    reservation = await system.reservation(state.order_id)
    assert reservation is not None and reservation.status == "RELEASED"
    assert await system.events("inventory") == ["StockReserved", "StockReleased"]
    assert await system.events("payment") == ["CommandRejected"]


async def test_insufficient_funds_rejects_with_the_amounts(system: SagaSystem) -> None:
    state = await system.place(customer="carol", items={"SKU-7": 1})
    assert state.status == OrderStatus.REJECTED
    assert (await system.account("carol")).held_cents == 0
    assert (await system.stock("SKU-7")).reserved == 0
