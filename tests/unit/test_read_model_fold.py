"""How events change the views (fold.py), and consistency tokens: pure functions."""

from datetime import UTC, datetime
from typing import Any

import pytest

from ordersaga.contracts.events import (
    AuthorizationVoided,
    EventEnvelope,
    OrderPlaced,
    PaymentAuthorized,
    PaymentCaptured,
    StockCommitted,
    StockReleased,
)
from ordersaga.contracts.orders import OrderLine
from ordersaga.projector.consistency import BadToken, Token
from ordersaga.projector.fold import Rows, Unappliable, fold, search_text

AT = datetime(2026, 11, 30, tzinfo=UTC)


def _at(seq: int, event: Any, source: str = "payment") -> EventEnvelope:
    return EventEnvelope(source=source, seq=seq, occurred_at=AT, event=event)


def test_money_follows_the_payer_from_authorization_to_capture_or_void() -> None:
    rows = Rows()
    fold(
        rows,
        _at(
            1,
            PaymentAuthorized(
                order_id="a", authorization_id="x", customer_id="bob", amount_cents=500
            ),
        ),
    )
    fold(
        rows,
        _at(
            2,
            PaymentAuthorized(
                order_id="b", authorization_id="y", customer_id="bob", amount_cents=300
            ),
        ),
    )
    fold(rows, _at(3, PaymentCaptured(order_id="a", authorization_id="x", amount_cents=500)))
    fold(rows, _at(4, AuthorizationVoided(order_id="b", amount_cents=300)))
    assert rows.customers["bob"]["held_cents"] == 0
    assert rows.customers["bob"]["captured_cents"] == 500
    assert (rows.orders["a"]["payment"], rows.orders["b"]["payment"]) == ("CAPTURED", "VOIDED")
    assert [entry["seq"] for entry in rows.timeline] == [1, 2, 3, 4]


def test_a_void_of_nothing_leaves_a_tombstone_and_moves_no_money() -> None:
    rows = Rows()
    fold(rows, _at(1, AuthorizationVoided(order_id="a", amount_cents=0)))
    assert rows.orders["a"]["payment"] == "VOIDED" and rows.customers == {}


def test_an_event_that_would_break_a_products_stock_changes_nothing() -> None:
    rows = Rows(products={"SKU-1": {"sku": "SKU-1", "on_hand": 5, "reserved": 1}})
    sold = StockCommitted(order_id="a", lines=[OrderLine(sku="SKU-1", quantity=3)])
    with pytest.raises(Unappliable, match="3 x SKU-1"):
        fold(rows, _at(1, sold, "inventory"))
    released = StockReleased(order_id="a", lines=[OrderLine(sku="SKU-X", quantity=1)])
    with pytest.raises(Unappliable, match="SKU-X is not in the products view"):
        fold(rows, _at(2, released, "inventory"))
    assert rows.products["SKU-1"] == {"sku": "SKU-1", "on_hand": 5, "reserved": 1}
    assert rows.orders == {} and rows.timeline == []


def test_an_order_is_found_by_its_customer_status_and_skus() -> None:
    rows = Rows()
    placed = OrderPlaced(order_id="o1", customer_id="alice", payment_method="card",
                         items=[OrderLine(sku="SKU-42", quantity=1)])  # fmt: skip
    fold(rows, _at(1, placed, "orders"))
    assert search_text(rows.orders["o1"]) == "o1 alice PENDING SKU-42"
    assert rows.customers["alice"]["orders"] == 1 and rows.skus == {("SKU-42", "o1")}


def test_a_token_names_each_source_s_position_and_is_reached_by_at_least_those() -> None:
    token = Token.parse("payment:3,orders:12")
    assert str(token) == "orders:12,payment:3"
    assert token.reached_by({"orders": 12, "payment": 4, "inventory": 0})
    assert not token.reached_by({"orders": 11, "payment": 9})
    with pytest.raises(BadToken):
        Token.parse("orders=12")
