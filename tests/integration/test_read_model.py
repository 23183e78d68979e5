"""The read model on the real services: it fills itself, it equals what the services say, and
reads with a consistency token never see less than their write."""

import pytest

from ordersaga.contracts.views import OrderFilter
from ordersaga.projector.reconcile import reconcile
from ordersaga.projector.wiring import saga_ended_in
from tests.support.read_model import ProjectorHarness
from tests.support.system import SagaSystem

MIXED = [
    {"customer": "alice", "items": {"SKU-42": 2}},  # completes
    {"customer": "bob", "items": {"SKU-7": 1, "SKU-42": 1}},  # completes
    {"customer": "alice", "items": {"SKU-GONE": 1}},  # out of stock
    {"customer": "mallory", "items": {"SKU-42": 1}},  # card declined: stock released
    {"customer": "carol", "items": {"SKU-7": 1}},  # insufficient funds
    {"customer": "alice", "items": {"SKU-NOPE": 1}},  # unknown SKU
]


@pytest.fixture(params=["sqlite", "postgresql"])
def saga_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_after_mixed_orders_the_views_equal_what_the_services_say(
    system: SagaSystem, projector: ProjectorHarness
) -> None:
    placed = [await system.place(**order) for order in MIXED]
    await projector.caught_up()
    async with projector.feeds() as feeds:
        drift = await reconcile(projector.sessions, feeds, saga_ended_in(system.client))
    assert drift == []
    read = projector.read_model()
    for state in placed:
        view = await read.order(state.order_id)
        assert view is not None and view.status == state.status.value, (view, state)
    first = await read.order(placed[0].order_id)
    assert first is not None
    assert (first.reservation, first.payment, first.captured_cents) == (
        "COMMITTED",
        "CAPTURED",
        3780,
    )
    sources = {entry.source for entry in first.timeline}
    assert sources == {"orders", "inventory", "payment"} and len(first.timeline) == 7
    declined = await read.order(placed[3].order_id)
    assert declined is not None and declined.reservation == "RELEASED" and declined.reason
    product = await read.product("SKU-42")
    assert product is not None and (product.on_hand, product.reserved) == (97, 0)
    alice = await read.customer("alice")
    assert alice is not None and (alice.orders, alice.captured_cents, alice.held_cents) == (
        3,
        3780,
        0,
    )
    found = await read.orders(OrderFilter(customer_id="alice", status="COMPLETED"))
    assert [o.order_id for o in found.orders] == [placed[0].order_id]
