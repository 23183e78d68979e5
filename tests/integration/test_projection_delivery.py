"""Delivery order does not matter: the same event twice, and events out of order, are applied
once and in sequence order (on SQLite and PostgreSQL)."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from ordersaga.contracts.events import EventEnvelope, StockReleased, StockReserved
from ordersaga.contracts.orders import OrderLine, PricedLine
from ordersaga.contracts.queries import FeedPage
from ordersaga.contracts.snapshots import InventoryState, SnapshotPage, StockItemState
from ordersaga.database.engine import create_engine, session_factory
from ordersaga.projector import store
from ordersaga.projector.projection import Projection
from ordersaga.projector.views import views
from tests.conftest import DatabaseFactory

NOW = datetime.now(UTC)


class LogFeeds:
    """inventory's feed, from a list: what the sources answer over request/reply."""

    def __init__(self, events: list[EventEnvelope]) -> None:
        self.events = events
        self.pages_read = 0

    async def page(self, source: str, after_seq: int, limit: int) -> FeedPage:
        self.pages_read += 1
        found = [e for e in self.events if e.seq > after_seq][:limit]
        return FeedPage(events=found, head=len(self.events))

    async def head(self, source: str) -> int:
        return len(self.events)

    async def snapshot(self, source: str) -> SnapshotPage:
        item = StockItemState(sku="SKU-42", name="beans", unit_price_cents=100, on_hand=10,
                              reserved=0)  # fmt: skip
        state = InventoryState(stock_items=[item], reservations=[])
        return SnapshotPage(source="inventory", seq=0, state=state)


def _reserved(seq: int, order_id: str) -> EventEnvelope:
    line = PricedLine(sku="SKU-42", quantity=2, unit_price_cents=100)
    event = StockReserved(order_id=order_id, lines=[line], total_cents=200)
    return EventEnvelope(source="inventory", seq=seq, occurred_at=NOW, event=event)


def _released(seq: int, order_id: str) -> EventEnvelope:
    event = StockReleased(order_id=order_id, lines=[OrderLine(sku="SKU-42", quantity=2)])
    return EventEnvelope(source="inventory", seq=seq, occurred_at=NOW, event=event)


async def test_duplicates_and_reordered_deliveries_are_applied_once_in_order(
    database_url_factory: DatabaseFactory,
) -> None:
    log = [_reserved(1, "a"), _released(2, "a"), _reserved(3, "b"), _reserved(4, "c")]
    feeds = LogFeeds(log)
    engine = create_engine(await database_url_factory.new_url("projector"))
    try:
        sessions, v = session_factory(engine), views(1)
        async with engine.begin() as connection:
            await store.create_build(connection, v)
        projection = Projection(sessions, v, feeds)  # type: ignore[arg-type]
        await projection.backfill("inventory")
        # 3 arrives first (1 and 2 are pulled from the feed), then 1, 2, 3 again, then 4 twice
        for hint in (log[2], log[0], log[1], log[2], log[3], log[3]):
            await projection.advance("inventory", hint)
        async with sessions() as session:
            assert await store.positions(session, v) == {"inventory": 4}
            product = (await session.execute(select(v.products))).one()
            assert product.reserved == 4  # b and c hold 2 each; a reserved and released once
            count = select(func.count()).select_from(v.timeline)
            assert await session.scalar(count) == 4
            o = v.orders
            statuses = dict((await session.execute(select(o.c.order_id, o.c.reservation))).all())
            assert statuses == {"a": "RELEASED", "b": "RESERVED", "c": "RESERVED"}
        assert feeds.pages_read == 1  # the gap before 3 was pulled once (with 4); no re-reads
    finally:
        await engine.dispose()
