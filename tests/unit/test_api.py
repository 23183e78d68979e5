"""The HTTP API's answers, with the sagas and the stock faked."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.errors import OrderNotFound, Refused, Unavailable
from api.main import create_app
from contracts.orders import OrderStatus
from contracts.queries import StockLevel
from contracts.saga import PlaceOrder, SagaState

ORDER = {
    "customer_id": "alice",
    "items": [{"sku": "SKU-42", "quantity": 2}],
    "payment_method": "card-4242",
}


class FakeSagas:
    def __init__(self) -> None:
        self.started: dict[str, PlaceOrder] = {}
        self.outcome: OrderStatus | None = OrderStatus.COMPLETED
        self.refusal: str | None = None
        self.broken = False

    async def start(self, order: PlaceOrder, fingerprint: str) -> None:
        self.started.setdefault(order.order_id, order)

    async def state(self, order_id: str) -> SagaState:
        if self.broken:
            raise RuntimeError("secret internals")
        if order_id not in self.started:
            raise OrderNotFound(order_id)
        return SagaState(order_id=order_id, customer_id="alice", status=OrderStatus.PENDING)

    async def wait(self, order_id: str, seconds: float) -> SagaState | None:
        if self.outcome is None:
            return None
        return SagaState(order_id=order_id, customer_id="alice", status=self.outcome)

    async def cancel(self, order_id: str, reason: str) -> SagaState:
        if self.refusal:
            raise Refused(self.refusal)
        state = await self.state(order_id)
        return state.model_copy(update={"status": OrderStatus.CANCELLED, "reason": reason})

    async def retry_compensation(self, order_id: str) -> SagaState:
        raise Refused("only an order that NEEDS_ATTENTION can be retried")

    async def ready(self) -> bool:
        return not self.broken


class FakeStock:
    def __init__(self) -> None:
        self.down = False

    async def level(self, sku: str) -> StockLevel:
        if self.down:
            raise Unavailable("the inventory service did not answer")
        if sku != "SKU-42":
            return StockLevel(sku=sku, found=False)
        return StockLevel(sku=sku, found=True, on_hand=10, available=10)

    def ready(self) -> bool:
        return not self.down


@pytest.fixture
def sagas() -> FakeSagas:
    return FakeSagas()


@pytest.fixture
def stock() -> FakeStock:
    return FakeStock()


@pytest.fixture
def http(sagas: FakeSagas, stock: FakeStock) -> Iterator[TestClient]:
    with TestClient(create_app(sagas=sagas, stock=stock), raise_server_exceptions=False) as c:
        yield c


def test_placing_an_order_answers_202_with_its_location(http: TestClient) -> None:
    answer = http.post("/orders", json=ORDER)
    assert answer.status_code == 202
    assert answer.headers["Location"] == f"/orders/{answer.json()['order_id']}"
    assert answer.json()["status"] == "PENDING"


def test_waiting_answers_200_with_the_outcome(http: TestClient) -> None:
    answer = http.post("/orders?wait=true", json=ORDER)
    assert answer.status_code == 200 and answer.json()["status"] == "COMPLETED"


def test_a_wait_that_runs_out_answers_202_with_the_current_state(
    http: TestClient, sagas: FakeSagas
) -> None:
    sagas.outcome = None
    answer = http.post("/orders?wait=true&timeout=0.1", json=ORDER)
    assert answer.status_code == 202 and answer.json()["status"] == "PENDING"


def test_the_same_idempotency_key_names_the_same_order(http: TestClient, sagas: FakeSagas) -> None:
    first = http.post("/orders", json=ORDER, headers={"Idempotency-Key": "k-1"})
    again = http.post("/orders", json=ORDER, headers={"Idempotency-Key": "k-1"})
    other = http.post("/orders", json=ORDER, headers={"Idempotency-Key": "k-2"})
    assert first.json()["order_id"] == again.json()["order_id"] != other.json()["order_id"]
    assert len(sagas.started) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"items": [{"sku": "SKU-42", "quantity": 0}]}, "quantity"),
        ({"items": [{"sku": "not a sku", "quantity": 1}]}, "sku"),
        ({"items": []}, "items"),
        ({"customer_id": "alice; drop table"}, "customer_id"),
        ({"payment_method": ""}, "payment_method"),
    ],
)
def test_malformed_orders_answer_422_naming_the_field(
    http: TestClient, sagas: FakeSagas, change: dict[str, object], field: str
) -> None:
    answer = http.post("/orders", json={**ORDER, **change})
    assert answer.status_code == 422
    assert field in {str(part) for error in answer.json()["detail"] for part in error["loc"]}
    assert sagas.started == {}


def test_an_unknown_order_answers_404(http: TestClient) -> None:
    answer = http.get("/orders/nope")
    assert answer.status_code == 404 and answer.json() == {"detail": "order nope not found"}


def test_a_refused_cancel_answers_409_with_the_saga_s_reason(
    http: TestClient, sagas: FakeSagas
) -> None:
    order_id = http.post("/orders", json=ORDER).json()["order_id"]
    sagas.refusal = f"order {order_id} is already approved and can no longer be cancelled"
    answer = http.post(f"/orders/{order_id}/cancel", json={"reason": "too late"})
    assert answer.status_code == 409 and "already approved" in answer.json()["detail"]


def test_a_cancel_carries_its_reason(http: TestClient) -> None:
    order_id = http.post("/orders", json=ORDER).json()["order_id"]
    answer = http.post(f"/orders/{order_id}/cancel", json={"reason": "changed my mind"})
    assert answer.status_code == 200
    assert answer.json()["status"] == "CANCELLED" and answer.json()["reason"] == "changed my mind"


def test_an_unexpected_error_answers_500_without_internals(
    http: TestClient, sagas: FakeSagas
) -> None:
    sagas.broken = True
    answer = http.get("/orders/x")
    assert answer.status_code == 500
    assert answer.json() == {"detail": "internal error"}


def test_stock_is_read_from_inventory(http: TestClient, stock: FakeStock) -> None:
    assert http.get("/inventory/SKU-42").json()["available"] == 10
    assert http.get("/inventory/SKU-0").status_code == 404
    assert http.get("/inventory/bad sku").status_code == 422
    stock.down = True
    assert http.get("/inventory/SKU-42").status_code == 503


def test_readiness_reports_each_dependency(
    http: TestClient, sagas: FakeSagas, stock: FakeStock
) -> None:
    assert http.get("/health/ready").status_code == 200
    stock.down = True
    answer = http.get("/health/ready")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"temporal": True, "rabbitmq": False}
