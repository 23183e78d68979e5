"""A service's queries over request/reply: its own (by query type), and what every service
answers for a read model: its feed (`ReadFeed`), its head (`GetHead`) and a `Snapshot` of its
state at its watermark. Each is answered in one read transaction and changes nothing."""

from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.queries import FeedPage, ReadFeed
from ordersaga.contracts.snapshots import GetHead, Head, Snapshot, SnapshotPage
from ordersaga.database.engine import Sessions, consistent_reader
from ordersaga.database.event_log import head, read_feed
from ordersaga.database.messaging_tables import MessagingTables
from ordersaga.services.host.service import QueryHandler, Service, by_kind


class Queries:
    def __init__(self, service: Service, sessions: Sessions, tables: MessagingTables) -> None:
        self._service, self._tables = service, tables
        # One snapshot of the database per query: the state and the watermark a Snapshot
        # reports must be read as of the same moment (REPEATABLE READ on PostgreSQL).
        self._sessions = consistent_reader(sessions)
        self._handlers: dict[type[BaseModel], QueryHandler] = {
            ReadFeed: self._read_feed,
            GetHead: self._head,
            **service.queries,
        }
        if service.state is not None:
            self._handlers[Snapshot] = self._snapshot
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
        return FeedPage(events=events, parked=parked, head=await head(session, self._tables))

    async def _head(self, session: AsyncSession, _query: GetHead) -> Head:
        return Head(source=self._service.name, seq=await head(session, self._tables))

    async def _snapshot(self, session: AsyncSession, _query: Snapshot) -> SnapshotPage:
        assert self._service.state is not None
        watermark = await head(session, self._tables)
        state = await self._service.state(session)
        return SnapshotPage(source=self._service.name, seq=watermark, state=state)
