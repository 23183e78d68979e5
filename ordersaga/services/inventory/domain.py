"""Inventory's rules that need no database: merging lines, pricing them, and the wording of
rejections, so handlers only load, act and commit."""

from collections import Counter
from enum import StrEnum

from ordersaga.contracts.orders import OrderLine, PricedLine
from ordersaga.contracts.rejections import Rejected, RejectionCode


class ReservationStatus(StrEnum):
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"
    COMMITTED = "COMMITTED"


MAX_UNITS_PER_SKU = 1000
"""What one order may reserve of one SKU, however many lines it spreads them over."""

MAX_ORDER_TOTAL_CENTS = 1_000_000_000
"""The largest total an order may reach: well inside the 32-bit money columns of every service."""


def merge_lines(items: list[OrderLine]) -> list[OrderLine]:
    """One line per SKU, sorted by SKU; a SKU over MAX_UNITS_PER_SKU is refused.

    Merging makes "2 x A, 1 x A" one check of 3 units instead of two checks that could each
    pass; sorting makes concurrent orders lock stock rows in the same order, so they queue
    behind each other on PostgreSQL instead of deadlocking.
    """
    quantities: Counter[str] = Counter()
    for line in items:
        quantities[line.sku] += line.quantity
    for sku, quantity in quantities.items():
        if quantity > MAX_UNITS_PER_SKU:
            raise invalid_order(f"{quantity} x {sku} is over {MAX_UNITS_PER_SKU} units of a SKU")
    return [OrderLine(sku=sku, quantity=qty) for sku, qty in sorted(quantities.items())]


def total_cents(lines: list[PricedLine]) -> int:
    return sum(line.unit_price_cents * line.quantity for line in lines)


def checked_total(lines: list[PricedLine]) -> int:
    """The order's total, refused when it would not fit the money columns downstream."""
    total = total_cents(lines)
    if total > MAX_ORDER_TOTAL_CENTS:
        raise invalid_order(f"a total of {total} cents is over {MAX_ORDER_TOTAL_CENTS}")
    return total


def invalid_order(reason: str) -> Rejected:
    return Rejected(RejectionCode.INVALID_ORDER, reason)


def unknown_sku(sku: str) -> Rejected:
    return Rejected(RejectionCode.UNKNOWN_SKU, f"unknown SKU {sku}")


def out_of_stock(sku: str, available: int, requested: int) -> Rejected:
    return Rejected(
        RejectionCode.OUT_OF_STOCK, f"only {available} of {sku} available, {requested} requested"
    )


def already_released(order_id: str) -> Rejected:
    """The reservation arrived after its compensation: reserving now would strand the stock;
    or the order's commit came after its release: there is nothing left to sell."""
    return Rejected(RejectionCode.ALREADY_COMPENSATED, f"order {order_id} was already released")


def already_committed(order_id: str) -> Rejected:
    """A release after the sale: the stock left the warehouse's count, it cannot come back."""
    return Rejected(
        RejectionCode.ALREADY_COMMITTED,
        f"the stock of order {order_id} was already committed (sold) and cannot be released",
    )


def nothing_to_commit(order_id: str) -> Rejected:
    return Rejected(RejectionCode.NOTHING_TO_COMMIT, f"order {order_id} has no reservation")


def product_exists(sku: str, name: str, unit_price_cents: int) -> Rejected:
    """An add of a SKU that inventory has with another name or price."""
    return Rejected(
        RejectionCode.PRODUCT_EXISTS,
        f"{sku} exists already as {name!r} at {unit_price_cents} cents; "
        "a product's name and price do not change, and more stock comes with a restock",
    )


def too_much_stock(sku: str, on_hand: int, quantity: int, most: int) -> Rejected:
    return Rejected(
        RejectionCode.INVALID_QUANTITY,
        f"{sku} has {on_hand} on hand; {quantity} more would pass the most a SKU holds, {most}",
    )
