"""The sources' feeds, heads and snapshots, asked over RabbitMQ request/reply: the projector
never reads another service's tables."""

import uuid

from pydantic import BaseModel

from ordersaga.contracts.queries import FeedPage, ReadFeed
from ordersaga.contracts.snapshots import GetHead, Head, Snapshot, SnapshotPage
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import Topology


class Feeds:
    def __init__(
        self, requests: RequestClient, topology: Topology, timeout_seconds: float = 10.0
    ) -> None:
        self._requests, self._topology, self._timeout = requests, topology, timeout_seconds

    async def page(self, source: str, after_seq: int, limit: int) -> FeedPage:
        raw = await self._ask(source, ReadFeed(after_seq=after_seq, limit=limit))
        return FeedPage.model_validate_json(raw)

    async def head(self, source: str) -> int:
        return Head.model_validate_json(await self._ask(source, GetHead())).seq

    async def snapshot(self, source: str) -> SnapshotPage:
        # A snapshot of a large service takes a while to read and carry: allow for it.
        raw = await self._ask(source, Snapshot(), self._timeout * 6)
        return SnapshotPage.model_validate_json(raw)

    async def _ask(self, source: str, query: BaseModel, timeout: float | None = None) -> bytes:
        return await self._requests.request(
            self._topology.query_queue(source), query, uuid.uuid4().hex, timeout or self._timeout
        )
