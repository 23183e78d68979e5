"""A service's current state and the position in its log it is consistent with.

`Snapshot` is how a read model deployed beside services that already hold data fills itself:
load each service's state at its watermark, then follow the feed from there. The state covers
what never was an event (the seed stock and accounts) as well as what was.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ordersaga.contracts.orders import OrderLine, PricedLine


class Snapshot(BaseModel):
    """The service's state and its watermark, read in one transaction."""

    kind: Literal["Snapshot"] = "Snapshot"


class GetHead(BaseModel):
    """The last sequence number of the service's log: how far a reader can get."""

    kind: Literal["GetHead"] = "GetHead"


class Head(BaseModel):
    source: str
    seq: int


class StockItemState(BaseModel):
    sku: str
    name: str
    unit_price_cents: int
    on_hand: int
    reserved: int


class ReservationState(BaseModel):
    order_id: str
    status: str
    lines: list[PricedLine]
    total_cents: int


class InventoryState(BaseModel):
    service: Literal["inventory"] = "inventory"
    stock_items: list[StockItemState]
    reservations: list[ReservationState]


class AccountState(BaseModel):
    customer_id: str
    credit_limit_cents: int
    held_cents: int
    captured_cents: int
    blocked: bool


class AuthorizationState(BaseModel):
    order_id: str
    customer_id: str | None
    amount_cents: int
    status: str


class PaymentState(BaseModel):
    service: Literal["payment"] = "payment"
    accounts: list[AccountState]
    authorizations: list[AuthorizationState]


class OrderRecord(BaseModel):
    order_id: str
    customer_id: str
    status: str
    reason: str | None
    items: list[OrderLine]
    total_cents: int | None
    created_at: datetime
    updated_at: datetime


class OrdersState(BaseModel):
    service: Literal["orders"] = "orders"
    orders: list[OrderRecord]


ServiceState = Annotated[
    InventoryState | PaymentState | OrdersState, Field(discriminator="service")
]


class SnapshotPage(BaseModel):
    """`state` as it stood when the service's log ended at `seq`."""

    source: str
    seq: int
    state: ServiceState
