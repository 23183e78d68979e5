"""How an operator's events change the views (fold.py): a product added and restocked, an
account opened; none of them touches an order or its timeline."""

from datetime import UTC, datetime
from typing import Any

import pytest

from ordersaga.contracts.events import (
    AccountOpened,
    EventEnvelope,
    OrderPlaced,
    ProductAdded,
    StockReserved,
    StockRestocked,
)
from ordersaga.contracts.orders import OrderLine, PricedLine
from ordersaga.projector.fold import Rows, Unappliable, fold, keys

AT = datetime(2026, 12, 1, tzinfo=UTC)
KETTLE = ProductAdded(sku="NEW-1", name="Kettle", unit_price_cents=4900, on_hand=20)


def _at(seq: int, event: Any, source: str = "inventory") -> EventEnvelope:
    return EventEnvelope(source=source, seq=seq, occurred_at=AT, event=event)


def test_a_product_added_then_restocked_then_reserved() -> None:
    rows = Rows()
    reserved = StockReserved(
        order_id="o1",
        lines=[PricedLine(sku="NEW-1", quantity=30, unit_price_cents=4900)],
        total_cents=30 * 4900,
    )
    for seq, event in enumerate(
        [KETTLE, StockRestocked(sku="NEW-1", quantity=15, on_hand=35), reserved], start=1
    ):
        fold(rows, _at(seq, event))
    assert rows.products["NEW-1"] == {
        "sku": "NEW-1", "name": "Kettle", "unit_price_cents": 4900, "on_hand": 35, "reserved": 30
    }  # fmt: skip
    assert ("products", "NEW-1") in rows.changed
    assert list(rows.orders) == ["o1"] and [e["seq"] for e in rows.timeline] == [3]


def test_an_opened_account_sets_the_customers_credit_and_keeps_its_orders() -> None:
    rows = Rows()
    placed = OrderPlaced(order_id="o1", customer_id="dave", payment_method="card",
                         items=[OrderLine(sku="NEW-1", quantity=1)])  # fmt: skip
    fold(rows, _at(1, placed, "orders"))
    fold(rows, _at(1, AccountOpened(customer_id="dave", credit_limit_cents=9000, blocked=False),
                   "payment"))  # fmt: skip
    assert rows.customers["dave"] == {"customer_id": "dave", "orders": 1,
                                      "credit_limit_cents": 9000, "held_cents": 0,
                                      "captured_cents": 0}  # fmt: skip
    assert [e["kind"] for e in rows.timeline] == ["OrderPlaced"]


def test_what_the_products_view_cannot_take_changes_nothing() -> None:
    rows = Rows(products={"NEW-1": {"sku": "NEW-1", "on_hand": 5, "reserved": 0}})
    with pytest.raises(Unappliable, match="NEW-1 is in the products view already"):
        fold(rows, _at(1, KETTLE))
    with pytest.raises(Unappliable, match="NOPE is not in the products view"):
        fold(rows, _at(2, StockRestocked(sku="NOPE", quantity=1, on_hand=1)))
    assert rows.products == {"NEW-1": {"sku": "NEW-1", "on_hand": 5, "reserved": 0}}
    assert rows.changed == set() and rows.orders == {} and rows.timeline == []


def test_the_keys_of_an_operators_events_are_products_and_customers() -> None:
    events = [
        _at(1, KETTLE),
        _at(2, StockRestocked(sku="NEW-2", quantity=1, on_hand=1)),
        _at(3, AccountOpened(customer_id="dave", credit_limit_cents=1, blocked=True), "payment"),
    ]
    assert keys(events) == (set(), {"NEW-1", "NEW-2"}, {"dave"})
