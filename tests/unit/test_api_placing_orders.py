"""Placing an order over HTTP: accepted, waited for, idempotent by key, and refused with the
field and the reason when it is malformed."""

import pytest
from fastapi.testclient import TestClient

from api.schemas import OrderCreate
from tests.unit.api_fakes import ORDER, SETTINGS, FakeOrders, http, orders, place, stock

__all__ = ["http", "orders", "stock"]


def test_placing_an_order_answers_202_with_its_location(http: TestClient) -> None:
    answer = http.post("/orders", json=ORDER)
    assert answer.status_code == 202
    assert answer.headers["Location"] == f"/orders/{answer.json()['order_id']}"
    assert answer.json()["status"] == "PENDING"


def test_the_saga_gets_the_order_and_the_configured_deadlines(
    http: TestClient, orders: FakeOrders
) -> None:
    order_id = place(http)
    started, _ = orders.started[order_id]
    assert started.customer_id == "alice" and started.items[0].quantity == 2
    assert started.timeouts == SETTINGS.saga_timeouts


def test_waiting_answers_200_with_the_outcome(http: TestClient) -> None:
    answer = http.post("/orders?wait=true", json=ORDER)
    assert answer.status_code == 200 and answer.json()["status"] == "COMPLETED"


def test_a_wait_that_runs_out_answers_202_with_the_current_state(
    http: TestClient, orders: FakeOrders
) -> None:
    orders.outcome = None
    answer = http.post("/orders?wait=true&timeout=0.1", json=ORDER)
    assert answer.status_code == 202 and answer.json()["status"] == "PENDING"
    assert orders.waited == [0.1]


def test_a_wait_is_capped_at_the_configured_maximum(http: TestClient, orders: FakeOrders) -> None:
    http.post("/orders?wait=true&timeout=3600", json=ORDER)
    http.post("/orders?wait=true", json=ORDER)
    assert orders.waited == [SETTINGS.max_wait_seconds, SETTINGS.max_wait_seconds]


def test_the_same_idempotency_key_names_the_same_order(
    http: TestClient, orders: FakeOrders
) -> None:
    first, again, other = place(http, "k-1"), place(http, "k-1"), place(http, "k-2")
    assert first == again != other
    assert len(orders.started) == 2


def test_an_idempotency_key_belongs_to_its_customer(http: TestClient) -> None:
    assert place(http, "k-1") != place(http, "k-1", customer_id="bob")


def test_orders_without_a_key_are_always_new(http: TestClient) -> None:
    assert place(http) != place(http)


def test_a_key_reused_for_a_different_order_answers_409(http: TestClient) -> None:
    place(http, "k-1")
    answer = http.post(
        "/orders",
        json={**ORDER, "items": [{"sku": "SKU-7", "quantity": 1}]},
        headers={"Idempotency-Key": "k-1"},
    )
    assert answer.status_code == 409 and "different order" in answer.json()["detail"]


def test_the_fingerprint_ignores_key_order_but_not_content() -> None:
    same = OrderCreate.model_validate(dict(reversed(ORDER.items())))
    other = OrderCreate.model_validate({**ORDER, "payment_method": "card-1111"})
    assert OrderCreate.model_validate(ORDER).fingerprint() == same.fingerprint()
    assert OrderCreate.model_validate(ORDER).fingerprint() != other.fingerprint()


def test_an_order_inventory_could_not_take_answers_422_with_the_reason(http: TestClient) -> None:
    twice = [{"sku": "SKU-42", "quantity": 600}, {"sku": "SKU-7", "quantity": 1}] * 2
    answer = http.post("/orders", json={**ORDER, "items": twice})
    assert answer.status_code == 422
    assert "SKU-42, SKU-7 appears more than once" in answer.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"items": [{"sku": "SKU-42", "quantity": 0}]}, ["body", "items", 0, "quantity"]),
        ({"items": [{"sku": "not a sku", "quantity": 1}]}, ["body", "items", 0, "sku"]),
        ({"items": []}, ["body", "items"]),
        ({"items": [{"sku": "SKU-42", "quantity": 1}] * 51}, ["body", "items"]),
        ({"items": [{"sku": "SKU-42", "quantity": 600}] * 2}, ["body", "items"]),
        ({"items": [{"sku": f"SKU-{i}", "quantity": 1000} for i in range(11)]}, ["body", "items"]),
        ({"customer_id": "alice; drop table"}, ["body", "customer_id"]),
        ({"customer_id": "a" * 65}, ["body", "customer_id"]),
        ({"payment_method": ""}, ["body", "payment_method"]),
        # hostile ones
        ({"items": [{"sku": "SKU-42", "quantity": 10**12}]}, ["body", "items", 0, "quantity"]),
        ({"items": [{"sku": "SKU-42", "quantity": -1}]}, ["body", "items", 0, "quantity"]),
        ({"items": [{"sku": "SKU-42", "quantity": "two"}]}, ["body", "items", 0, "quantity"]),
        ({"items": [{"sku": "SKU-42"}]}, ["body", "items", 0, "quantity"]),
        ({"items": "SKU-42"}, ["body", "items"]),
        ({"customer_id": "ålice\u202e"}, ["body", "customer_id"]),
        ({"customer_id": "a\x00"}, ["body", "customer_id"]),
        ({"payment_method": "4242 4242 4242 4242"}, ["body", "payment_method"]),
        ({"payment_method": "card4242424242424242"}, ["body", "payment_method"]),
        ({"payment_method": "💳" * 10}, ["body", "payment_method"]),
    ],
)
def test_malformed_orders_answer_422_naming_the_field(
    http: TestClient, orders: FakeOrders, change: dict[str, object], location: list[object]
) -> None:
    answer = http.post("/orders", json={**ORDER, **change})
    assert answer.status_code == 422
    assert [error["loc"] for error in answer.json()["detail"]] == [location]
    assert orders.started == {}


def test_an_overlong_idempotency_key_answers_422(http: TestClient) -> None:
    answer = http.post("/orders", json=ORDER, headers={"Idempotency-Key": "k" * 201})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["header", "idempotency-key"]
