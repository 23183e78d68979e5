"""The HTTP API's answers, with the order gateway and the stock faked (no Temporal, no broker)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from temporalio.service import RPCError, RPCStatusCode

from api.errors import OrderNotFound, Refused, Unavailable
from api.main import create_app
from api.sagas import Outcome
from api.schemas import OrderCreate
from ordersaga.contracts.orders import OrderStatus
from ordersaga.contracts.queries import StockLevel
from ordersaga.contracts.saga import PlaceOrder, SagaState, SagaTimeouts
from ordersaga.settings import ApiSettings

ORDER = {
    "customer_id": "alice",
    "items": [{"sku": "SKU-42", "quantity": 2}],
    "payment_method": "card-4242",
}
SETTINGS = ApiSettings(
    max_wait_seconds=3,
    saga_timeouts=SagaTimeouts(step_seconds=7, attempt_seconds=1, compensation_seconds=9),
)


class FakeOrders:
    """Keeps sagas in a dict; refuses a reused key with another body, like the real one."""

    def __init__(self) -> None:
        self.started: dict[str, tuple[PlaceOrder, str]] = {}
        self.outcome: OrderStatus | None = OrderStatus.COMPLETED
        self.refusal: str | None = None
        self.waited: list[float] = []
        self.failure: Exception | None = None

    async def start(self, order: PlaceOrder, fingerprint: str, *, may_exist: bool) -> SagaState:
        earlier = self.started.setdefault(order.order_id, (order, fingerprint))
        if may_exist and earlier[1] != fingerprint:
            raise Refused("this Idempotency-Key was used for a different order request")
        return await self.state(order.order_id)

    async def state(self, order_id: str) -> SagaState:
        if self.failure is not None:
            raise self.failure
        if order_id not in self.started:
            raise OrderNotFound(order_id)
        return SagaState(order_id=order_id, customer_id="alice", status=OrderStatus.PENDING)

    async def wait(self, order_id: str, seconds: float) -> Outcome:
        self.waited.append(seconds)
        return await self._settle(order_id, self.outcome, reason=None)

    async def cancel(self, order_id: str, reason: str, seconds: float) -> Outcome:
        if self.refusal:
            raise Refused(self.refusal)
        return await self._settle(order_id, self.outcome and OrderStatus.CANCELLED, reason)

    async def retry_compensation(self, order_id: str, seconds: float) -> Outcome:
        await self.state(order_id)
        raise Refused(f"order {order_id} is PENDING; only NEEDS_ATTENTION is retried")

    async def ready(self) -> bool:
        return self.failure is None

    async def _settle(
        self, order_id: str, status: OrderStatus | None, reason: str | None
    ) -> Outcome:
        state = await self.state(order_id)
        if status is None:
            return Outcome(state, settled=False)
        return Outcome(state.model_copy(update={"status": status, "reason": reason}), True)


class FakeStock:
    def __init__(self) -> None:
        self.down = False

    async def level(self, sku: str) -> StockLevel:
        if self.down:
            raise Unavailable("inventory service unavailable")
        if sku != "SKU-42":
            return StockLevel(sku=sku, found=False)
        return StockLevel(sku=sku, found=True, on_hand=10, available=10)

    def ready(self) -> bool:
        return not self.down


@pytest.fixture
def orders() -> FakeOrders:
    return FakeOrders()


@pytest.fixture
def stock() -> FakeStock:
    return FakeStock()


@pytest.fixture
def http(orders: FakeOrders, stock: FakeStock) -> Iterator[TestClient]:
    app = create_app(SETTINGS, temporal_client=orders, request_client=stock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def place(http: TestClient, key: str | None = None, **changes: object) -> str:
    headers = {"Idempotency-Key": key} if key else {}
    answer = http.post("/orders", json={**ORDER, **changes}, headers=headers)
    assert answer.status_code == 202, answer.text
    order_id: str = answer.json()["order_id"]
    return order_id


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


def test_an_order_is_read_back(http: TestClient) -> None:
    order_id = place(http)
    answer = http.get(f"/orders/{order_id}")
    assert answer.status_code == 200
    assert answer.json() == {
        "order_id": order_id,
        "customer_id": "alice",
        "status": "PENDING",
        "reason": None,
        "reason_code": None,
        "total_cents": None,
        "steps": [],
    }


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
    assert len(operations) == 7
    assert all(op.get("summary") and op.get("description") for op in operations)
    assert http.get("/docs").status_code == 200
