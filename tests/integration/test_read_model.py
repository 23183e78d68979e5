"""The read model on the real services: it fills itself, it equals what the services say, and
reads with a consistency token never see less than their write."""

import pytest

from ordersaga.contracts.views import OrderFilter
from ordersaga.projector.reconcile import reconcile
from ordersaga.projector.wiring import saga_ended_in
from tests.support.http_api import real_api
from tests.support.read_model import ProjectorHarness
from tests.support.system import SagaSystem
from tests.support.waiting import eventually

ORDER = {
    "customer_id": "alice",
    "items": [{"sku": "SKU-42", "quantity": 1}],
    "payment_method": "card-4242",
}
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


async def test_a_read_with_its_writes_token_never_sees_an_older_state(
    system: SagaSystem, projector: ProjectorHarness
) -> None:
    async with real_api(system, max_wait=20) as http:
        for n in range(4):
            placed = await http.post("/orders?wait=true", json=ORDER)
            token = placed.headers["X-Consistency-Token"]
            assert placed.json()["consistency_token"] == token
            order_id = placed.json()["order_id"]
            read = await http.get(f"/orders/{order_id}", headers={"X-Consistency-Token": token})
            assert read.status_code == 200
            assert (
                read.json()["status"] == "COMPLETED"
                and read.json()["as_of"]["source"] == "read-model"
            )
            product = await http.get("/products/SKU-42", params={"consistent_with": token})
            assert product.json()["on_hand"] == 100 - (n + 1)


async def test_a_token_the_view_cannot_reach_in_time_answers_503_with_retry_after(
    system: SagaSystem, projector: ProjectorHarness
) -> None:
    await projector.caught_up()
    await projector.stop()
    async with real_api(system, max_wait=20, read_wait_seconds=0.5) as http:
        placed = await http.post("/orders?wait=true", json=ORDER)
        order_id = placed.json()["order_id"]
        token = placed.headers["X-Consistency-Token"]
        read = await http.get(f"/orders/{order_id}", headers={"X-Consistency-Token": token})
        assert read.status_code == 503 and read.headers["Retry-After"] == "1"
        untokened = await http.get(f"/orders/{order_id}")  # the view lacks it: the saga answers
        assert untokened.status_code == 200 and untokened.json()["as_of"]["source"] == "saga"
        await projector.start()  # once it has the lease and caught up, the retried read answers

        async def answered() -> bool:
            read = await http.get(f"/orders/{order_id}", headers={"X-Consistency-Token": token})
            return read.status_code == 200 and read.json()["status"] == "COMPLETED"

        await eventually(answered)
