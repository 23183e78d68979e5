"""Writing what a source's snapshot says into a build: a backfill's load (the source's columns
of every row, and its position at the watermark), a repair's overwrite of chosen rows, and the
timeline of the events before the watermark."""

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, delete
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.events import CATALOG_EVENTS, EventEnvelope
from ordersaga.contracts.snapshots import SnapshotPage
from ordersaga.database.engine import insert_new
from ordersaga.projector import store
from ordersaga.projector.fold import Row, new_customer, new_order, search_text
from ordersaga.projector.snapshots import OWNED_COLUMNS, owned, placed_at
from ordersaga.projector.timeline import describe
from ordersaga.projector.views import Views


async def load_snapshot(session: AsyncSession, v: Views, page: SnapshotPage) -> None:
    """Write what the snapshot says into the columns its source owns, and set the source's
    position to the snapshot's watermark: the feed goes on from there."""
    await overwrite(session, v, page)
    await session.execute(delete(v.positions).where(v.positions.c.source == page.source))
    await session.execute(
        v.positions.insert().values(source=page.source, seq=page.seq, updated_at=time.time())
    )


async def overwrite(
    session: AsyncSession, v: Views, page: SnapshotPage, only: dict[str, set[str]] | None = None
) -> None:
    """Set the source's columns of every row (or of the rows keyed in `only`, by table) to
    what its snapshot says."""
    at, placed, everything = datetime.now(UTC), placed_at(page), owned(page)
    for table_name, values in everything.items():
        if only is not None:
            values = {k: values.get(k, {}) for k in only.get(table_name, set())}
        table, key = _TABLES[table_name](v)
        found = await store.rows_by_key(session, table, key, set(values))
        for k, columns in values.items():
            row = found.setdefault(k, _new(table_name, k, at))
            row.update(columns or cleared(page.source, table_name))
            if table_name == "orders":
                row["placed_at"] = row["placed_at"] or placed.get(k)
                row["search_text"] = search_text(row)
        whole = [r for r in found.values() if len(r) == len(table.columns)]
        await store.upsert(session, table, whole, store.written_by(page.source, table_name))
    if page.source == "orders":
        wanted = None if only is None else only.get("orders", set())
        skus = [
            {"sku": line["sku"], "order_id": k}
            for k, columns in everything["orders"].items()
            if wanted is None or k in wanted
            for line in columns["lines"]
        ]
        for chunk in store.chunks(skus):
            await session.execute(insert_new(session, v.order_skus), chunk)


def cleared(source: str, table_name: str) -> dict[str, Any]:
    """The source's columns of a row it does not have: as if it had never written them."""
    blank: dict[str, Any] = new_order("", datetime.now(UTC)) if table_name == "orders" else {}
    blank |= new_customer("") if table_name == "customers" else {}
    return {c: blank.get(c) for c in OWNED_COLUMNS[source].get(table_name, ())}


async def add_timeline(session: AsyncSession, v: Views, events: Iterable[EventEnvelope]) -> None:
    """Timeline entries only (a backfill's history before its watermark); an operator's
    events (a product added, a restock, an account opened) concern no order and have none."""
    entries = [
        {
            "source": e.source,
            "seq": e.seq,
            "order_id": e.event.order_id,
            "kind": e.event.kind,
            "occurred_at": e.occurred_at,
            "detail": describe(e),
        }  # fmt: skip
        for e in events
        if not isinstance(e.event, CATALOG_EVENTS)
    ]
    if entries:
        await session.execute(insert_new(session, v.timeline), entries)


def _new(table_name: str, key: str, at: datetime) -> Row:
    if table_name == "orders":
        return new_order(key, at)
    if table_name == "customers":
        return new_customer(key)
    return {"sku": key}


_TABLES: dict[str, Callable[[Views], tuple[Table, str]]] = {
    "orders": lambda v: (v.orders, "order_id"),
    "products": lambda v: (v.products, "sku"),
    "customers": lambda v: (v.customers, "customer_id"),
}
