"""Inventory's rules that need no database: merging lines, pricing them, and the wording of
rejections, so handlers only load, act and commit."""

from collections import Counter
from enum import StrEnum

from contracts.orders import OrderLine, PricedLine
from contracts.rejections import Rejected, RejectionCode


class ReservationStatus(StrEnum):
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"


def merge_lines(items: list[OrderLine]) -> list[OrderLine]:
    """One line per SKU, sorted by SKU.

    Merging makes "2 x A, 1 x A" one check of 3 units instead of two checks that could each
    pass; sorting makes concurrent orders lock stock rows in the same order, so they queue
    behind each other on PostgreSQL instead of deadlocking.
    """
    quantities: Counter[str] = Counter()
    for line in items:
        quantities[line.sku] += line.quantity
    return [OrderLine(sku=sku, quantity=qty) for sku, qty in sorted(quantities.items())]


def total_cents(lines: list[PricedLine]) -> int:
    return sum(line.unit_price_cents * line.quantity for line in lines)


def unknown_sku(sku: str) -> Rejected:
    return Rejected(RejectionCode.UNKNOWN_SKU, f"unknown SKU {sku}")


def out_of_stock(sku: str, available: int, requested: int) -> Rejected:
    return Rejected(
        RejectionCode.OUT_OF_STOCK, f"only {available} of {sku} available, {requested} requested"
    )


def already_released(order_id: str) -> Rejected:
    """The reservation arrived after its compensation: reserving now would strand the stock."""
    return Rejected(RejectionCode.ALREADY_COMPENSATED, f"order {order_id} was already released")
