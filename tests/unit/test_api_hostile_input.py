"""Hostile input and failing dependencies: every answer is a 4xx naming the field and the
reason, or a 503 with Retry-After; nothing reaches the saga, and nothing answers 5xx else."""

import pytest
from fastapi.testclient import TestClient
from temporalio.service import RPCError, RPCStatusCode

from tests.unit.api_fakes import ORDER, FakeOrders, http, orders, place, stock

__all__ = ["http", "orders", "stock"]


def test_a_body_that_is_not_json_answers_4xx_and_starts_nothing(
    http: TestClient, orders: FakeOrders
) -> None:
    for body in (b"{", b"\xff\xfe", b"[]", b"null"):
        answer = http.post("/orders", content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code in (400, 422), (body, answer.text)
    assert orders.started == {}


def test_an_oversized_body_answers_413_before_it_is_read(
    http: TestClient, orders: FakeOrders
) -> None:
    huge = {**ORDER, "payment_method": "card", "padding": "x" * 100_000}
    answer = http.post("/orders", json=huge)
    assert answer.status_code == 413 and "bytes" in answer.json()["detail"]

    def chunks() -> object:
        yield b'{"customer_id": "alice", "items": ['
        for _ in range(4000):
            yield b'{"sku": "SKU-42", "quantity": 1},'
        yield b"]}"

    streamed = http.post("/orders", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert orders.started == {}


def test_a_cancel_reason_with_control_characters_is_refused(http: TestClient) -> None:
    answer = http.post(f"/orders/{place(http)}/cancel", json={"reason": "oops\x00"})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "reason"]
    odd = http.post(f"/orders/{place(http)}/cancel", json={"reason": "zu spät 注文 ❌"})
    assert odd.status_code == 200


@pytest.mark.parametrize(
    "status", [RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.INTERNAL]
)
def test_temporal_failing_a_call_answers_503_with_retry_after(
    http: TestClient, orders: FakeOrders, status: RPCStatusCode
) -> None:
    orders.failure = RPCError("context canceled", status, b"")
    for answer in (http.get("/orders/x/saga"), http.get("/orders/x")):
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
        assert "context canceled" not in answer.text


def test_a_method_a_path_does_not_take_lists_those_it_does(http: TestClient) -> None:
    answer = http.delete("/orders")
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET, POST"
