"""Inventory's rules against a real database, once on SQLite and once on
PostgreSQL: no overselling under concurrency, exactly-once effects, compensation tombstones
and a gap-free event log."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ordersaga.contracts.commands import ReleaseStock, ReserveStock
from ordersaga.contracts.events import CommandRejected, StockReleased, StockReserved
from ordersaga.contracts.orders import OrderLine, PricedLine
from ordersaga.contracts.queries import GetStock, StockLevel
from ordersaga.contracts.rejections import RejectionCode
from ordersaga.database.migrated import put_demo_data
from ordersaga.services.inventory.models import Reservation, StockItem
from ordersaga.services.inventory.seed import DEMO_STOCK as DEMO
from ordersaga.services.inventory.service import INVENTORY
from tests.conftest import DatabaseFactory
from tests.support.late_commit import commit_after_first_miss, rules_on_postgres
from tests.support.rules import Rules, rules_of


@pytest.fixture
async def inventory(database_url_factory: DatabaseFactory) -> AsyncIterator[Rules]:
    async with rules_of(INVENTORY, await database_url_factory.new_url("inventory")) as rules:
        yield rules


async def add_stock(inventory: Rules, sku: str, on_hand: int, price: int = 100) -> None:
    async with inventory.sessions() as session, session.begin():
        session.add(
            StockItem(sku=sku, name=sku, unit_price_cents=price, on_hand=on_hand, reserved=0)
        )


async def level(inventory: Rules, sku: str) -> StockLevel:
    stock: StockLevel = await inventory.ask(GetStock(sku=sku))
    return stock


def reserve(order_id: str, *lines: tuple[str, int], command_id: str = "") -> ReserveStock:
    return ReserveStock(
        command_id=command_id or f"{order_id}:reserve-stock",
        order_id=order_id,
        items=[OrderLine(sku=sku, quantity=qty) for sku, qty in lines],
    )


def release(order_id: str, command_id: str = "") -> ReleaseStock:
    return ReleaseStock(
        command_id=command_id or f"{order_id}:release-stock", order_id=order_id, reason="test"
    )


def new_order() -> str:
    return f"o-{uuid.uuid4().hex[:8]}"


async def test_reserving_the_last_units_concurrently_never_oversells(inventory: Rules) -> None:
    await add_stock(inventory, "SKU-FIVE", on_hand=5)

    replies = await asyncio.gather(
        *(inventory.handle(reserve(new_order(), ("SKU-FIVE", 1))) for _ in range(30))
    )

    bodies = [reply.body for reply in replies]
    assert sum(isinstance(body, StockReserved) for body in bodies) == 5
    rejected = [body for body in bodies if isinstance(body, CommandRejected)]
    assert len(rejected) == 25
    assert {body.code for body in rejected} == {RejectionCode.OUT_OF_STOCK}
    stock = await level(inventory, "SKU-FIVE")
    assert (stock.reserved, stock.available) == (5, 0)
    assert [envelope.seq for envelope in await inventory.feed()] == list(range(1, 31))


async def test_a_reservation_prices_its_lines_and_merges_repeated_skus(inventory: Rules) -> None:
    await add_stock(inventory, "SKU-A", on_hand=10, price=1890)
    await add_stock(inventory, "SKU-B", on_hand=10, price=12900)
    order = new_order()

    reply = await inventory.handle(reserve(order, ("SKU-B", 1), ("SKU-A", 2), ("SKU-A", 1)))

    assert reply.body == StockReserved(
        order_id=order,
        lines=[
            PricedLine(sku="SKU-A", quantity=3, unit_price_cents=1890),
            PricedLine(sku="SKU-B", quantity=1, unit_price_cents=12900),
        ],
        total_cents=3 * 1890 + 12900,
    )
    assert (await level(inventory, "SKU-A")).available == 7
    assert (await level(inventory, "SKU-B")).available == 9


async def test_the_same_command_twice_changes_stock_once_with_the_same_reply(
    inventory: Rules,
) -> None:
    await add_stock(inventory, "SKU-A", on_hand=10)
    command = reserve(new_order(), ("SKU-A", 2))

    concurrent = await asyncio.gather(*(inventory.handle(command) for _ in range(3)))
    again = await inventory.handle(command)

    assert all(reply == again for reply in concurrent)
    assert isinstance(again.body, StockReserved)
    assert (await level(inventory, "SKU-A")).reserved == 2
    assert [envelope.event for envelope in await inventory.feed()] == [again.body]


async def test_another_reserve_for_a_reserved_order_answers_with_the_first_reservation(
    inventory: Rules,
) -> None:
    await add_stock(inventory, "SKU-A", on_hand=10)
    order = new_order()
    first = await inventory.handle(reserve(order, ("SKU-A", 2)))

    second = await inventory.handle(reserve(order, ("SKU-A", 2), command_id="other"))

    assert second.body == first.body
    assert (await level(inventory, "SKU-A")).reserved == 2
    assert len(await inventory.feed()) == 1


async def test_releasing_gives_the_units_back_once(inventory: Rules) -> None:
    await add_stock(inventory, "SKU-A", on_hand=10)
    order = new_order()
    await inventory.handle(reserve(order, ("SKU-A", 2), ("SKU-A", 1)))

    released = await inventory.handle(release(order))
    again = await inventory.handle(release(order, command_id="another-release"))

    assert released.body == StockReleased(
        order_id=order, lines=[OrderLine(sku="SKU-A", quantity=3)]
    )
    assert again.body == StockReleased(order_id=order, lines=[])
    assert (await level(inventory, "SKU-A")).reserved == 0
    assert [e.event.kind for e in await inventory.feed()] == ["StockReserved", "StockReleased"]


async def test_releasing_an_order_never_reserved_is_a_successful_no_op(inventory: Rules) -> None:
    order = new_order()

    reply = await inventory.handle(release(order))

    assert reply.body == StockReleased(order_id=order, lines=[])
    assert await inventory.feed() == []


async def test_a_reservation_arriving_after_its_release_is_refused_and_takes_nothing(
    inventory: Rules,
) -> None:
    await add_stock(inventory, "SKU-A", on_hand=10)
    order = new_order()
    await inventory.handle(release(order))

    late = await inventory.handle(reserve(order, ("SKU-A", 2)))

    assert isinstance(late.body, CommandRejected)
    assert late.body.code == RejectionCode.ALREADY_COMPENSATED
    assert (await level(inventory, "SKU-A")).reserved == 0


async def test_a_reserve_racing_its_release_never_strands_stock(inventory: Rules) -> None:
    await add_stock(inventory, "SKU-A", on_hand=100)
    orders = [new_order() for _ in range(10)]

    await asyncio.gather(
        *(
            inventory.delivered(command)
            for order in orders
            for command in (reserve(order, ("SKU-A", 2)), release(order))
        )
    )

    assert (await level(inventory, "SKU-A")).reserved == 0
    async with inventory.sessions() as session:
        statuses = await session.scalars(select(Reservation.status))
        assert set(statuses) == {"RELEASED"}


async def test_a_rejected_order_reserves_none_of_its_lines_and_is_rejected_again_when_resent(
    inventory: Rules,
) -> None:
    await add_stock(inventory, "SKU-A", on_hand=10)
    await add_stock(inventory, "SKU-B", on_hand=1)
    command = reserve(new_order(), ("SKU-A", 2), ("SKU-B", 2))

    first = await inventory.handle(command)
    resent = await inventory.handle(command)

    assert isinstance(first.body, CommandRejected)
    assert (first.body.code, first.body.reason) == (
        RejectionCode.OUT_OF_STOCK,
        "only 1 of SKU-B available, 2 requested",
    )
    assert resent == first
    assert (await level(inventory, "SKU-A")).reserved == 0
    assert [envelope.event for envelope in await inventory.feed()] == [first.body]


async def test_an_unknown_sku_is_rejected(inventory: Rules) -> None:
    reply = await inventory.handle(reserve(new_order(), ("SKU-X", 1)))

    assert isinstance(reply.body, CommandRejected)
    assert (reply.body.code, reply.body.reason) == (RejectionCode.UNKNOWN_SKU, "unknown SKU SKU-X")


async def test_the_feed_returns_the_events_after_a_given_seq_in_order(inventory: Rules) -> None:
    await add_stock(inventory, "SKU-A", on_hand=10)
    orders = [new_order() for _ in range(3)]
    for order in orders:
        await inventory.handle(reserve(order, ("SKU-A", 1)))

    page = await inventory.feed(after_seq=1)

    assert [envelope.seq for envelope in page] == [2, 3]
    assert [getattr(envelope.event, "order_id", None) for envelope in page] == orders[1:]
    assert {envelope.source for envelope in page} == {"inventory"}


async def test_two_processes_seeding_at_once_seed_the_demo_stock_once(inventory: Rules) -> None:
    seeded = await asyncio.gather(
        put_demo_data(inventory.sessions, DEMO), put_demo_data(inventory.sessions, DEMO)
    )

    assert any(seeded)
    assert not await put_demo_data(inventory.sessions, DEMO)
    async with inventory.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(StockItem)) == 4
    assert (await level(inventory, "SKU-42")).available == 100
    assert (await level(inventory, "SKU-GONE")).available == 0


async def test_a_reservation_committed_just_after_the_releases_look_is_released_all_the_same(
    postgres_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release finds no reservation, and the reserve commits right then: the release's
    answer must match what it leaves behind, so the units go back and it ends RELEASED."""
    async with rules_on_postgres(INVENTORY, postgres_dsn, tmp_path) as inventory:
        order, sku = new_order(), f"SKU-{uuid.uuid4().hex[:6].upper()}"
        await add_stock(inventory, sku, on_hand=5)
        commit_after_first_miss(
            monkeypatch, Reservation, lambda: inventory.handle(reserve(order, (sku, 2)))
        )

        await inventory.delivered(release(order))

        assert (await level(inventory, sku)).available == 5
        async with inventory.sessions() as session:
            reservation = await session.get_one(Reservation, order)
        assert reservation.status == "RELEASED"
