"""Reading and writing one build's views, each change in one transaction with its position.

`apply` folds a contiguous run of a source's events (fold.py) into the rows they touch and
moves the source's position in the same transaction, on the condition that it still is where
the run starts: a duplicate is never applied twice, and two writers cannot interleave. Events
that cannot be applied, and positions the source parked, go to the build's dead letters with
the reason; the position moves past them and the other orders go on.
"""

import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, case, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ordersaga.contracts.events import EventEnvelope
from ordersaga.contracts.queries import ParkedEvent
from ordersaga.database.engine import insert_in, insert_new
from ordersaga.projector.fold import (
    Row,
    Rows,
    Unappliable,
    fold,
    keys,
    search_text,
    utc,
)
from ordersaga.projector.metrics import count_dead_letters
from ordersaga.projector.snapshots import OWNED_COLUMNS
from ordersaga.projector.views import Views
from ordersaga.telemetry.logs import order_context

log = logging.getLogger(__name__)

CHUNK = 500


class PositionMoved(RuntimeError):
    """Another writer moved the position since this run was read: nothing was written."""


async def create_build(connection: AsyncConnection, v: Views) -> None:
    """The build's tables, and its full-text search: FTS5 kept by triggers on SQLite, a GIN
    index over `to_tsvector` on PostgreSQL."""
    await connection.run_sync(v.metadata.create_all)
    o, fts = v.orders.name, v.search_table
    if connection.dialect.name == "postgresql":
        await connection.execute(text(
            f"CREATE INDEX IF NOT EXISTS ix_{o}_search ON {o} "
            f"USING gin (to_tsvector('simple', search_text))"
        ))  # fmt: skip
        return
    for ddl in (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_text, content='{o}')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {o} BEGIN "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.rowid, new.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF search_text ON {o} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) "
        f"VALUES ('delete', old.rowid, old.search_text); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    ):
        await connection.execute(text(ddl))


async def drop_build(connection: AsyncConnection, v: Views) -> None:
    if connection.dialect.name == "sqlite":
        await connection.execute(text(f"DROP TABLE IF EXISTS {v.search_table}"))
    await connection.run_sync(v.metadata.drop_all)


async def positions(session: AsyncSession, v: Views) -> dict[str, int]:
    rows = await session.execute(select(v.positions.c.source, v.positions.c.seq))
    return {row.source: int(row.seq) for row in rows}


async def apply(
    session: AsyncSession,
    v: Views,
    source: str,
    after: int,
    events: Sequence[EventEnvelope],
    parked: Sequence[ParkedEvent] = (),
) -> int:
    """Apply the run of `source`'s log that follows `after`; returns the new position."""
    items: list[EventEnvelope | ParkedEvent] = sorted([*events, *parked], key=lambda item: item.seq)
    run = [item for n, item in enumerate(items) if item.seq == after + 1 + n]
    if not run:
        return after
    applicable = [item for item in run if isinstance(item, EventEnvelope)]
    rows = await load(session, v, applicable)
    dead: list[Row] = []
    for item in run:
        if isinstance(item, ParkedEvent):
            dead.append(_dead(source, item.seq, item.kind, f"parked by {source}: {item.reason}"))
            continue
        with order_context(order_id=getattr(item.event, "order_id", None)):  # for its lines
            try:
                fold(rows, item)
            except Unappliable as error:
                log.warning("%s event %d (%s) does not apply: %s; dead-lettered",
                            source, item.seq, item.event.kind, error)  # fmt: skip
                dead.append(_dead(source, item.seq, item.event.kind, str(error)))
    await write(session, v, rows, source)
    if dead:
        await session.execute(insert_new(session, v.dead_letters), dead)
        count_dead_letters(source, len(dead))
    last = run[-1].seq
    await move(session, v, source, after, last)
    return last


async def move(session: AsyncSession, v: Views, source: str, after: int, to: int) -> None:
    moving = {"of_source": source, "at_seq": after, "to": to, "now": time.time()}
    moved = await session.execute(_move(v.positions), moving)
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise PositionMoved(f"{source} is no longer at {after} in build {v.build}")


async def load(session: AsyncSession, v: Views, events: Sequence[EventEnvelope]) -> Rows:
    """The rows `events` touch, as they stand."""
    order_ids, skus, customer_ids = keys(list(events))
    rows = Rows()
    rows.orders = await rows_by_key(session, v.orders, "order_id", order_ids)
    customer_ids |= {o["payer_id"] for o in rows.orders.values() if o["payer_id"]}
    rows.products = await rows_by_key(session, v.products, "sku", skus)
    rows.customers = await rows_by_key(session, v.customers, "customer_id", customer_ids)
    return rows


def written_by(source: str, table: str) -> tuple[str, ...]:
    """The columns of `table` that `source`'s events and snapshot write: the ones it owns, and
    for the orders service also when the order was placed and what search finds it by."""
    extra = ("placed_at", "search_text") if (source, table) == ("orders", "orders") else ()
    return OWNED_COLUMNS[source].get(table, ()) + extra


async def write(session: AsyncSession, v: Views, rows: Rows, source: str) -> None:
    """Write back every changed row, and add the timeline entries and SKU index rows. Only the
    source's own columns of an existing row are updated: another source's transaction, applied
    beside this one (PostgreSQL's READ COMMITTED), may have just changed the others."""
    for name, table, found in (
        ("orders", v.orders, rows.orders),
        ("products", v.products, rows.products),
        ("customers", v.customers, rows.customers),
    ):
        changed = [row for key, row in found.items() if (name, key) in rows.changed]
        if name == "orders":
            for row in changed:
                row["search_text"] = search_text(row)
        await upsert(session, table, changed, written_by(source, name))
    if rows.timeline:
        await session.execute(insert_new(session, v.timeline), rows.timeline)
    if rows.skus:
        skus = [{"sku": sku, "order_id": order_id} for sku, order_id in rows.skus]
        await session.execute(insert_new(session, v.order_skus), skus)


async def upsert(
    session: AsyncSession, table: Table, rows: list[Row], columns: Sequence[str]
) -> None:
    """Insert the rows whole; of a row that exists, update `columns` (and `updated_at`, if
    the table has it, only forwards)."""
    if rows:
        dialect = session.get_bind().dialect.name
        await session.execute(_upsert_statement(dialect, table, tuple(columns)), rows)


@cache
def _upsert_statement(dialect: str, table: Table, columns: tuple[str, ...]) -> Any:
    """Built once per dialect, table and columns: building `excluded` anew costs more than the
    write it describes."""
    statement = insert_in(dialect, table)
    new: dict[str, Any] = {c: statement.excluded[c] for c in columns}
    if "updated_at" in table.c:
        later = statement.excluded.updated_at > table.c.updated_at
        new["updated_at"] = case((later, statement.excluded.updated_at), else_=table.c.updated_at)
    keys = [c.name for c in table.primary_key.columns]
    return statement.on_conflict_do_update(index_elements=keys, set_=new)


async def rows_by_key(
    session: AsyncSession, table: Table, key: str, wanted: set[str]
) -> dict[str, Row]:
    found: dict[str, Row] = {}
    for chunk in chunks(sorted(wanted)):
        result = await session.execute(_rows_of(table, key), {"keys": chunk})
        for row in result.mappings():
            found[row[key]] = {k: _utc(value) for k, value in row.items()}
    return found


# The statements of applying events, built once per table and bound per call, as the upserts
# are: building a statement and its cache key cost more than running it.
@cache
def _rows_of(table: Table, key: str) -> Any:
    return select(table).where(table.c[key].in_(bindparam("keys", expanding=True)))


@cache
def _move(p: Table) -> Any:
    return (
        update(p)
        .where(p.c.source == bindparam("of_source"), p.c.seq == bindparam("at_seq"))
        .values(seq=bindparam("to"), updated_at=bindparam("now"))
    )


def _utc(value: Any) -> Any:
    return utc(value) if isinstance(value, datetime) else value


def chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _dead(source: str, seq: int, kind: str, reason: str) -> Row:
    return {"source": source, "seq": seq, "kind": kind, "reason": reason[:1000], "at": time.time()}
