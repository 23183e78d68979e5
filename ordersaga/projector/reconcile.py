"""Reconcile: compare a build's views with what the sources say, and optionally repair them.

For each source: take its snapshot at watermark W, read the rows of the views it owns columns
of, and compare those columns. Rows that events between W and the build's position touched
are left out (they are in flight, not drift). For orders the views hold as still running, the
saga in Temporal is asked too: a saga that has ended while the view says it runs is drift.
`repair` rewrites the differing rows from the snapshot, in one transaction per source.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ordersaga.contracts.snapshots import SnapshotPage
from ordersaga.database.engine import Sessions
from ordersaga.projector import catalog, loading, store
from ordersaga.projector.feeds import Feeds
from ordersaga.projector.fold import keys
from ordersaga.projector.snapshots import OWNED_COLUMNS, owned
from ordersaga.projector.views import Views, views
from ordersaga.rabbitmq.topology import SOURCES

SagaEnded = Callable[[str], Awaitable[str | None]]
"""How an order's saga ended (its status), None while it runs; raises LookupError if none."""

RUNNING = ("PENDING", "APPROVED")
KEYS = {"orders": "order_id", "products": "sku", "customers": "customer_id"}


@dataclass(frozen=True)
class Difference:
    source: str
    table: str
    key: str
    column: str
    view: Any
    truth: Any

    def __str__(self) -> str:
        return (f"{self.table} {self.key}: {self.column} is {self.view!r} in the view, "
                f"{self.truth!r} in {self.source}")  # fmt: skip


async def reconcile(
    sessions: Sessions,
    feeds: Feeds,
    saga_ended: SagaEnded | None = None,
    repair: bool = False,
    build: int | None = None,
) -> list[Difference]:
    """Every difference found (after repairing them, if asked, what is left)."""
    v = await _build(sessions, build)
    found: list[Difference] = []
    for source in SOURCES:
        page = await feeds.snapshot(source)
        differences = await _compare(sessions, feeds, v, page)
        if repair and differences:
            only: dict[str, set[str]] = {}
            for d in differences:
                only.setdefault(d.table, set()).add(d.key)
            async with sessions() as session, session.begin():
                await loading.overwrite(session, v, page, only)
            differences = await _compare(sessions, feeds, v, await feeds.snapshot(source))
        found += differences
    if saga_ended is not None:
        found += await _sagas(sessions, v, saga_ended)
    return found


async def _build(sessions: Sessions, build: int | None) -> Views:
    async with sessions() as session, session.begin():
        number = build or await catalog.serving_build(session)
    if number is None:
        raise catalog.Refused("no build serves yet")
    return views(number)


async def _compare(
    sessions: Sessions, feeds: Feeds, v: Views, page: SnapshotPage
) -> list[Difference]:
    source, expected = page.source, owned(page)
    async with sessions() as session, session.begin():
        position = (await store.positions(session, v)).get(source)
        held = {t: await _view_rows(session, v, t) for t in expected}
    if position is None:
        return [Difference(source, "positions", source, "seq", None, page.seq)]
    in_flight = await _touched(feeds, source, min(position, page.seq), max(position, page.seq))
    payers = (
        {held["orders"].get(k, {}).get("payer_id") for k in in_flight["orders"]}
        if "orders" in held
        else set()
    )
    in_flight["customers"] |= {p for p in payers if p}
    differences = []
    for table, rows in expected.items():
        columns = OWNED_COLUMNS[source][table]
        blank = loading.cleared(source, table)
        for key in sorted(set(rows) | set(held[table])):
            if key in in_flight.get(table, set()):
                continue
            truth, have = rows.get(key, blank), held[table].get(key, blank)
            differences += [
                Difference(source, table, key, c, have.get(c), truth.get(c))
                for c in columns
                if have.get(c) != truth.get(c) and not (table == "products" and key not in rows)
            ]
    return differences


async def _view_rows(session: Any, v: Views, table_name: str) -> dict[str, dict[str, Any]]:
    table, key = getattr(v, table_name), KEYS[table_name]
    result = await session.execute(select(table))
    return {row[key]: dict(row) for row in result.mappings()}


async def _touched(feeds: Feeds, source: str, low: int, high: int) -> dict[str, set[str]]:
    """The rows events in (low, high] of `source` touch."""
    touched: dict[str, set[str]] = {"orders": set(), "products": set(), "customers": set()}
    after = low
    while after < high:
        page = await feeds.page(source, after, 2000)
        events = [e for e in page.events if e.seq <= high]
        orders, skus, customers = keys(events)
        touched["orders"] |= orders
        touched["products"] |= skus
        touched["customers"] |= customers
        seqs = [e.seq for e in page.events] + [p.seq for p in page.parked]
        if not seqs:
            break
        after = max(seqs)
    return touched


async def _sagas(sessions: Sessions, v: Views, saga_ended: SagaEnded) -> list[Difference]:
    async with sessions() as session, session.begin():
        o = v.orders
        rows = await session.execute(
            select(o.c.order_id, o.c.status).where(o.c.status.in_(RUNNING))
        )
        running = [(row.order_id, row.status) for row in rows]
    differences = []
    for order_id, status in running:
        try:
            ended = await saga_ended(order_id)
        except LookupError:
            differences.append(Difference("temporal", "orders", order_id, "saga", status, None))
            continue
        if ended is not None:
            differences.append(Difference("temporal", "orders", order_id, "status", status, ended))
    return differences
