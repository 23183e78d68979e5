"""Queries a participant answers over request/reply; they change nothing."""

from typing import Literal

from pydantic import BaseModel, Field

from ordersaga.contracts.events import EventEnvelope
from ordersaga.contracts.orders import OrderLine, Sku


class GetStock(BaseModel):
    kind: Literal["GetStock"] = "GetStock"
    sku: Sku


class StockLevel(BaseModel):
    sku: str
    found: bool
    name: str = ""
    unit_price_cents: int = 0
    on_hand: int = 0
    reserved: int = 0
    available: int = 0


class ReadFeed(BaseModel):
    """Events of the service's log after `after_seq`: how a projector catches up on a gap."""

    kind: Literal["ReadFeed"] = "ReadFeed"
    after_seq: int = Field(ge=0)
    limit: int = Field(default=500, ge=1, le=5000)


class ParkedEvent(BaseModel):
    """A position in the log whose row could not be read as an event: set aside, with why."""

    seq: int
    kind: str
    reason: str


class FeedPage(BaseModel):
    events: list[EventEnvelope]
    parked: list[ParkedEvent] = []
    head: int = 0
    """The log's last sequence number when the page was read."""


class ListReservations(BaseModel):
    """Reservations in one status, by order id after a cursor: what operators' repairs page."""

    kind: Literal["ListReservations"] = "ListReservations"
    status: Literal["RESERVED", "RELEASED", "COMMITTED"] = "RESERVED"
    after_order_id: str = ""
    limit: int = Field(default=200, ge=1, le=1000)


class ReservationInfo(BaseModel):
    order_id: str
    status: str
    lines: list[OrderLine]


class ReservationPage(BaseModel):
    reservations: list[ReservationInfo]
    next_after: str | None
    """The cursor of the next page; None on the last one."""
