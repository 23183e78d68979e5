"""What a source's snapshot says the views hold: for each view table, each row's key and the
values of the columns that source owns (see views.py). Backfill writes them; reconcile compares
them with the views."""

from typing import Any

from ordersaga.contracts.snapshots import InventoryState, OrdersState, PaymentState, SnapshotPage

Owned = dict[str, dict[str, dict[str, Any]]]
"""table name -> key -> {column: value}"""

OWNED_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "orders": {
        "orders": ("customer_id", "status", "reason", "lines", "total_cents"),
        "customers": ("orders",),
    },
    "inventory": {
        "orders": ("reservation", "priced_lines", "reserved_cents"),
        "products": ("name", "unit_price_cents", "on_hand", "reserved"),
    },
    "payment": {
        "orders": ("payment", "payer_id", "authorized_cents", "captured_cents"),
        "customers": ("credit_limit_cents", "held_cents", "captured_cents"),
    },
}


def owned(page: SnapshotPage) -> Owned:
    state = page.state
    if isinstance(state, OrdersState):
        return _orders(state)
    if isinstance(state, InventoryState):
        return _inventory(state)
    return _payment(state)


def placed_at(page: SnapshotPage) -> dict[str, Any]:
    """When each order was placed, as the orders service recorded it."""
    if not isinstance(page.state, OrdersState):
        return {}
    return {o.order_id: o.created_at for o in page.state.orders if o.items}


def _orders(state: OrdersState) -> Owned:
    orders, counts = {}, dict[str, int]()
    for o in state.orders:
        orders[o.order_id] = {
            "customer_id": o.customer_id if o.items else None,
            "status": o.status,
            "reason": o.reason,
            "lines": [line.model_dump() for line in o.items],
            "total_cents": o.total_cents,
        }
        if o.items:  # a tombstone was never placed
            counts[o.customer_id] = counts.get(o.customer_id, 0) + 1
    customers = {c: {"orders": n} for c, n in counts.items()}
    return {"orders": orders, "customers": customers}


def _inventory(state: InventoryState) -> Owned:
    products = {
        i.sku: {
            "name": i.name,
            "unit_price_cents": i.unit_price_cents,
            "on_hand": i.on_hand,
            "reserved": i.reserved,
        }
        for i in state.stock_items
    }
    # A reservation with no lines is a tombstone (released before it was made): no event ever
    # told of it, so the views, which follow the events, do not hold it either.
    orders = {
        r.order_id: {
            "reservation": r.status,
            "priced_lines": [line.model_dump() for line in r.lines],
            "reserved_cents": r.total_cents,
        }
        for r in state.reservations
        if r.lines
    }
    return {"products": products, "orders": orders}


def _payment(state: PaymentState) -> Owned:
    customers = {
        a.customer_id: {
            "credit_limit_cents": a.credit_limit_cents,
            "held_cents": a.held_cents,
            "captured_cents": a.captured_cents,
        }
        for a in state.accounts
    }
    orders = {
        a.order_id: {
            "payment": a.status,
            "payer_id": a.customer_id,
            "authorized_cents": a.amount_cents,
            "captured_cents": a.amount_cents if a.status == "CAPTURED" else 0,
        }
        for a in state.authorizations
        if a.customer_id is not None  # a tombstone (voided before it was made): no event
    }
    return {"customers": customers, "orders": orders}
