"""Committing stock: a completed order's reservation becomes a sale, once, on SQLite and on
PostgreSQL; a release and a commit of the same reservation never both count."""

import asyncio

from sqlalchemy import select

from ordersaga.contracts.commands import CommitStock
from ordersaga.contracts.events import CommandRejected, StockCommitted, StockReleased
from ordersaga.contracts.orders import OrderLine
from ordersaga.contracts.rejections import RejectionCode
from ordersaga.services.inventory.models import Reservation
from tests.integration.test_inventory_rules import (
    add_stock,
    inventory,
    level,
    new_order,
    release,
    reserve,
)
from tests.support.rules import Rules

__all__ = ["inventory"]


def commit(order_id: str, command_id: str = "") -> CommitStock:
    return CommitStock(command_id=command_id or f"{order_id}:commit-stock", order_id=order_id)


async def reserved_order(inventory: Rules, quantity: int = 2) -> str:
    order = new_order()
    await inventory.handle(reserve(order, ("SKU-A", quantity)))
    return order


async def test_committing_turns_the_reservation_into_a_sale(inventory: Rules) -> None:
    await add_stock(inventory, "SKU-A", on_hand=10)
    order = await reserved_order(inventory, 3)

    reply = await inventory.handle(commit(order))

    assert reply.body == StockCommitted(order_id=order, lines=[OrderLine(sku="SKU-A", quantity=3)])
    stock = await level(inventory, "SKU-A")
    assert (stock.on_hand, stock.reserved, stock.available) == (7, 0, 7)
    assert [e.event.kind for e in await inventory.feed()] == ["StockReserved", "StockCommitted"]


async def test_committing_twice_sells_once(inventory: Rules) -> None:
    await add_stock(inventory, "SKU-A", on_hand=10)
    order = await reserved_order(inventory)

    first = await inventory.handle(commit(order))
    resent = await inventory.handle(commit(order))
    other_id = await inventory.handle(commit(order, command_id="repair:commit"))

    assert resent == first
    assert other_id.body == StockCommitted(order_id=order, lines=[])
    assert (await level(inventory, "SKU-A")).on_hand == 8
    assert len(await inventory.feed()) == 2


async def test_a_release_after_the_commit_is_refused_and_changes_nothing(
    inventory: Rules,
) -> None:
    await add_stock(inventory, "SKU-A", on_hand=10)
    order = await reserved_order(inventory)
    await inventory.handle(commit(order))

    late = await inventory.handle(release(order))

    assert isinstance(late.body, CommandRejected)
    assert late.body.code == RejectionCode.ALREADY_COMMITTED
    stock = await level(inventory, "SKU-A")
    assert (stock.on_hand, stock.reserved) == (8, 0)


async def test_a_commit_after_the_release_is_refused_and_sells_nothing(inventory: Rules) -> None:
    await add_stock(inventory, "SKU-A", on_hand=10)
    order = await reserved_order(inventory)
    await inventory.handle(release(order))

    late = await inventory.handle(commit(order))

    assert isinstance(late.body, CommandRejected)
    assert late.body.code == RejectionCode.ALREADY_COMPENSATED
    stock = await level(inventory, "SKU-A")
    assert (stock.on_hand, stock.reserved) == (10, 0)


async def test_committing_an_order_never_reserved_is_refused(inventory: Rules) -> None:
    reply = await inventory.handle(commit(new_order()))

    assert isinstance(reply.body, CommandRejected)
    assert reply.body.code == RejectionCode.NOTHING_TO_COMMIT
    assert [e.event.kind for e in await inventory.feed()] == ["CommandRejected"]


async def test_a_commit_racing_a_release_counts_exactly_one_of_them(inventory: Rules) -> None:
    await add_stock(inventory, "SKU-A", on_hand=100)
    orders = [await reserved_order(inventory) for _ in range(10)]

    replies = await asyncio.gather(
        *(
            inventory.delivered(command)
            for order in orders
            for command in (commit(order), release(order))
        )
    )

    won = [r.body for r in replies if isinstance(r.body, StockCommitted | StockReleased)]
    assert len(won) == 10 and all(body.lines for body in won)  # one winner per order
    sold = sum(isinstance(body, StockCommitted) for body in won)
    stock = await level(inventory, "SKU-A")
    assert (stock.on_hand, stock.reserved) == (100 - 2 * sold, 0)
    async with inventory.sessions() as session:
        statuses = list(await session.scalars(select(Reservation.status)))
    assert statuses.count("COMMITTED") == sold and statuses.count("RELEASED") == 10 - sold


async def test_an_order_over_the_units_of_a_sku_is_a_business_rejection_not_a_crash(
    inventory: Rules,
) -> None:
    await add_stock(inventory, "SKU-A", on_hand=5000)
    command = reserve(new_order(), ("SKU-A", 600), ("SKU-A", 600))

    reply = await inventory.handle(command)

    assert isinstance(reply.body, CommandRejected)
    assert reply.body.code == RejectionCode.INVALID_ORDER
    assert "1200 x SKU-A" in reply.body.reason
    assert (await level(inventory, "SKU-A")).reserved == 0


async def test_an_order_whose_total_would_overflow_the_money_columns_is_refused(
    inventory: Rules,
) -> None:
    await add_stock(inventory, "SKU-A", on_hand=1000, price=2_000_000)

    reply = await inventory.handle(reserve(new_order(), ("SKU-A", 1000)))

    assert isinstance(reply.body, CommandRejected)
    assert reply.body.code == RejectionCode.INVALID_ORDER
    assert (await level(inventory, "SKU-A")).reserved == 0
