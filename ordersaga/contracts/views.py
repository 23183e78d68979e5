"""What the read model answers: orders, products and customers as the views hold them, each
with the positions it reflects (`AsOf`)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel


class AsOf(BaseModel):
    """Where an answer came from and the positions it reflects."""

    source: Literal["read-model", "saga"] = "read-model"
    build: int | None = None
    positions: dict[str, int] = {}
    lag: dict[str, int] = {}
    """Events of each source not in the answer, as of the projector's last look at the heads."""


class TimelineEntry(BaseModel):
    source: str
    seq: int
    kind: str
    occurred_at: datetime
    detail: str


class OrderSummary(BaseModel):
    order_id: str
    customer_id: str | None
    status: str | None
    reason: str | None
    lines: list[dict[str, Any]]
    total_cents: int | None
    placed_at: datetime | None
    updated_at: datetime | None
    reservation: str | None
    payment: str | None
    authorized_cents: int = 0
    captured_cents: int = 0


class OrderView(OrderSummary):
    timeline: list[TimelineEntry] = []
    as_of: AsOf


class OrderPage(BaseModel):
    orders: list[OrderSummary]
    next_cursor: str | None
    as_of: AsOf


class ProductView(BaseModel):
    sku: str
    name: str
    unit_price_cents: int
    on_hand: int
    reserved: int
    available: int


class ProductPage(BaseModel):
    products: list[ProductView]
    as_of: AsOf


class ProductAnswer(ProductView):
    as_of: AsOf


class CustomerView(BaseModel):
    customer_id: str
    orders: int
    credit_limit_cents: int | None
    held_cents: int
    captured_cents: int
    as_of: AsOf


class OrderFilter(BaseModel):
    customer_id: str | None = None
    status: str | None = None
    sku: str | None = None
    placed_after: datetime | None = None
    placed_before: datetime | None = None
    q: str | None = None
    limit: int = 20
    cursor: str | None = None
