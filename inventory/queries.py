"""Inventory's queries: a SKU's stock level, reservations by status and the event feed. They
change nothing."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.orders import OrderLine
from contracts.queries import (
    FeedPage,
    GetStock,
    ListReservations,
    ReadFeed,
    ReservationInfo,
    ReservationPage,
    StockLevel,
)
from inventory.models import TABLES, Reservation, StockItem
from persistence.event_log import read_feed

SOURCE = "inventory"

Sessions = async_sessionmaker[AsyncSession]


async def handle_query(
    sessions: Sessions, query: GetStock | ReadFeed | ListReservations
) -> StockLevel | FeedPage | ReservationPage:
    if isinstance(query, GetStock):
        return await get_stock(sessions, query)
    if isinstance(query, ListReservations):
        return await list_reservations(sessions, query)
    return await read_events(sessions, query)


async def get_stock(sessions: Sessions, query: GetStock) -> StockLevel:
    async with sessions() as session, session.begin():
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


async def read_events(sessions: Sessions, query: ReadFeed) -> FeedPage:
    async with sessions() as session, session.begin():
        events = await read_feed(session, TABLES, SOURCE, query.after_seq, query.limit)
    return FeedPage(events=events)


async def list_reservations(sessions: Sessions, query: ListReservations) -> ReservationPage:
    async with sessions() as session, session.begin():
        rows = list(
            await session.scalars(
                select(Reservation)
                .where(
                    Reservation.status == query.status,
                    Reservation.order_id > query.after_order_id,
                )
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
