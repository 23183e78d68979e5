"""A service's append-only event log with a gap-free, commit-ordered sequence number.

The sequence comes from a single counter row updated inside the writing transaction. That row
lock serialises writers until commit, so events become visible in sequence order: a reader
that has seen seq N never later finds an N-1 appear (an autoincrement column cannot promise
that under concurrent transactions).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import Insert, Select, Table, Update, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningUpdate

from ordersaga.contracts.events import Event, EventEnvelope
from ordersaga.contracts.queries import ParkedEvent
from ordersaga.database.messaging_tables import MessagingTables
from ordersaga.telemetry.tracing import current_trace_context

_event_adapter: TypeAdapter[Event] = TypeAdapter(Event)


async def append_events(
    session: AsyncSession, tables: MessagingTables, events: Sequence[BaseModel]
) -> int:
    """Append events in the caller's transaction; returns the last sequence number used. Each
    row keeps the current trace context (tracing on), for the relay to publish it in."""
    if not events:
        return 0
    last = await _advance_sequence(session, tables, len(events))
    first = last - len(events) + 1
    now, traced = datetime.now(UTC), current_trace_context()
    await session.execute(
        _insert(tables.events),
        [
            {
                "seq": first + i,
                "kind": e.kind,  # type: ignore[attr-defined]
                "payload": e.model_dump_json(),
                "occurred_at": now,
                "trace_context": traced,
            }
            for i, e in enumerate(events)
        ],
    )
    return last


async def _advance_sequence(session: AsyncSession, tables: MessagingTables, count: int) -> int:
    result = await session.execute(_advance(tables.event_sequence), {"count": count})
    return int(result.scalar_one())


# Built once per table and bound per call (a command's hot path: building a statement and its
# cache key cost more than running it).
@cache
def _advance(seq: Table) -> ReturningUpdate[int]:
    return (
        update(seq)
        .where(seq.c.id == 1)
        .values(last_seq=seq.c.last_seq + bindparam("count"))
        .returning(seq.c.last_seq)
    )


@cache
def _insert(events: Table) -> Insert:
    return events.insert()


@cache
def _unpublished(ev: Table) -> Select[int, str, str, datetime, str | None]:
    return (
        select(ev.c.seq, ev.c.kind, ev.c.payload, ev.c.occurred_at, ev.c.trace_context)
        .where(ev.c.published_at.is_(None), ev.c.parked_reason.is_(None))
        .order_by(ev.c.seq)
        .limit(bindparam("limit"))
    )


@cache
def _mark_published(ev: Table) -> Update:
    return (
        update(ev)
        .where(ev.c.seq.in_(bindparam("seqs", expanding=True)))
        .values(published_at=bindparam("at"))
    )


async def head(session: AsyncSession, tables: MessagingTables) -> int:
    """The last sequence number the log has used (0 for an empty log)."""
    seq = tables.event_sequence
    last = await session.scalar(select(seq.c.last_seq).where(seq.c.id == 1))
    return int(last or 0)


async def read_feed(
    session: AsyncSession, tables: MessagingTables, source: str, after_seq: int, limit: int
) -> tuple[list[EventEnvelope], list[ParkedEvent]]:
    """Events after `after_seq`, in order: the feed a projector catches up from. A row that no
    longer parses is not an event anyone can apply: it comes back as parked, with its reason,
    so a reader moves past its position knowing why (it is not a lost delivery)."""
    ev = tables.events
    rows = await session.execute(
        select(ev.c.seq, ev.c.kind, ev.c.payload, ev.c.occurred_at)
        .where(ev.c.seq > after_seq)
        .order_by(ev.c.seq)
        .limit(limit)
    )
    events, parked = [], []
    for row in rows:
        try:
            events.append(envelope(source, row))
        except ValidationError as error:
            parked.append(ParkedEvent(seq=row.seq, kind=row.kind, reason=unreadable(error)))
    return events, parked


async def read_unpublished(
    session: AsyncSession, tables: MessagingTables, limit: int
) -> list["EventRow"]:
    """Committed events the relay has not published (nor parked), in order."""
    rows = await session.execute(_unpublished(tables.events), {"limit": limit})
    return [
        EventRow(row.seq, row.kind, row.payload, row.occurred_at, row.trace_context) for row in rows
    ]


async def mark_published(session: AsyncSession, tables: MessagingTables, seqs: list[int]) -> None:
    await session.execute(_mark_published(tables.events), {"seqs": seqs, "at": datetime.now(UTC)})


async def park(session: AsyncSession, tables: MessagingTables, seq: int, reason: str) -> None:
    """Set an event row aside with the reason it cannot be published; the rest go on."""
    ev = tables.events
    await session.execute(update(ev).where(ev.c.seq == seq).values(parked_reason=reason))


@dataclass(frozen=True)
class EventRow:
    seq: int
    kind: str
    payload: str
    occurred_at: datetime
    trace_context: str | None = None


def envelope(source: str, row: Any) -> EventEnvelope:
    """The row as the bus and the feed carry it; ValidationError if it no longer parses."""
    event = _event_adapter.validate_json(row.payload)
    at = row.occurred_at
    if at.tzinfo is None:  # SQLite hands timezone-aware columns back naive; they are UTC
        at = at.replace(tzinfo=UTC)
    return EventEnvelope(source=source, seq=row.seq, occurred_at=at, event=event)


def unreadable(error: ValidationError) -> str:
    return f"the payload does not parse as an event: {error.errors()[0]['msg']}"[:1000]
