"""Inventory's queries: a SKU's stock level, reservations by status, and its whole state for a
Snapshot. They change nothing."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.orders import OrderLine
from ordersaga.contracts.queries import (
    GetStock,
    ListReservations,
    ReservationInfo,
    ReservationPage,
    StockLevel,
)
from ordersaga.contracts.snapshots import InventoryState, ReservationState, StockItemState
from ordersaga.services.inventory.models import Reservation, StockItem


async def get_stock(session: AsyncSession, query: GetStock) -> StockLevel:
    item = await session.get(StockItem, query.sku)
    if item is None:
        return StockLevel(sku=query.sku, found=False)
    return StockLevel(
        sku=item.sku,
        found=True,
        name=item.name,
        unit_price_cents=item.unit_price_cents,
        on_hand=item.on_hand,
        reserved=item.reserved,
        available=item.on_hand - item.reserved,
    )


async def list_reservations(session: AsyncSession, query: ListReservations) -> ReservationPage:
    rows = list(
        await session.scalars(
            select(Reservation)
            .where(Reservation.status == query.status, Reservation.order_id > query.after_order_id)
            .order_by(Reservation.order_id)
            .limit(query.limit)
        )
    )
    found = [
        ReservationInfo(
            order_id=row.order_id,
            status=row.status,
            lines=[OrderLine(sku=line["sku"], quantity=line["quantity"]) for line in row.lines],
        )
        for row in rows
    ]
    last = rows[-1].order_id if len(rows) == query.limit else None
    return ReservationPage(reservations=found, next_after=last)


async def inventory_state(session: AsyncSession) -> InventoryState:
    """Every stock item and reservation: what a Snapshot reports."""
    items = await session.scalars(select(StockItem).order_by(StockItem.sku))
    reservations = await session.scalars(select(Reservation).order_by(Reservation.order_id))
    return InventoryState(
        stock_items=[StockItemState.model_validate(i, from_attributes=True) for i in items],
        reservations=[
            ReservationState.model_validate(r, from_attributes=True) for r in reservations
        ],
    )
