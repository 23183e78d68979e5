"""An operator's commands against a real database, once on SQLite and once on PostgreSQL: adding
a product, restocking it and opening an account are each handled once per command id, are an
event in the service's log, and are refused (a reply only, no event) when they cannot apply."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import ValidationError

from ordersaga.contracts.commands import (
    MAX_ON_HAND,
    AddProduct,
    AuthorizePayment,
    OpenAccount,
    ReserveStock,
    Restock,
)
from ordersaga.contracts.events import (
    AccountOpened,
    CommandRejected,
    PaymentAuthorized,
    ProductAdded,
    StockReserved,
    StockRestocked,
)
from ordersaga.contracts.orders import OrderLine
from ordersaga.contracts.queries import GetStock, StockLevel
from ordersaga.contracts.rejections import RejectionCode
from ordersaga.contracts.replies import Reply
from ordersaga.services.inventory.service import INVENTORY
from ordersaga.services.payment.models import Account
from ordersaga.services.payment.service import PAYMENT
from tests.conftest import DatabaseFactory
from tests.support.rules import Rules, rules_of


@pytest.fixture
async def inventory(database_url_factory: DatabaseFactory) -> AsyncIterator[Rules]:
    async with rules_of(INVENTORY, await database_url_factory.new_url("inventory")) as rules:
        yield rules


@pytest.fixture
async def payment(database_url_factory: DatabaseFactory) -> AsyncIterator[Rules]:
    url = await database_url_factory.new_url("payment")
    async with rules_of(PAYMENT, url, demo_data=True) as rules:
        yield rules


def add(sku: str = "NEW-1", command_id: str = "add-1", **changes: object) -> AddProduct:
    values: dict[str, object] = {"name": "Kettle", "unit_price_cents": 4900, "on_hand": 20}
    return AddProduct(command_id=command_id, sku=sku, **(values | changes))


def refusal(reply: Reply) -> tuple[RejectionCode, str, str]:
    assert isinstance(reply.body, CommandRejected), reply
    return reply.body.code, reply.body.reason, reply.body.order_id


async def level(inventory: Rules, sku: str) -> StockLevel:
    stock: StockLevel = await inventory.ask(GetStock(sku=sku))
    return stock


async def test_an_added_product_is_stock_to_order_and_an_event(inventory: Rules) -> None:
    reply = await inventory.handle(add())

    assert reply.body == ProductAdded(sku="NEW-1", name="Kettle", unit_price_cents=4900, on_hand=20)
    stock = await level(inventory, "NEW-1")
    assert (stock.found, stock.name, stock.unit_price_cents, stock.available) == (
        True, "Kettle", 4900, 20,
    )  # fmt: skip
    reserve = ReserveStock(
        command_id="o1:reserve", order_id="o1", items=[OrderLine(sku="NEW-1", quantity=3)]
    )
    reserved = await inventory.handle(reserve)
    assert isinstance(reserved.body, StockReserved) and reserved.body.total_cents == 3 * 4900
    assert [e.event for e in await inventory.feed()] == [reply.body, reserved.body]


async def test_the_same_add_twice_adds_once_and_answers_the_same(inventory: Rules) -> None:
    concurrent = await asyncio.gather(*(inventory.delivered(add()) for _ in range(3)))
    again = await inventory.handle(add())

    assert all(reply == again for reply in concurrent)
    assert len(await inventory.feed()) == 1


async def test_adding_a_product_again_with_its_name_and_price_changes_nothing(
    inventory: Rules,
) -> None:
    await inventory.handle(add())
    await inventory.handle(Restock(command_id="r1", sku="NEW-1", quantity=5))

    reply = await inventory.handle(add(command_id="add-2", on_hand=999))

    assert reply.body == ProductAdded(
        sku="NEW-1", name="Kettle", unit_price_cents=4900, on_hand=25, existed=True
    )
    assert (await level(inventory, "NEW-1")).on_hand == 25
    assert [e.event.kind for e in await inventory.feed()] == ["ProductAdded", "StockRestocked"]


async def test_adding_a_sku_that_exists_with_another_name_or_price_is_refused(
    inventory: Rules,
) -> None:
    await inventory.handle(add())

    changed: list[dict[str, Any]] = [{"name": "Teapot"}, {"unit_price_cents": 5000}]
    for n, changes in enumerate(changed):
        code, reason, order_id = refusal(await inventory.handle(add(command_id=f"x{n}", **changes)))
        assert code == RejectionCode.PRODUCT_EXISTS and order_id == ""
        assert "NEW-1 exists already as 'Kettle' at 4900 cents" in reason
    stock = await level(inventory, "NEW-1")
    assert (stock.name, stock.unit_price_cents, stock.on_hand) == ("Kettle", 4900, 20)
    assert len(await inventory.feed()) == 1  # a refusal is a reply, not an event


async def test_concurrent_adds_of_one_sku_make_one_product(inventory: Rules) -> None:
    replies = await asyncio.gather(
        *(inventory.delivered(add(command_id=f"add-{n}")) for n in range(4))
    )

    bodies = [reply.body for reply in replies]
    assert all(isinstance(body, ProductAdded) for body in bodies)
    assert sorted(isinstance(b, ProductAdded) and b.existed for b in bodies) == [
        False, True, True, True,
    ]  # fmt: skip
    assert len(await inventory.feed()) == 1 and (await level(inventory, "NEW-1")).on_hand == 20


async def test_every_restock_counts_once_by_its_command_id(inventory: Rules) -> None:
    await inventory.handle(add(on_hand=0))
    restocks = [Restock(command_id=f"r{n}", sku="NEW-1", quantity=n + 1) for n in range(10)]

    replies = await asyncio.gather(*(inventory.handle(r) for r in restocks + restocks))

    assert all(isinstance(reply.body, StockRestocked) for reply in replies)
    assert replies[:10] == replies[10:]
    assert (await level(inventory, "NEW-1")).on_hand == sum(range(1, 11))
    assert sorted(
        e.event.quantity for e in await inventory.feed() if isinstance(e.event, StockRestocked)
    ) == list(range(1, 11))


async def test_a_restock_of_an_unknown_sku_or_past_the_bound_is_refused(inventory: Rules) -> None:
    code, reason, _ = refusal(
        await inventory.handle(Restock(command_id="r1", sku="NOPE", quantity=1))
    )
    assert (code, reason) == (RejectionCode.UNKNOWN_SKU, "unknown SKU NOPE")

    await inventory.handle(add(on_hand=MAX_ON_HAND - 5))
    code, reason, _ = refusal(
        await inventory.handle(Restock(command_id="r2", sku="NEW-1", quantity=6))
    )
    assert code == RejectionCode.INVALID_QUANTITY and "6 more would pass" in reason
    # The same command id is refused the same way, even once it would fit.
    await inventory.handle(Restock(command_id="r3", sku="NEW-1", quantity=5))
    late = await inventory.handle(Restock(command_id="r1", sku="NEW-1", quantity=1))
    assert refusal(late)[0] == RejectionCode.UNKNOWN_SKU
    assert (await level(inventory, "NEW-1")).on_hand == MAX_ON_HAND
    assert [e.event.kind for e in await inventory.feed()] == ["ProductAdded", "StockRestocked"]


def test_commands_out_of_bounds_do_not_parse() -> None:
    for bad in ({"unit_price_cents": -1}, {"on_hand": -1}, {"on_hand": MAX_ON_HAND + 1},
                {"name": ""}, {"name": "tab\there"}, {"sku": "lower-case"}):  # fmt: skip
        with pytest.raises(ValidationError):
            add(**bad)
    with pytest.raises(ValidationError):
        Restock(command_id="r", sku="NEW-1", quantity=0)
    with pytest.raises(ValidationError):
        OpenAccount(command_id="o", customer_id="has space", credit_limit_cents=1)


async def test_an_opened_account_pays_and_is_an_event(payment: Rules) -> None:
    opened = await payment.handle(
        OpenAccount(command_id="open-1", customer_id="dave", credit_limit_cents=10_000)
    )

    assert opened.body == AccountOpened(customer_id="dave", credit_limit_cents=10_000,
                                        blocked=False)  # fmt: skip
    authorize = AuthorizePayment(command_id="o1:auth", order_id="o1", customer_id="dave",
                                 payment_method="card-4242", amount_cents=9_000)  # fmt: skip
    authorized = await payment.handle(authorize)
    assert isinstance(authorized.body, PaymentAuthorized)
    again = authorize.model_copy(update={"command_id": "o2:auth", "order_id": "o2"})
    assert refusal(await payment.handle(again))[0] == RejectionCode.INSUFFICIENT_FUNDS
    kinds = [e.event.kind for e in await payment.feed()]
    assert kinds == ["AccountOpened", "PaymentAuthorized", "CommandRejected"]


async def test_a_blocked_account_declines_every_card(payment: Rules) -> None:
    await payment.handle(
        OpenAccount(command_id="open-1", customer_id="eve", credit_limit_cents=10_000, blocked=True)
    )
    authorize = AuthorizePayment(command_id="o1:auth", order_id="o1", customer_id="eve",
                                 payment_method="card-4242", amount_cents=1)  # fmt: skip
    assert refusal(await payment.handle(authorize))[0] == RejectionCode.PAYMENT_DECLINED


async def test_opening_an_account_again_is_a_no_op_or_refused(payment: Rules) -> None:
    first = OpenAccount(command_id="open-1", customer_id="dave", credit_limit_cents=10_000)
    replies = await asyncio.gather(
        *(payment.delivered(first.model_copy(update={"command_id": f"open-{n}"}))
          for n in range(3))
    )  # fmt: skip
    assert sorted(isinstance(r.body, AccountOpened) and r.body.existed for r in replies) == [
        False, True, True,
    ]  # fmt: skip
    assert await payment.handle(first) == replies[1]  # the same command id: the stored reply

    other = first.model_copy(update={"command_id": "open-x", "credit_limit_cents": 1})
    code, reason, _ = refusal(await payment.handle(other))
    assert code == RejectionCode.ACCOUNT_EXISTS and "limit of 10000 cents" in reason
    seeded = first.model_copy(update={"command_id": "open-y", "customer_id": "alice"})
    assert refusal(await payment.handle(seeded))[0] == RejectionCode.ACCOUNT_EXISTS
    async with payment.sessions() as session:
        account = await session.get(Account, "dave")
    assert account is not None and account.credit_limit_cents == 10_000
    assert [e.event.kind for e in await payment.feed()] == ["AccountOpened"]
