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

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.commands import CommitStock, ReleaseStock, ReserveStock
from ordersaga.contracts.events import StockCommitted, StockReleased, StockReserved
from ordersaga.contracts.orders import OrderLine, PricedLine
from ordersaga.contracts.rejections import Rejected
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
from ordersaga.services.inventory.models import Reservation, StockItem


async def reserve_stock(session: AsyncSession, command: ReserveStock) -> Outcome:
    existing = await session.get(Reservation, command.order_id)
    if existing is not None:
        return _already_reserved(existing)
    lines = [await _take(session, line) for line in merge_lines(command.items)]
    total = checked_total(lines)
    session.add(_reservation(command.order_id, ReservationStatus.RESERVED, lines))
    await session.flush()
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


def _already_reserved(reservation: Reservation) -> Outcome:
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
    result = await session.execute(
        update(StockItem)
        .where(StockItem.sku == line.sku, StockItem.on_hand - StockItem.reserved >= line.quantity)
        .values(reserved=StockItem.reserved + line.quantity)
        .returning(StockItem.unit_price_cents)
        .execution_options(synchronize_session=False)
    )
    price = result.scalar_one_or_none()
    if price is None:
        raise await _why_not_reservable(session, line)
    return PricedLine(sku=line.sku, quantity=line.quantity, unit_price_cents=price)


async def _why_not_reservable(session: AsyncSession, line: OrderLine) -> Rejected:
    item = await session.get(StockItem, line.sku)
    if item is None:
        return unknown_sku(line.sku)
    return out_of_stock(line.sku, item.on_hand - item.reserved, line.quantity)


async def _claim(
    session: AsyncSession, order_id: str, status: ReservationStatus
) -> list[PricedLine] | None:
    """Move a RESERVED reservation to `status` in one statement, so of a release and a commit
    (or two of either) only one moves the units; None if it was not RESERVED."""
    result = await session.execute(
        update(Reservation)
        .where(Reservation.order_id == order_id, Reservation.status == ReservationStatus.RESERVED)
        .values(status=status, updated_at=datetime.now(UTC))
        .returning(Reservation.lines)
        .execution_options(synchronize_session=False)
    )
    lines = result.scalar_one_or_none()
    return None if lines is None else [PricedLine.model_validate(line) for line in lines]


async def _nothing_to_release(session: AsyncSession, order_id: str) -> Outcome:
    """The claim found nothing RESERVED. Releasing what was never reserved succeeds and leaves a
    tombstone, so a late reserve is refused (one racing it loses on the primary key, and its
    retry is refused); releasing twice succeeds; releasing a sale cannot. A reservation that
    committed since the claim looked (READ COMMITTED: each statement sees the latest commits)
    is released after all: what this look sees is what the answer says."""
    existing = await session.get(Reservation, order_id, populate_existing=True)
    if existing is None:
        session.add(_reservation(order_id, ReservationStatus.RELEASED, []))
        await session.flush()
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
    existing = await session.get(Reservation, order_id, populate_existing=True)
    if existing is None:
        raise nothing_to_commit(order_id)
    if existing.status == ReservationStatus.RELEASED:
        raise already_released(order_id)
    return Outcome(StockCommitted(order_id=order_id, lines=[]), changed=False)


async def _change_stock(
    session: AsyncSession, line: OrderLine, reserved: int, on_hand: int = 0
) -> None:
    await session.execute(
        update(StockItem)
        .where(StockItem.sku == line.sku)
        .values(reserved=StockItem.reserved + reserved, on_hand=StockItem.on_hand + on_hand)
        .execution_options(synchronize_session=False)
    )


def _unpriced(lines: list[PricedLine]) -> list[OrderLine]:
    return [OrderLine(sku=line.sku, quantity=line.quantity) for line in lines]


def _reservation(order_id: str, status: ReservationStatus, lines: list[PricedLine]) -> Reservation:
    now = datetime.now(UTC)
    return Reservation(
        order_id=order_id,
        status=status,
        lines=[line.model_dump() for line in lines],
        total_cents=total_cents(lines),
        created_at=now,
        updated_at=now,
    )
