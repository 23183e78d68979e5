"""A service's append-only event log with a gap-free, commit-ordered sequence number.

The sequence comes from a single counter row updated inside the writing transaction. That row
lock serialises writers until commit, so events become visible in sequence order: a reader
that has seen seq N never later finds an N-1 appear (an autoincrement column cannot promise
that under concurrent transactions).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import Event, EventEnvelope
from persistence.messaging_tables import MessagingTables

_event_adapter: TypeAdapter[Event] = TypeAdapter(Event)


async def append_events(
    session: AsyncSession, tables: MessagingTables, events: Sequence[BaseModel]
) -> int:
    """Append events in the caller's transaction; returns the last sequence number used."""
    if not events:
        return 0
    last = await _advance_sequence(session, tables, len(events))
    first = last - len(events) + 1
    now = datetime.now(UTC)
    await session.execute(
        tables.events.insert(),
        [
            {"seq": first + i, "kind": e.kind, "payload": e.model_dump_json(), "occurred_at": now}  # type: ignore[attr-defined]
            for i, e in enumerate(events)
        ],
    )
    return last


async def _advance_sequence(session: AsyncSession, tables: MessagingTables, count: int) -> int:
    seq = tables.event_sequence
    result = await session.execute(
        update(seq)
        .where(seq.c.id == 1)
        .values(last_seq=seq.c.last_seq + count)
        .returning(seq.c.last_seq)
    )
    return int(result.scalar_one())


async def read_feed(
    session: AsyncSession, tables: MessagingTables, source: str, after_seq: int, limit: int
) -> list[EventEnvelope]:
    """Events after `after_seq`, in order: the feed a projector catches up from."""
    ev = tables.events
    rows = await session.execute(
        select(ev.c.seq, ev.c.payload, ev.c.occurred_at)
        .where(ev.c.seq > after_seq)
        .order_by(ev.c.seq)
        .limit(limit)
    )
    return [_envelope(source, row.seq, row.payload, row.occurred_at) for row in rows]


async def read_unpublished(
    session: AsyncSession, tables: MessagingTables, source: str, limit: int
) -> list[EventEnvelope]:
    ev = tables.events
    rows = await session.execute(
        select(ev.c.seq, ev.c.payload, ev.c.occurred_at)
        .where(ev.c.published_at.is_(None))
        .order_by(ev.c.seq)
        .limit(limit)
    )
    return [_envelope(source, row.seq, row.payload, row.occurred_at) for row in rows]


async def mark_published(session: AsyncSession, tables: MessagingTables, seqs: list[int]) -> None:
    ev = tables.events
    await session.execute(
        update(ev).where(ev.c.seq.in_(seqs)).values(published_at=datetime.now(UTC))
    )


def _envelope(source: str, seq: int, payload: str, occurred_at: datetime) -> EventEnvelope:
    event = _event_adapter.validate_json(payload)
    return EventEnvelope(source=source, seq=seq, occurred_at=occurred_at, event=event)
