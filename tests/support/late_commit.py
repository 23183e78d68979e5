"""A transaction of another session that commits at the worst moment for a compensation: right
after the compensation's transaction first looked for the row and found none. Only PostgreSQL
lets that happen (READ COMMITTED: each statement sees the latest commits); SQLite serialises
writers, so the other transaction would wait for this one."""

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.services.host.service import Service
from tests.conftest import DatabaseFactory
from tests.support.rules import Rules, rules_of


@contextlib.asynccontextmanager
async def rules_on_postgres(service: Service, dsn: str, tmp_path: Path) -> AsyncIterator[Rules]:
    factory = DatabaseFactory("postgresql", tmp_path)
    factory.dsn = dsn
    try:
        async with rules_of(service, await factory.new_url(service.name), demo_data=True) as rules:
            yield rules
    finally:
        await factory.drop_all()


def commit_after_first_miss(
    monkeypatch: pytest.MonkeyPatch, model: type[Any], commit: Callable[[], Awaitable[Any]]
) -> None:
    """The first `session.get(model, ...)` that finds nothing runs `commit` (in sessions of its
    own) before it answers."""
    real_get, missed = AsyncSession.get, False

    async def get(self: AsyncSession, entity: Any, ident: Any, **options: Any) -> Any:
        nonlocal missed
        found = await real_get(self, entity, ident, **options)
        if entity is model and found is None and not missed:
            missed = True
            await commit()
        return found

    monkeypatch.setattr(AsyncSession, "get", get)
