"""The outbox relay on real RabbitMQ and databases: it survives a failing broker declaration,
parks an event row that no longer parses and goes on, and publishes each event once however
many processes run a relay for the same database."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from aio_pika import ExchangeType
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from sqlalchemy import select

from ordersaga.contracts.events import EventEnvelope, OrderApproved
from ordersaga.database.engine import Sessions
from ordersaga.database.event_log import append_events, read_feed
from ordersaga.database.messaging_tables import MessagingTables
from ordersaga.database.migrated import migrated_database
from ordersaga.rabbitmq.topology import Topology, declare_events_exchange
from ordersaga.services.host.relay import OutboxRelay, stopped
from ordersaga.services.orders import MIGRATIONS
from ordersaga.services.orders.repository import TABLES
from tests.conftest import DatabaseFactory
from tests.support.waiting import eventually


@pytest.fixture
async def sessions(database_url_factory: DatabaseFactory) -> AsyncIterator[Sessions]:
    async with migrated_database(await database_url_factory.new_url("orders"), MIGRATIONS) as made:
        yield made


@contextlib.asynccontextmanager
async def relaying(relay: OutboxRelay, connection: AbstractRobustConnection) -> AsyncIterator[None]:
    task = asyncio.create_task(relay.run(connection))
    try:
        yield
    finally:
        await stopped(relay, task)


@dataclass
class Received:
    """Every event relayed to a queue bound to the events exchange, as it arrives."""

    arrived: asyncio.Queue[int]

    async def drain(self, quiet_seconds: float = 1.0) -> list[int]:
        """The sequence numbers that arrive until none has for `quiet_seconds`."""
        seqs: list[int] = []
        with contextlib.suppress(TimeoutError):
            while True:
                seqs.append(await asyncio.wait_for(self.arrived.get(), quiet_seconds))
        return seqs


async def bound_queue(connection: AbstractRobustConnection, topology: Topology) -> Received:
    channel = await connection.channel()
    exchange = await declare_events_exchange(channel, topology)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, routing_key="orders.#")
    received = Received(asyncio.Queue())

    async def on_message(message: AbstractIncomingMessage) -> None:
        received.arrived.put_nowait(EventEnvelope.model_validate_json(message.body).seq)

    await queue.consume(on_message, no_ack=True)
    return received


async def approve(sessions: Sessions, count: int) -> None:
    async with sessions() as session, session.begin():
        events = [OrderApproved(order_id=f"o-{i}", total_cents=i) for i in range(count)]
        await append_events(session, TABLES, events)


async def test_a_failing_declaration_is_reported_and_the_relay_starts_over(
    sessions: Sessions,
    connection: AbstractRobustConnection,
    topology: Topology,
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = await connection.channel()
    # An exchange of that name but another type: declaring the events exchange fails.
    await channel.declare_exchange(topology.events_exchange, ExchangeType.DIRECT, durable=True)
    await approve(sessions, 3)
    relay = OutboxRelay("orders", sessions, TABLES, topology, poll_seconds=0.1)
    async with relaying(relay, connection):
        await eventually(lambda: _logged(caplog, "outbox relay failed"), 10)
        await channel.exchange_delete(topology.events_exchange)
        queue = await bound_queue(connection, topology)
        relay.notify()
        await eventually(lambda: _published(sessions, TABLES, 3), 20)
    assert await queue.drain() == [1, 2, 3]


async def _logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return any(text in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)


async def _published(sessions: Sessions, tables: MessagingTables, count: int) -> bool:
    async with sessions() as session:
        rows = await session.scalars(
            select(tables.events.c.seq).where(tables.events.c.published_at.is_not(None))
        )
        return len(list(rows)) == count


async def test_an_event_row_that_no_longer_parses_is_parked_and_the_rest_go_on(
    sessions: Sessions, connection: AbstractRobustConnection, topology: Topology
) -> None:
    await approve(sessions, 1)
    async with sessions() as session, session.begin():
        await append_events(session, TABLES, [OrderApproved(order_id="o-bad", total_cents=1)])
        await session.execute(
            TABLES.events.update()
            .where(TABLES.events.c.seq == 2)
            .values(payload='{"kind": "OrderApproved"}', occurred_at=datetime.now(UTC))
        )
    await approve(sessions, 1)
    queue = await bound_queue(connection, topology)

    relay = OutboxRelay("orders", sessions, TABLES, topology, poll_seconds=0.1)
    async with relaying(relay, connection):
        seqs = await queue.drain(3)

    assert seqs == [1, 3]
    async with sessions() as session:
        events, parked = await read_feed(session, TABLES, "orders", 0, 10)
        reason = await session.scalar(
            select(TABLES.events.c.parked_reason).where(TABLES.events.c.seq == 2)
        )
    assert [e.seq for e in events] == [1, 3]
    assert [(p.seq, p.kind) for p in parked] == [(2, "OrderApproved")]
    assert reason is not None and "does not parse" in reason


async def test_two_relays_on_one_database_publish_each_event_once_and_take_over(
    sessions: Sessions, connection: AbstractRobustConnection, topology: Topology
) -> None:
    """Every worker process runs a relay for the orders database: one publishes, one waits."""
    queue = await bound_queue(connection, topology)
    relays = [
        OutboxRelay("orders", sessions, TABLES, topology, poll_seconds=0.05, lease_seconds=1)
        for _ in range(2)
    ]
    tasks = [asyncio.create_task(relay.run(connection)) for relay in relays]
    try:
        for _ in range(10):
            await approve(sessions, 3)
            for relay in relays:
                relay.notify()
            await asyncio.sleep(0.02)
        published = await queue.drain(2)
        # The first goes away without giving its lease back, as a process that dies: if it
        # held the lease, the other takes over once it expires; if not, nothing changes.
        await stopped(relays[0], tasks[0])
        await approve(sessions, 5)
        relays[1].notify()
        after = await queue.drain(3)
    finally:
        for relay, task in zip(relays, tasks, strict=True):
            await stopped(relay, task)

    assert sorted(published) == list(range(1, 31))  # each once, none twice
    assert sorted(after) == list(range(31, 36))
