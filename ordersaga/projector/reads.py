"""The read model as the API reads it: always the serving build, and every answer says the
positions it reflects and how far behind the sources' heads it is."""

import asyncio
import base64
import contextlib
import time
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.views import (
    AsOf,
    CustomerView,
    OrderFilter,
    OrderPage,
    OrderSummary,
    OrderView,
    ProductAnswer,
    ProductPage,
    ProductView,
    TimelineEntry,
)
from ordersaga.database.engine import Sessions
from ordersaga.projector import catalog, store
from ordersaga.projector.consistency import Token
from ordersaga.projector.fold import utc
from ordersaga.projector.views import Views, views


class NotServing(RuntimeError):
    """No build serves yet: the projector has not filled the read model."""


class ReadModel:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def wait_for(self, token: Token, seconds: float) -> bool:
        """True once the serving build has reached the token, False after `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            with contextlib.suppress(NotServing):  # not filled yet: it may be soon
                async with self._sessions() as session, session.begin():
                    v = await _serving(session)
                    if token.reached_by(await store.positions(session, v)):
                        return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)

    async def order(self, order_id: str) -> OrderView | None:
        async with self._sessions() as session, session.begin():
            v = await _serving(session)
            o, t = v.orders, v.timeline
            found = await session.execute(select(o).where(o.c.order_id == order_id))
            row = found.mappings().first()
            if row is None or row["status"] is None:
                return None
            in_order = (t.c.occurred_at, t.c.source, t.c.seq)
            entries = await session.execute(
                select(t).where(t.c.order_id == order_id).order_by(*in_order)
            )
            timeline = [
                TimelineEntry.model_validate({**e._mapping, "occurred_at": utc(e.occurred_at)})
                for e in entries
            ]
            return OrderView(**_summary(row), timeline=timeline, as_of=await _as_of(session, v))

    async def orders(self, f: OrderFilter) -> OrderPage:
        async with self._sessions() as session, session.begin():
            v = await _serving(session)
            o = v.orders
            query = select(o).where(o.c.placed_at.is_not(None))
            query = _filtered(session, v, query, f)
            query = query.order_by(o.c.placed_at.desc(), o.c.order_id.desc()).limit(f.limit + 1)
            rows = (await session.execute(query)).mappings().all()
            page = [OrderSummary(**_summary(r)) for r in rows[: f.limit]]
            more = len(rows) > f.limit
            cursor = _cursor(page[-1]) if more and page else None
            return OrderPage(orders=page, next_cursor=cursor, as_of=await _as_of(session, v))

    async def products(self) -> ProductPage:
        async with self._sessions() as session, session.begin():
            v = await _serving(session)
            rows = (await session.execute(select(v.products).order_by(v.products.c.sku))).all()
            found = [_product(r._mapping) for r in rows]
            return ProductPage(products=found, as_of=await _as_of(session, v))

    async def product(self, sku: str) -> ProductAnswer | None:
        async with self._sessions() as session, session.begin():
            v = await _serving(session)
            row = (await session.execute(select(v.products).where(v.products.c.sku == sku))).first()
            if row is None:
                return None
            found = _product(row._mapping).model_dump()
            return ProductAnswer(**found, as_of=await _as_of(session, v))

    async def customer(self, customer_id: str) -> CustomerView | None:
        async with self._sessions() as session, session.begin():
            v = await _serving(session)
            c = v.customers
            row = (await session.execute(select(c).where(c.c.customer_id == customer_id))).first()
            if row is None:
                return None
            return CustomerView(**row._mapping, as_of=await _as_of(session, v))

    async def as_of(self) -> AsOf:
        async with self._sessions() as session, session.begin():
            return await _as_of(session, await _serving(session))


async def _serving(session: AsyncSession) -> Views:
    try:
        build = await catalog.serving_build(session)
    except DBAPIError as error:  # no catalog yet: the projector has never run
        raise NotServing("the read model does not exist yet; start the projector") from error
    if build is None:
        raise NotServing("the read model is not filled yet; the projector is filling it")
    return views(build)


async def _as_of(session: AsyncSession, v: Views) -> AsOf:
    positions = await store.positions(session, v)
    heads = await catalog.heads(session)
    lag = {s: max(0, heads.get(s, n) - n) for s, n in positions.items()}
    return AsOf(build=v.build, positions=positions, lag=lag)


def _filtered(session: AsyncSession, v: Views, query: Select[Any], f: OrderFilter) -> Select[Any]:
    o = v.orders
    if f.customer_id:
        query = query.where(o.c.customer_id == f.customer_id)
    if f.status:
        query = query.where(o.c.status == f.status)
    if f.sku:
        skus = v.order_skus
        query = query.where(o.c.order_id.in_(select(skus.c.order_id).where(skus.c.sku == f.sku)))
    if f.placed_after:
        query = query.where(o.c.placed_at >= f.placed_after)
    if f.placed_before:
        query = query.where(o.c.placed_at < f.placed_before)
    if f.q:
        query = query.where(_matches(session, v, f.q))
    if f.cursor:
        at, order_id = _uncursor(f.cursor)
        query = query.where(
            or_(o.c.placed_at < at, and_(o.c.placed_at == at, o.c.order_id < order_id))
        )
    return query


def _matches(session: AsyncSession, v: Views, q: str) -> Any:
    """Full text: FTS5 on SQLite, to_tsvector on PostgreSQL; every word must match."""
    o = v.orders
    if session.get_bind().dialect.name == "postgresql":
        document = func.to_tsvector(text("'simple'"), o.c.search_text)
        return document.op("@@")(func.plainto_tsquery(text("'simple'"), q))
    phrase = " ".join('"' + word.replace('"', '""') + '"' for word in q.split())
    fts = v.search_table
    found = text(f"SELECT rowid FROM {fts} WHERE {fts} MATCH :phrase").bindparams(phrase=phrase)
    return text(f"{o.name}.rowid IN ({found})").bindparams(phrase=phrase)


def _cursor(last: OrderSummary) -> str:
    assert last.placed_at is not None
    raw = f"{last.placed_at.isoformat()}|{last.order_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


class BadCursor(ValueError):
    pass


def _uncursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, _, order_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return utc(datetime.fromisoformat(at)), order_id
    except (ValueError, UnicodeDecodeError) as error:
        raise BadCursor("not a cursor this API handed out") from error


def _summary(row: Any) -> dict[str, Any]:
    found = {k: row[k] for k in OrderSummary.model_fields}
    found["lines"] = row["priced_lines"] or row["lines"]
    if found["total_cents"] is None:
        found["total_cents"] = row["reserved_cents"]
    for k in ("placed_at", "updated_at"):
        found[k] = found[k] and utc(found[k])
    return found


def _product(row: Any) -> ProductView:
    return ProductView(**row, available=row["on_hand"] - row["reserved"])
