"""Reading, cancelling and repairing orders over HTTP; stock, health and the API's own docs; and
the answers when something the API needs fails."""

import pytest
from fastapi.testclient import TestClient
from temporalio.service import RPCError, RPCStatusCode

from tests.unit.api_fakes import ORDER, FakeOrders, FakeStock, http, orders, place, stock

__all__ = ["http", "orders", "stock"]


def test_an_orders_saga_is_read_back(http: TestClient) -> None:
    order_id = place(http)
    answer = http.get(f"/orders/{order_id}/saga")
    assert answer.status_code == 200
    assert answer.json() == {
        "order_id": order_id,
        "customer_id": "alice",
        "status": "PENDING",
        "reason": None,
        "reason_code": None,
        "total_cents": None,
        "steps": [],
        "consistency_token": None,
    }


def test_an_accepted_order_the_view_lacks_is_answered_from_its_saga(http: TestClient) -> None:
    order_id = place(http)
    answer = http.get(f"/orders/{order_id}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "PENDING" and body["as_of"]["source"] == "saga"


def test_a_write_answer_carries_a_consistency_token(http: TestClient) -> None:
    answer = http.post("/orders", json=ORDER)
    assert answer.headers["X-Consistency-Token"] == "orders:7"
    assert answer.json()["consistency_token"] == "orders:7"


def test_a_read_whose_token_the_view_never_reaches_answers_503(http: TestClient) -> None:
    answer = http.get("/products", headers={"X-Consistency-Token": "orders:7"})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"


@pytest.mark.parametrize("token", ["orders", "orders:x", "ORDERS:1", ","])
def test_a_malformed_consistency_token_is_refused_with_the_reason(
    http: TestClient, token: str
) -> None:
    answer = http.get("/products", params={"consistent_with": token})
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["query", "consistent_with"] and "consistency token" in problem["msg"]


def test_an_unknown_order_answers_404(http: TestClient) -> None:
    answer = http.get("/orders/nope")
    assert answer.status_code == 404 and answer.json() == {"detail": "order nope not found"}
    assert http.post("/orders/nope/cancel").status_code == 404
    assert http.post("/orders/nope/retry-compensation").status_code == 404


def test_a_cancel_carries_its_reason(http: TestClient) -> None:
    order_id = place(http)
    answer = http.post(f"/orders/{order_id}/cancel", json={"reason": "changed my mind"})
    assert answer.status_code == 200
    assert answer.json()["status"] == "CANCELLED" and answer.json()["reason"] == "changed my mind"


def test_a_cancel_without_a_body_gives_a_default_reason(http: TestClient) -> None:
    answer = http.post(f"/orders/{place(http)}/cancel")
    assert answer.status_code == 200 and answer.json()["reason"] == "cancelled by customer"


def test_a_cancel_still_compensating_when_the_wait_ends_answers_202(
    http: TestClient, orders: FakeOrders
) -> None:
    order_id = place(http)
    orders.outcome = None
    assert http.post(f"/orders/{order_id}/cancel").status_code == 202


def test_a_refused_cancel_answers_409_with_the_saga_s_reason(
    http: TestClient, orders: FakeOrders
) -> None:
    order_id = place(http)
    orders.refusal = f"order {order_id} is already approved and can no longer be cancelled"
    answer = http.post(f"/orders/{order_id}/cancel", json={"reason": "too late"})
    assert answer.status_code == 409
    assert answer.json() == {"detail": orders.refusal}


def test_retrying_a_compensation_that_is_not_stuck_answers_409(http: TestClient) -> None:
    answer = http.post(f"/orders/{place(http)}/retry-compensation")
    assert answer.status_code == 409 and "NEEDS_ATTENTION" in answer.json()["detail"]


def test_an_unexpected_error_answers_500_without_internals(
    http: TestClient, orders: FakeOrders
) -> None:
    orders.failure = RuntimeError("secret internals")
    answer = http.get("/orders/x")
    assert answer.status_code == 500
    assert answer.json() == {"detail": "internal error"}


def test_temporal_out_of_reach_answers_503(http: TestClient, orders: FakeOrders) -> None:
    orders.failure = RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")
    answer = http.get("/orders/x")
    assert answer.status_code == 503
    assert answer.json() == {"detail": "Temporal is unavailable"}


def test_stock_is_read_from_inventory(http: TestClient) -> None:
    answer = http.get("/inventory/SKU-42")
    assert answer.status_code == 200 and answer.json()["available"] == 10


def test_an_unknown_sku_answers_404(http: TestClient) -> None:
    answer = http.get("/inventory/SKU-0")
    assert answer.status_code == 404 and answer.json() == {"detail": "SKU SKU-0 not found"}


@pytest.mark.parametrize("sku", ["bad sku", "sku-42", "-SKU", "S" * 65])
def test_a_malformed_sku_answers_422(http: TestClient, sku: str) -> None:
    answer = http.get(f"/inventory/{sku}")
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["path", "sku"]


def test_inventory_out_of_reach_answers_503(http: TestClient, stock: FakeStock) -> None:
    stock.down = True
    answer = http.get("/inventory/SKU-42")
    assert answer.status_code == 503
    assert answer.json() == {"detail": "inventory service unavailable"}


def test_liveness_needs_nothing(http: TestClient, orders: FakeOrders, stock: FakeStock) -> None:
    orders.failure, stock.down = RuntimeError("down"), True
    assert http.get("/health/live").json() == {"status": "ok"}


def test_readiness_names_the_dependency_that_is_down(
    http: TestClient, orders: FakeOrders, stock: FakeStock
) -> None:
    assert http.get("/health/ready").status_code == 200
    stock.down = True
    answer = http.get("/health/ready")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"temporal": True, "rabbitmq": False}
    assert answer.json()["detail"] == "not ready: rabbitmq"


def test_every_operation_is_documented_with_a_summary(http: TestClient) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    operations = [op for path in paths.values() for op in path.values()]
    assert len(operations) == 15  # 12, and the operator's add-product, restock, open-account
    assert all(op.get("summary") and op.get("description") for op in operations)
    assert http.get("/docs").status_code == 200
