"""A service's rules on a real database, applied as the host applies them (exactly once, in one
transaction with the stored reply and the events), without the bus."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from ordersaga.contracts.events import EventEnvelope
from ordersaga.contracts.queries import FeedPage, ReadFeed
from ordersaga.contracts.replies import Reply
from ordersaga.database.engine import Sessions
from ordersaga.database.messaging_tables import messaging_tables
from ordersaga.database.migrated import migrated_database
from ordersaga.services.host.commands import Commands
from ordersaga.services.host.queries import Queries
from ordersaga.services.host.service import Service


@dataclass(frozen=True)
class Rules:
    sessions: Sessions
    commands: Commands
    queries: Queries

    async def handle(self, command: Any) -> Reply:
        return await self.commands.handle(command)

    async def delivered(self, command: Any) -> Reply:
        """Handle `command` as the broker delivers it: again after an attempt that failed on a
        primary key (the loser of a race between two commands for one order)."""
        while True:
            try:
                return await self.handle(command)
            except IntegrityError:
                continue

    async def ask(self, query: BaseModel) -> Any:
        return await self.queries.handle(query)

    async def feed(self, after_seq: int = 0) -> list[EventEnvelope]:
        page: FeedPage = await self.ask(ReadFeed(after_seq=after_seq))
        return page.events


@contextlib.asynccontextmanager
async def rules_of(service: Service, url: str, demo_data: bool = False) -> AsyncIterator[Rules]:
    demo = service.demo_data if demo_data else None
    async with migrated_database(url, service.migrations, demo) as sessions:
        tables = messaging_tables(service.tables)
        yield Rules(
            sessions, Commands(service, sessions, tables), Queries(service, sessions, tables)
        )
