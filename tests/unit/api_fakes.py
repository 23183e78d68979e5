"""The HTTP API with its order gateway and its stock faked (no Temporal, no broker): the fakes,
the app on them, and placing an order."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.errors import OrderNotFound, Refused, Unavailable
from api.main import create_app
from api.sagas import Outcome
from ordersaga.contracts.orders import OrderStatus
from ordersaga.contracts.queries import StockLevel
from ordersaga.contracts.saga import PlaceOrder, SagaState, SagaTimeouts
from ordersaga.settings import ApiSettings

ORDER = {
    "customer_id": "alice",
    "items": [{"sku": "SKU-42", "quantity": 2}],
    "payment_method": "card-4242",
}
OPERATOR = {"Authorization": "Bearer demo-operator"}
ALICE = {"Authorization": "Bearer demo-alice"}
BOB = {"Authorization": "Bearer demo-bob"}
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

    async def customer_of(self, order_id: str) -> str:
        return (await self.state(order_id)).customer_id

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


class FakePositions:
    """Every write answer's token names this position."""

    async def token(self) -> str | None:
        return "orders:7"


@pytest.fixture
def http(orders: FakeOrders, stock: FakeStock, tmp_path: Path) -> Iterator[TestClient]:
    settings = SETTINGS.model_copy(
        update={"projector_db_url": f"sqlite+aiosqlite:///{tmp_path / 'projector.db'}"}
    )
    app = create_app(
        settings, temporal_client=orders, request_client=stock, positions=FakePositions()
    )
    with TestClient(app, raise_server_exceptions=False, headers=OPERATOR) as client:
        yield client


def place(http: TestClient, key: str | None = None, **changes: object) -> str:
    headers = {"Idempotency-Key": key} if key else {}
    answer = http.post("/orders", json={**ORDER, **changes}, headers=headers)
    assert answer.status_code == 202, answer.text
    order_id: str = answer.json()["order_id"]
    return order_id
