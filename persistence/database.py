"""A service's database, opened the way every process opens its own: migrated to head, seeded
on first start if asked, disposed on exit."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from persistence.engine import create_engine, session_factory
from persistence.migrations import upgrade_to_head

Sessions = async_sessionmaker[AsyncSession]
Seed = Callable[[Sessions], Awaitable[Any]]


@asynccontextmanager
async def migrated_database(
    url: str, service_package: str, seed: Seed | None = None
) -> AsyncIterator[Sessions]:
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine, service_package)
        sessions = session_factory(engine)
        if seed is not None:
            await seed(sessions)
        yield sessions
    finally:
        await engine.dispose()
