"""The saga's load: orders through the full system, started by the HTTP API or by a Temporal
client the way the API starts them, with a share of them rejected (out of stock) or cancelled.

Each order is one request of load.py: it returns when its saga has ended as expected (COMPLETED,
REJECTED, or for a cancel CANCELLED, or COMPLETED when the cancel came after the pivot).
"""

import contextlib
import uuid
from dataclasses import dataclass, field
from typing import Literal

import httpx
from temporalio.client import Client

from api.errors import Refused
from api.sagas import TemporalOrders
from api.schemas import OrderCreate
from ordersaga.bench.seeding import Catalog
from ordersaga.contracts.orders import OrderLine, OrderStatus
from ordersaga.contracts.saga import PlaceOrder
from ordersaga.temporal import workflow_id

Via = Literal["client", "api"]
Kind = Literal["happy", "reject", "cancel"]
OPERATOR = {"Authorization": "Bearer demo-operator"}
WAIT_SECONDS = 60.0
GOLDEN = (5**0.5 - 1) / 2
EXPECTED: dict[Kind, set[OrderStatus]] = {
    "happy": {OrderStatus.COMPLETED},
    "reject": {OrderStatus.REJECTED},
    "cancel": {OrderStatus.CANCELLED, OrderStatus.COMPLETED},
}


@dataclass(frozen=True)
class Mix:
    """Which orders are rejected and which cancelled: spread evenly through the run, each in its
    share (a low-discrepancy sequence: any stretch of the run holds about its share)."""

    reject_share: float = 0.0
    cancel_share: float = 0.0

    def kind(self, n: int) -> Kind:
        at = (n + 0.5) * GOLDEN % 1.0
        if at < self.reject_share:
            return "reject"
        if at < self.reject_share + self.cancel_share:
            return "cancel"
        return "happy"


@dataclass
class OrderLoad:
    client: Client
    http: httpx.AsyncClient
    task_queue: str
    catalog: Catalog
    via: Via = "client"
    mix: Mix = field(default_factory=Mix)
    workflow_ids: list[str] = field(default_factory=list)

    def _order(self, n: int, kind: Kind) -> OrderCreate:
        sku = self.catalog.empty_sku if kind == "reject" else self.catalog.sku(n)
        return OrderCreate(
            customer_id=self.catalog.customer(n),
            items=[OrderLine(sku=sku, quantity=1)],
            payment_method=self.catalog.payment_method,
        )

    async def one(self, n: int) -> None:
        kind = self.mix.kind(n)
        order, order_id = self._order(n, kind), f"bench-{uuid.uuid4().hex}"
        if self.via == "api":
            status = await self._through_api(order, order_id, kind)
        else:
            status = await self._through_client(order, order_id, kind)
        if status not in EXPECTED[kind]:
            raise RuntimeError(f"a {kind} order {order_id} ended {status}")

    async def _through_client(self, order: OrderCreate, order_id: str, kind: Kind) -> str:
        orders = TemporalOrders(self.client, self.task_queue)
        self.workflow_ids.append(workflow_id(order_id))
        place = PlaceOrder(order_id=order_id, **order.model_dump(exclude={"customer_id"}),
                           customer_id=order.customer_id or "")  # fmt: skip
        await orders.start(place, order.fingerprint(), may_exist=False)
        if kind == "cancel":
            # Refused once the saga is past its pivot: it then completes, as a user would see.
            with contextlib.suppress(Refused):
                await orders.cancel(order_id, "cancelled by the benchmark", WAIT_SECONDS)
        outcome = await orders.wait(order_id, WAIT_SECONDS)
        return outcome.state.status

    async def _through_api(self, order: OrderCreate, order_id: str, kind: Kind) -> str:
        body = order.model_dump(mode="json")
        headers = {**OPERATOR, "Idempotency-Key": order_id}
        params = {"wait": str(kind != "cancel").lower()}
        answer = await self.http.post("/orders", json=body, headers=headers, params=params)
        _require(answer, {200, 201, 202})
        placed_id = answer.json()["order_id"]
        self.workflow_ids.append(workflow_id(placed_id))
        if kind == "cancel":
            cancel = await self.http.post(f"/orders/{placed_id}/cancel", headers=OPERATOR)
            _require(cancel, {200, 202, 409})
            answer = await self.http.post(
                "/orders", json=body, headers=headers, params={"wait": "true"}
            )
            _require(answer, {200, 201, 202})
        status: str = answer.json()["status"]
        return status


def _require(answer: httpx.Response, codes: set[int]) -> None:
    if answer.status_code not in codes:
        raise RuntimeError(f"{answer.request.method} {answer.request.url.path}: "
                           f"{answer.status_code} {answer.text[:200]}")  # fmt: skip
