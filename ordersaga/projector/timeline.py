"""How an order's event reads on its timeline: one line each (fold.py adds it as it applies the
event; loading.py for the events before a backfill's watermark)."""

from typing import Any

from ordersaga.contracts.events import (
    AuthorizationVoided,
    CommandRejected,
    EventEnvelope,
    OrderApproved,
    OrderClosed,
    OrderCompleted,
    OrderPlaced,
    PaymentAuthorized,
    PaymentCaptured,
    StockCommitted,
    StockReleased,
    StockReserved,
)

_DONE = {
    "OrderApproved": "approved",
    "OrderCompleted": "completed",
    "StockReleased": "released",
    "StockCommitted": "committed",
}


def describe(envelope: EventEnvelope) -> str:
    """One line for an order's timeline."""
    event = envelope.event
    match event:
        case OrderPlaced():
            return f"placed by {event.customer_id}: {_lines(event.items)}"
        case OrderApproved() | OrderCompleted():
            return f"{_DONE[event.kind]}, total {event.total_cents / 100:.2f}"
        case OrderClosed():
            return f"{event.status.lower()}: {event.reason}"
        case StockReserved():
            return f"reserved {_lines(event.lines)}, {event.total_cents / 100:.2f}"
        case StockReleased() | StockCommitted():
            what = _lines(event.lines) if event.lines else "nothing (no reservation)"
            return f"{_DONE[event.kind]} {what}"
        case PaymentAuthorized():
            return f"authorized {event.amount_cents / 100:.2f} on {event.customer_id}'s account"
        case AuthorizationVoided():
            return f"voided {event.amount_cents / 100:.2f}"
        case PaymentCaptured():
            return f"captured {event.amount_cents / 100:.2f}"
        case CommandRejected():
            return f"{event.command} refused ({event.code}): {event.reason}"
    return event.kind


def _lines(lines: list[Any]) -> str:
    return ", ".join(f"{line.quantity} x {line.sku}" for line in lines)
