"""Inventory's queries: a SKU's stock level and the event feed. They change nothing."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.queries import FeedPage, GetStock, ReadFeed, StockLevel
from inventory.models import TABLES, StockItem
from persistence.event_log import read_feed

SOURCE = "inventory"

Sessions = async_sessionmaker[AsyncSession]


async def handle_query(sessions: Sessions, query: GetStock | ReadFeed) -> StockLevel | FeedPage:
    if isinstance(query, GetStock):
        return await get_stock(sessions, query)
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
