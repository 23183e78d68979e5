"""Events: what happened, in the past tense. A command's reply carries the event it produced.

Every service appends its events to its own log with a per-service sequence number; the
envelope carries that position so a projector can skip duplicates and notice gaps.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ordersaga.contracts.orders import OrderLine, PricedLine
from ordersaga.contracts.rejections import RejectionCode


class StockReserved(BaseModel):
    kind: Literal["StockReserved"] = "StockReserved"
    order_id: str
    lines: list[PricedLine]
    total_cents: int


class StockReleased(BaseModel):
    """`lines` is empty when there was nothing to release (a successful no-op)."""

    kind: Literal["StockReleased"] = "StockReleased"
    order_id: str
    lines: list[OrderLine]


class StockCommitted(BaseModel):
    """The reservation became a sale. `lines` is empty when it already had (a no-op)."""

    kind: Literal["StockCommitted"] = "StockCommitted"
    order_id: str
    lines: list[OrderLine]


class PaymentAuthorized(BaseModel):
    kind: Literal["PaymentAuthorized"] = "PaymentAuthorized"
    order_id: str
    authorization_id: str
    customer_id: str
    amount_cents: int


class AuthorizationVoided(BaseModel):
    """`amount_cents` is 0 when there was nothing to void (a successful no-op)."""

    kind: Literal["AuthorizationVoided"] = "AuthorizationVoided"
    order_id: str
    amount_cents: int


class PaymentCaptured(BaseModel):
    kind: Literal["PaymentCaptured"] = "PaymentCaptured"
    order_id: str
    authorization_id: str
    amount_cents: int


class CommandRejected(BaseModel):
    """A refused command. `order_id` is empty for an operator's command (AddProduct, Restock,
    OpenAccount): its refusal is a reply only, never an event."""

    kind: Literal["CommandRejected"] = "CommandRejected"
    order_id: str
    command: str
    code: RejectionCode
    reason: str


class ProductAdded(BaseModel):
    """A new SKU, with the stock it came with. `existed` is True only in the reply to an add of
    a product that was there already with that name and price: a no-op, which is no event, and
    whose `on_hand` is the stock as it stands."""

    kind: Literal["ProductAdded"] = "ProductAdded"
    sku: str
    name: str
    unit_price_cents: int
    on_hand: int
    existed: bool = False


class StockRestocked(BaseModel):
    """`quantity` more units of a SKU on hand; `on_hand` is what it holds now."""

    kind: Literal["StockRestocked"] = "StockRestocked"
    sku: str
    quantity: int
    on_hand: int


class AccountOpened(BaseModel):
    """A customer's account, with its credit limit. `existed` is True only in the reply to an
    open of an account that was there already with that limit and blocking: a no-op, which is
    no event."""

    kind: Literal["AccountOpened"] = "AccountOpened"
    customer_id: str
    credit_limit_cents: int
    blocked: bool
    existed: bool = False


CATALOG_EVENTS = (ProductAdded, StockRestocked, AccountOpened)
"""The events of an operator's command: they concern a product or an account, never an order."""


class OrderPlaced(BaseModel):
    kind: Literal["OrderPlaced"] = "OrderPlaced"
    order_id: str
    customer_id: str
    items: list[OrderLine]
    payment_method: str


class OrderApproved(BaseModel):
    kind: Literal["OrderApproved"] = "OrderApproved"
    order_id: str
    total_cents: int


class OrderCompleted(BaseModel):
    """Paid for and its stock sold: the order is done."""

    kind: Literal["OrderCompleted"] = "OrderCompleted"
    order_id: str
    total_cents: int


class OrderClosed(BaseModel):
    """The order ended without being fulfilled: status REJECTED or CANCELLED, with the reason."""

    kind: Literal["OrderClosed"] = "OrderClosed"
    order_id: str
    status: Literal["REJECTED", "CANCELLED"]
    reason: str


ParticipantEvent = Annotated[
    StockReserved
    | StockReleased
    | StockCommitted
    | PaymentAuthorized
    | AuthorizationVoided
    | PaymentCaptured
    | CommandRejected
    | ProductAdded
    | StockRestocked
    | AccountOpened,
    Field(discriminator="kind"),
]
Event = Annotated[
    StockReserved
    | StockReleased
    | StockCommitted
    | PaymentAuthorized
    | AuthorizationVoided
    | PaymentCaptured
    | CommandRejected
    | ProductAdded
    | StockRestocked
    | AccountOpened
    | OrderPlaced
    | OrderApproved
    | OrderCompleted
    | OrderClosed,
    Field(discriminator="kind"),
]


class EventEnvelope(BaseModel):
    """An event at its position in its source's log."""

    source: str
    seq: int
    occurred_at: datetime
    event: Event
