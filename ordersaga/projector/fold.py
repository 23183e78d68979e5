"""How each event changes the views: pure functions over rows loaded as dicts.

`store.py` loads the rows a run of events touches into a `Rows`, folds every event into it
here, and writes back what changed in the same transaction as the new position. An event that
cannot be applied (it would make stock negative, it names a product the view lacks) raises
`Unappliable` before it changes anything; the store dead-letters it and goes on.

An order's events change its row and go on its timeline. An operator's (ProductAdded,
StockRestocked, AccountOpened) concern no order: they change a product or a customer only.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ordersaga.contracts.events import (
    CATALOG_EVENTS,
    AccountOpened,
    AuthorizationVoided,
    EventEnvelope,
    OrderApproved,
    OrderClosed,
    OrderCompleted,
    OrderPlaced,
    PaymentAuthorized,
    PaymentCaptured,
    ProductAdded,
    StockCommitted,
    StockReleased,
    StockReserved,
    StockRestocked,
)
from ordersaga.projector.timeline import describe

Row = dict[str, Any]


class Unappliable(ValueError):
    """The event cannot be applied to the views as they are: a poison event."""


@dataclass
class Rows:
    """The rows of one transaction, by key; what changed is written back."""

    orders: dict[str, Row] = field(default_factory=dict)
    products: dict[str, Row] = field(default_factory=dict)
    customers: dict[str, Row] = field(default_factory=dict)
    timeline: list[Row] = field(default_factory=list)
    skus: set[tuple[str, str]] = field(default_factory=set)
    changed: set[tuple[str, str]] = field(default_factory=set)
    """(table, key) of every row to write back."""

    def order(self, order_id: str, at: datetime) -> Row:
        row = self.orders.get(order_id)
        if row is None:
            row = self.orders[order_id] = new_order(order_id, at)
        row["updated_at"] = max(row["updated_at"], at)
        self.changed.add(("orders", order_id))
        return row

    def customer(self, customer_id: str) -> Row:
        row = self.customers.get(customer_id)
        if row is None:
            row = self.customers[customer_id] = new_customer(customer_id)
        self.changed.add(("customers", customer_id))
        return row

    def product(self, sku: str) -> Row:
        row = self.products.get(sku)
        if row is None:
            raise Unappliable(f"SKU {sku} is not in the products view")
        self.changed.add(("products", sku))
        return row

    def new_product(self, event: ProductAdded) -> None:
        if event.sku in self.products:
            raise Unappliable(f"SKU {event.sku} is in the products view already")
        self.products[event.sku] = {"sku": event.sku, "name": event.name, "reserved": 0,
                                    "unit_price_cents": event.unit_price_cents,
                                    "on_hand": event.on_hand}  # fmt: skip
        self.changed.add(("products", event.sku))


def utc(at: datetime) -> datetime:
    """SQLite hands timezone-aware columns back naive; they were written in UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def new_order(order_id: str, at: datetime) -> Row:
    return {
        "order_id": order_id, "customer_id": None, "status": None, "reason": None,
        "lines": [], "total_cents": None, "placed_at": None, "reservation": None,
        "priced_lines": [], "reserved_cents": None, "payment": None, "payer_id": None,
        "authorized_cents": 0, "captured_cents": 0, "updated_at": at, "search_text": "",
    }  # fmt: skip


def new_customer(customer_id: str) -> Row:
    return {"customer_id": customer_id, "orders": 0, "credit_limit_cents": None,
            "held_cents": 0, "captured_cents": 0}  # fmt: skip


def keys(envelopes: list[EventEnvelope]) -> tuple[set[str], set[str], set[str]]:
    """The order ids, SKUs and customer ids a run of events names."""
    orders: set[str] = set()
    skus: set[str] = set()
    customers: set[str] = set()
    for envelope in envelopes:
        event = envelope.event
        if isinstance(event, ProductAdded | StockRestocked):
            skus.add(event.sku)
            continue
        if isinstance(event, AccountOpened):
            customers.add(event.customer_id)
            continue
        orders.add(event.order_id)
        if isinstance(event, StockReserved | StockReleased | StockCommitted):
            skus.update(line.sku for line in event.lines)
        if isinstance(event, OrderPlaced | PaymentAuthorized):
            customers.add(event.customer_id)
    return orders, skus, customers


def fold(rows: Rows, envelope: EventEnvelope) -> None:
    """Apply one event; raises Unappliable (having changed nothing) if it cannot be."""
    event, at = envelope.event, utc(envelope.occurred_at)
    if isinstance(event, CATALOG_EVENTS):
        _fold_catalog(rows, event)
        return
    _check(rows, event)
    order = rows.order(event.order_id, at)
    match event:
        case OrderPlaced():
            order.update(customer_id=event.customer_id, placed_at=at,
                         lines=[line.model_dump() for line in event.items])  # fmt: skip
            order["status"] = order["status"] or "PENDING"
            rows.customer(event.customer_id)["orders"] += 1
            rows.skus.update((line.sku, event.order_id) for line in event.items)
        case OrderApproved() | OrderCompleted():
            order.update(status=_STATUS[event.kind], total_cents=event.total_cents, reason=None)
        case OrderClosed():
            order.update(status=event.status, reason=event.reason)
        case StockReserved():
            order.update(reservation="RESERVED", reserved_cents=event.total_cents,
                         priced_lines=[line.model_dump() for line in event.lines])  # fmt: skip
            for line in event.lines:
                rows.product(line.sku)["reserved"] += line.quantity
        case StockReleased() | StockCommitted() if not event.lines:
            order["reservation"] = order["reservation"] or _STATUS[event.kind]
        case StockReleased():
            order["reservation"] = "RELEASED"
            for released in event.lines:
                rows.product(released.sku)["reserved"] -= released.quantity
        case StockCommitted():
            order["reservation"] = "COMMITTED"
            for sold in event.lines:
                product = rows.product(sold.sku)
                product["reserved"] -= sold.quantity
                product["on_hand"] -= sold.quantity
        case PaymentAuthorized():
            order.update(payment="AUTHORIZED", payer_id=event.customer_id,
                         authorized_cents=event.amount_cents)  # fmt: skip
            rows.customer(event.customer_id)["held_cents"] += event.amount_cents
        case AuthorizationVoided():
            order["payment"] = "VOIDED" if event.amount_cents else order["payment"] or "VOIDED"
            if event.amount_cents and order["payer_id"]:
                rows.customer(order["payer_id"])["held_cents"] -= event.amount_cents
        case PaymentCaptured():
            order.update(payment="CAPTURED", captured_cents=event.amount_cents)
            if order["payer_id"]:
                payer = rows.customer(order["payer_id"])
                payer["held_cents"] -= event.amount_cents
                payer["captured_cents"] += event.amount_cents
    # A refused command (CommandRejected) changes no view: the service stored nothing either.
    # The order's reason comes with OrderClosed; the refusal is on its timeline.
    rows.timeline.append(
        {
            "source": envelope.source,
            "seq": envelope.seq,
            "order_id": event.order_id,
            "kind": event.kind,
            "occurred_at": at,
            "detail": describe(envelope),
        }  # fmt: skip
    )


def _fold_catalog(rows: Rows, event: ProductAdded | StockRestocked | AccountOpened) -> None:
    """An operator's event: a product or a customer changes; no order, no timeline."""
    match event:
        case ProductAdded():
            rows.new_product(event)
        case StockRestocked():
            rows.product(event.sku)["on_hand"] += event.quantity
        case AccountOpened():
            rows.customer(event.customer_id)["credit_limit_cents"] = event.credit_limit_cents


_STATUS = {
    "OrderApproved": "APPROVED",
    "OrderCompleted": "COMPLETED",
    "StockReleased": "RELEASED",
    "StockCommitted": "COMMITTED",
}


def _check(rows: Rows, event: Any) -> None:
    """Refuse, before any change, what would break a product's invariant."""
    if not isinstance(event, StockReserved | StockReleased | StockCommitted):
        return
    for line in event.lines:
        product = rows.products.get(line.sku)
        if product is None:
            raise Unappliable(f"SKU {line.sku} is not in the products view")
        reserved, on_hand = product["reserved"], product["on_hand"]
        if isinstance(event, StockReserved):
            reserved += line.quantity
        else:
            reserved -= line.quantity
        if isinstance(event, StockCommitted):
            on_hand -= line.quantity
        if reserved < 0 or reserved > on_hand:
            raise Unappliable(
                f"{event.kind} of {line.quantity} x {line.sku} would leave {reserved} reserved "
                f"of {on_hand} on hand"
            )


def search_text(order: Row) -> str:
    """What `q=` finds an order by: its id, customer, status, reason and SKUs (all the orders
    service's, so it writes this column alone)."""
    skus = " ".join(line["sku"] for line in order["lines"])
    parts = (order["order_id"], order["customer_id"], order["status"], order["reason"], skus)
    return " ".join(part for part in parts if part)
