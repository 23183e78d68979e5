"""The outbox relay: publishes committed events from a service's log to the events exchange,
in sequence order, then marks them published.

It publishes only what a transaction already committed (no dual write). A crash between
publish and mark re-publishes the same events with the same sequence numbers, which a
projector skips as duplicates. `notify()` wakes it right after a commit; the poll interval is
the backstop.
"""

import asyncio
import logging

from aio_pika import DeliveryMode, Message
from aio_pika.abc import AbstractChannel, AbstractExchange
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from messaging.topology import Topology, declare_events_exchange
from persistence.event_log import mark_published, read_unpublished
from persistence.messaging_tables import MessagingTables

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        source: str,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        topology: Topology,
        poll_seconds: float = 1.0,
        batch: int = 200,
    ) -> None:
        self._source = source
        self._sessions = sessions
        self._tables = tables
        self._topology = topology
        self._poll_seconds = poll_seconds
        self._batch = batch
        self._wake = asyncio.Event()

    def notify(self) -> None:
        self._wake.set()

    async def run(self, channel: AbstractChannel) -> None:
        """Relay until cancelled. Broker or database errors wait for the next wake-up."""
        exchange = await declare_events_exchange(channel, self._topology)
        while True:
            try:
                while await self.relay_once(exchange) == self._batch:
                    pass
            except Exception:
                log.exception("%s outbox relay: publishing failed, will try again", self._source)
            try:
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()

    async def relay_once(self, exchange: AbstractExchange) -> int:
        async with self._sessions() as session, session.begin():
            envelopes = await read_unpublished(session, self._tables, self._source, self._batch)
        for envelope in envelopes:
            await exchange.publish(
                Message(
                    envelope.model_dump_json().encode(),
                    content_type="application/json",
                    delivery_mode=DeliveryMode.PERSISTENT,
                    message_id=f"{self._source}:{envelope.seq}",
                    type=envelope.event.kind,
                ),
                routing_key=f"{self._source}.{envelope.event.kind}",
            )
        if envelopes:
            async with self._sessions() as session, session.begin():
                await mark_published(session, self._tables, [e.seq for e in envelopes])
        return len(envelopes)
