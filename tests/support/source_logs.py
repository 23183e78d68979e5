"""Writing straight into a source's event log, as its service would, for what a test cannot
make the services do on cue: an event the broker loses, a backlog, a row that is poison."""

from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import update

from ordersaga.database.event_log import append_events, mark_published
from ordersaga.database.messaging_tables import MessagingTables, messaging_tables
from ordersaga.services.orders.models import Base as OrdersBase
from ordersaga.services.orders.models import Order
from tests.support.system import SERVICES, SagaSystem


def _tables(source: str) -> MessagingTables:
    metadata = OrdersBase.metadata if source == "orders" else SERVICES[source].tables
    return messaging_tables(metadata)


async def append(
    system: SagaSystem, source: str, events: Sequence[BaseModel], lost: bool = False
) -> int:
    """Append events to `source`'s log; `lost`: marked published, so the bus never carries
    them (a lost delivery). Returns the last sequence number."""
    tables = _tables(source)
    async with system._sessions(source)() as session, session.begin():
        last = await append_events(session, tables, events)
        if lost:
            await mark_published(session, tables, list(range(last - len(events) + 1, last + 1)))
    return last


async def close_unseen_order(system: SagaSystem, order_id: str, event: BaseModel) -> int:
    """A cancelled order's tombstone and its OrderClosed, committed together and never
    published: the broker lost the last event of a burst."""
    tables, now = _tables("orders"), datetime.now(UTC)
    async with system._sessions("orders")() as session, session.begin():
        session.add(Order(order_id=order_id, customer_id="nobody", status="CANCELLED",
                          reason="lost", items=[], payment_method="", saga_id=None,
                          created_at=now, updated_at=now))  # fmt: skip
        last = await append_events(session, tables, [event])
        await mark_published(session, tables, [last])
    return last


async def append_unreadable(system: SagaSystem, source: str, event: BaseModel) -> int:
    """An event whose row no longer parses (a bad deploy, a hand edit): the relay parks it."""
    tables = _tables(source)
    async with system._sessions(source)() as session, session.begin():
        last = await append_events(session, tables, [event])
        events = tables.events
        await session.execute(update(events).where(events.c.seq == last).values(payload="{oops"))
    return last
