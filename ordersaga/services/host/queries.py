"""A service's queries over request/reply: its own (by query type) and the event feed every
service answers (`ReadFeed`). Each is answered in one read transaction and changes nothing."""

from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.queries import FeedPage, ReadFeed
from ordersaga.database.engine import Sessions
from ordersaga.database.event_log import read_feed
from ordersaga.database.messaging_tables import MessagingTables
from ordersaga.services.host.service import QueryHandler, Service, by_kind


class Queries:
    def __init__(self, service: Service, sessions: Sessions, tables: MessagingTables) -> None:
        self._service, self._sessions, self._tables = service, sessions, tables
        self._handlers: dict[type[BaseModel], QueryHandler] = {
            ReadFeed: self._read_feed,
            **service.queries,
        }
        self._parser = by_kind(list(self._handlers))

    def parse(self, body: bytes) -> Any:
        return self._parser.validate_json(body)

    async def handle(self, query: Any) -> BaseModel:
        async with self._sessions() as session, session.begin():
            return await self._handlers[type(query)](session, query)

    async def _read_feed(self, session: AsyncSession, query: ReadFeed) -> FeedPage:
        events, parked = await read_feed(
            session, self._tables, self._service.name, query.after_seq, query.limit
        )
        return FeedPage(events=events, parked=parked)
