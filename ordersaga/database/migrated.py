"""A database opened the way every process opens its own: migrated to head, demo data put in an
empty table if asked, the engine disposed on exit."""

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ordersaga.database.engine import (
    Sessions,
    create_engine,
    dispose,
    insert_new,
    session_factory,
)
from ordersaga.database.migrations import upgrade_to_head


@dataclass(frozen=True)
class DemoData:
    """Rows put in an empty table on first start, so a new user can order at once."""

    model: type[Any]
    rows: Sequence[Mapping[str, Any]]


@asynccontextmanager
async def migrated_database(
    url: str, migrations: Path, demo_data: DemoData | None = None
) -> AsyncIterator[Sessions]:
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine, migrations)
        sessions = session_factory(engine)
        if demo_data is not None:
            await put_demo_data(sessions, demo_data)
        yield sessions
    finally:
        await dispose(engine)


async def put_demo_data(sessions: Sessions, demo: DemoData) -> bool:
    """Insert the demo rows unless the table has any; True if this call did. Two processes
    starting together both insert, and the loser's conflicting rows are ignored."""
    async with sessions() as session, session.begin():
        if await session.scalar(select(func.count()).select_from(demo.model)):
            return False
        rows = [dict(row) for row in demo.rows]
        await session.execute(insert_new(session, demo.model), rows)
        return True
