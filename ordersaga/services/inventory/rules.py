"""Inventory's rules: reserve stock for an order, release it on compensation,
commit it (the reservation becomes a sale) once the order completed.

Each rule runs inside the host's transaction and savepoint (services/host/commands.py): it
loads, acts and returns an Outcome; the stored reply, the event and the commit are the host's.

Stock is taken with one conditional UPDATE per SKU (`... WHERE on_hand - reserved >= :q`),
never read-then-write, so concurrent orders cannot oversell on PostgreSQL READ COMMITTED (the
WHERE is re-checked after the row lock) or on SQLite (writers are serialised).

A ReserveStock racing a ReleaseStock of the same order both insert the order's reservation
row; the loser fails on its primary key, the broker redelivers it, and the retry sees the
winner's row: the reservation is released, or the late reservation is refused. A release and a
commit both claim the RESERVED row with one conditional UPDATE: one wins, the other is refused
and changes nothing.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.commands import CommitStock, ReleaseStock, ReserveStock
from ordersaga.contracts.events import StockCommitted, StockReleased, StockReserved
from ordersaga.contracts.orders import OrderLine, PricedLine
from ordersaga.contracts.rejections import Rejected
from ordersaga.database.statements import adding, claiming
from ordersaga.services.host.service import Outcome
from ordersaga.services.inventory.domain import (
    ReservationStatus,
    already_committed,
    already_released,
    checked_total,
    merge_lines,
    nothing_to_commit,
    out_of_stock,
    total_cents,
    unknown_sku,
)
from ordersaga.services.inventory.models import Base

# The statements of a command's hot path, built once and bound per call (database/statements.py).
_STOCK, _RESERVATIONS = Base.metadata.tables["stock_items"], Base.metadata.tables["reservations"]
_TAKE = (
    update(_STOCK)
    .where(
        _STOCK.c.sku == bindparam("of_sku"),
        _STOCK.c.on_hand - _STOCK.c.reserved >= bindparam("n"),
    )
    .values(reserved=_STOCK.c.reserved + bindparam("n"))
    .returning(_STOCK.c.unit_price_cents)
)
_CHANGE_STOCK = adding(_STOCK, "sku", reserved="add_reserved", on_hand="add_on_hand")
_STOCK_OF = select(_STOCK.c.on_hand, _STOCK.c.reserved).where(_STOCK.c.sku == bindparam("sku"))
_RESERVATION_OF = select(_RESERVATIONS).where(_RESERVATIONS.c.order_id == bindparam("order_id"))
_CLAIM = claiming(_RESERVATIONS, "order_id", ReservationStatus.RESERVED, _RESERVATIONS.c.lines)
_ADD_RESERVATION = _RESERVATIONS.insert()


async def reserve_stock(session: AsyncSession, command: ReserveStock) -> Outcome:
    existing = await _reservation_of(session, command.order_id)
    if existing is not None:
        return _already_reserved(existing)
    lines = [await _take(session, line) for line in merge_lines(command.items)]
    total = checked_total(lines)
    await _add_reservation(session, command.order_id, ReservationStatus.RESERVED, lines)
    return Outcome(StockReserved(order_id=command.order_id, lines=lines, total_cents=total))


async def release_stock(session: AsyncSession, command: ReleaseStock) -> Outcome:
    lines = await _claim(session, command.order_id, ReservationStatus.RELEASED)
    if lines is None:
        return await _nothing_to_release(session, command.order_id)
    return await _released(session, command.order_id, lines)


async def _released(session: AsyncSession, order_id: str, lines: list[PricedLine]) -> Outcome:
    for line in lines:
        await _change_stock(session, line, reserved=-line.quantity)
    return Outcome(StockReleased(order_id=order_id, lines=_unpriced(lines)))


async def commit_stock(session: AsyncSession, command: CommitStock) -> Outcome:
    lines = await _claim(session, command.order_id, ReservationStatus.COMMITTED)
    if lines is None:
        return await _nothing_to_commit(session, command.order_id)
    for line in lines:
        await _change_stock(session, line, reserved=-line.quantity, on_hand=-line.quantity)
    return Outcome(StockCommitted(order_id=command.order_id, lines=_unpriced(lines)))


def _already_reserved(reservation: Row[Any]) -> Outcome:
    """Another command for the same order got here first: refuse after a release, else
    answer with what is already held rather than reserving it twice."""
    if reservation.status == ReservationStatus.RELEASED:
        raise already_released(reservation.order_id)
    lines = [PricedLine.model_validate(line) for line in reservation.lines]
    body = StockReserved(
        order_id=reservation.order_id, lines=lines, total_cents=reservation.total_cents
    )
    return Outcome(body, changed=False)


async def _take(session: AsyncSession, line: OrderLine) -> PricedLine:
    result = await session.execute(_TAKE, {"of_sku": line.sku, "n": line.quantity})
    price = result.scalar_one_or_none()
    if price is None:
        raise await _why_not_reservable(session, line)
    return PricedLine(sku=line.sku, quantity=line.quantity, unit_price_cents=price)


async def _why_not_reservable(session: AsyncSession, line: OrderLine) -> Rejected:
    item = (await session.execute(_STOCK_OF, {"sku": line.sku})).one_or_none()
    if item is None:
        return unknown_sku(line.sku)
    return out_of_stock(line.sku, item.on_hand - item.reserved, line.quantity)


async def _claim(
    session: AsyncSession, order_id: str, status: ReservationStatus
) -> list[PricedLine] | None:
    """Move a RESERVED reservation to `status` in one statement, so of a release and a commit
    (or two of either) only one moves the units; None if it was not RESERVED."""
    claimed = {"of_order_id": order_id, "new_status": status, "now": datetime.now(UTC)}
    lines = (await session.execute(_CLAIM, claimed)).scalar_one_or_none()
    return None if lines is None else [PricedLine.model_validate(line) for line in lines]


async def _nothing_to_release(session: AsyncSession, order_id: str) -> Outcome:
    """The claim found nothing RESERVED. Releasing what was never reserved succeeds and leaves a
    tombstone, so a late reserve is refused (one racing it loses on the primary key, and its
    retry is refused); releasing twice succeeds; releasing a sale cannot. A reservation that
    committed since the claim looked (READ COMMITTED: each statement sees the latest commits)
    is released after all: what this look sees is what the answer says."""
    existing = await _reservation_of(session, order_id)
    if existing is None:
        await _add_reservation(session, order_id, ReservationStatus.RELEASED, [])
    elif existing.status == ReservationStatus.RESERVED:
        lines = await _claim(session, order_id, ReservationStatus.RELEASED)
        if lines is not None:
            return await _released(session, order_id, lines)
        return await _nothing_to_release(session, order_id)  # committed since: look again
    elif existing.status == ReservationStatus.COMMITTED:
        raise already_committed(order_id)
    return Outcome(StockReleased(order_id=order_id, lines=[]), changed=False)


async def _nothing_to_commit(session: AsyncSession, order_id: str) -> Outcome:
    """Committing twice succeeds without selling twice; a released or missing reservation has
    nothing to sell."""
    existing = await _reservation_of(session, order_id)
    if existing is None:
        raise nothing_to_commit(order_id)
    if existing.status == ReservationStatus.RELEASED:
        raise already_released(order_id)
    return Outcome(StockCommitted(order_id=order_id, lines=[]), changed=False)


async def _change_stock(
    session: AsyncSession, line: OrderLine, reserved: int, on_hand: int = 0
) -> None:
    change = {"of_sku": line.sku, "add_reserved": reserved, "add_on_hand": on_hand}
    await session.execute(_CHANGE_STOCK, change)


def _unpriced(lines: list[PricedLine]) -> list[OrderLine]:
    return [OrderLine(sku=line.sku, quantity=line.quantity) for line in lines]


async def _reservation_of(session: AsyncSession, order_id: str) -> Row[Any] | None:
    """The order's reservation as committed now (each look reads the database afresh)."""
    return (await session.execute(_RESERVATION_OF, {"order_id": order_id})).one_or_none()


async def _add_reservation(
    session: AsyncSession, order_id: str, status: ReservationStatus, lines: list[PricedLine]
) -> None:
    now = datetime.now(UTC)
    await session.execute(
        _ADD_RESERVATION,
        {
            "order_id": order_id,
            "status": status,
            "lines": [line.model_dump() for line in lines],
            "total_cents": total_cents(lines),
            "created_at": now,
            "updated_at": now,
        },
    )
