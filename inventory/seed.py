"""Demo stock, put in an empty inventory on first start so a new user can order at once.

It covers every path: plenty (SKU-42), a few (SKU-7), nearly gone (SKU-LAST) and none
(SKU-GONE). Two processes starting together both insert, and the conflicts are ignored.
"""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory.models import StockItem

DEMO_STOCK: list[dict[str, Any]] = [
    {"sku": "SKU-42", "name": "Espresso beans 1kg", "unit_price_cents": 1890, "on_hand": 100},
    {"sku": "SKU-7", "name": "Grinder", "unit_price_cents": 12900, "on_hand": 10},
    {"sku": "SKU-LAST", "name": "Limited edition mug", "unit_price_cents": 2500, "on_hand": 3},
    {"sku": "SKU-GONE", "name": "Retired kettle", "unit_price_cents": 4900, "on_hand": 0},
]


async def seed_if_empty(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Seed the demo stock unless the table has any row; True if this call seeded."""
    async with sessions() as session, session.begin():
        if await session.scalar(select(func.count()).select_from(StockItem)):
            return False
        await _insert_ignoring_conflicts(session, [{**item, "reserved": 0} for item in DEMO_STOCK])
        return True


async def _insert_ignoring_conflicts(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: a concurrent seeder's rows win, ours are skipped."""
    is_postgres = session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if is_postgres else sqlite.insert
    await session.execute(insert(StockItem).values(rows).on_conflict_do_nothing())
