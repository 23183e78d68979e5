"""The host runs inventory and payment in-process against real RabbitMQ (SQLite; the rules run
on both databases in their own tests): commands and queries over request/reply, re-sent commands
answered from the stored reply, unreadable messages dead-lettered, committed events relayed to
the events exchange, and the process serving until told to stop."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aio_pika import Message
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection

from ordersaga.contracts.commands import AuthorizePayment, ReserveStock
from ordersaga.contracts.events import (
    CommandRejected,
    EventEnvelope,
    PaymentAuthorized,
    StockReserved,
)
from ordersaga.contracts.orders import OrderLine
from ordersaga.contracts.queries import FeedPage, GetStock, ReadFeed, StockLevel
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import Topology, declare_command_queue, declare_events_exchange
from ordersaga.services.host.hosting import Hosted, hosting, serve
from ordersaga.services.inventory.service import INVENTORY
from ordersaga.services.payment.models import Account
from ordersaga.services.payment.service import PAYMENT
from ordersaga.settings import ServiceSettings

TIMEOUT = 5.0


def settings(rabbitmq_url: str, topology: Topology, folder: Path) -> ServiceSettings:
    return ServiceSettings(
        environment="test",
        rabbitmq_url=rabbitmq_url,
        bus_prefix=topology.prefix,
        inventory_db_url=f"sqlite+aiosqlite:///{folder / 'inventory.db'}",
        payment_db_url=f"sqlite+aiosqlite:///{folder / 'payment.db'}",
    )


@pytest.fixture
async def inventory(rabbitmq_url: str, topology: Topology, tmp_path: Path) -> AsyncIterator[Hosted]:
    async with hosting(INVENTORY, settings(rabbitmq_url, topology, tmp_path)) as hosted:
        yield hosted


@pytest.fixture
async def payment(rabbitmq_url: str, topology: Topology, tmp_path: Path) -> AsyncIterator[Hosted]:
    async with hosting(PAYMENT, settings(rabbitmq_url, topology, tmp_path)) as hosted:
        yield hosted


def reserve(order_id: str, sku: str = "SKU-42", quantity: int = 2) -> ReserveStock:
    return ReserveStock(
        command_id=f"{order_id}:reserve-stock",
        order_id=order_id,
        items=[OrderLine(sku=sku, quantity=quantity)],
    )


async def get_stock(client: RequestClient, topology: Topology, sku: str) -> StockLevel:
    raw = await client.request(
        topology.query_queue("inventory"), GetStock(sku=sku), uuid.uuid4().hex, TIMEOUT
    )
    return StockLevel.model_validate_json(raw)


async def next_message(queue: AbstractQueue, timeout: float = TIMEOUT) -> AbstractIncomingMessage:
    """Poll `queue` until a message arrives: a dead letter or a relayed event."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if (message := await queue.get(no_ack=True, fail=False)) is not None:
            return message
        await asyncio.sleep(0.05)
    raise TimeoutError(f"nothing arrived on {queue.name} within {timeout}s")


async def test_inventory_answers_a_command_and_a_resent_one_identically_changing_stock_once(
    inventory: Hosted, client: RequestClient, topology: Topology
) -> None:
    command = reserve(f"o-{uuid.uuid4().hex[:8]}")

    first = await client.send_command("inventory", command, timeout=TIMEOUT)
    resent = await client.send_command("inventory", command, timeout=TIMEOUT)

    assert isinstance(first.body, StockReserved)
    assert first.body.total_cents == 2 * 1890
    assert resent == first
    stock = await get_stock(client, topology, "SKU-42")
    assert (stock.found, stock.name, stock.reserved, stock.available) == (
        True,
        "Espresso beans 1kg",
        2,
        98,
    )


async def test_inventory_answers_stock_and_feed_queries(
    inventory: Hosted, client: RequestClient, topology: Topology
) -> None:
    rejected = await client.send_command("inventory", reserve("o-gone", "SKU-GONE", 1), TIMEOUT)

    unknown = await get_stock(client, topology, "SKU-NOPE")
    raw = await client.request(
        topology.query_queue("inventory"), ReadFeed(after_seq=0), uuid.uuid4().hex, TIMEOUT
    )

    assert isinstance(rejected.body, CommandRejected)
    assert unknown == StockLevel(sku="SKU-NOPE", found=False)
    assert [e.event for e in FeedPage.model_validate_json(raw).events] == [rejected.body]


async def test_committed_events_are_relayed_to_the_events_exchange(
    inventory: Hosted,
    client: RequestClient,
    connection: AbstractRobustConnection,
    topology: Topology,
) -> None:
    channel = await connection.channel()
    exchange = await declare_events_exchange(channel, topology)
    events = await channel.declare_queue(exclusive=True, auto_delete=True)
    await events.bind(exchange, routing_key="inventory.#")

    reply = await client.send_command("inventory", reserve("o-relayed"), timeout=TIMEOUT)

    message = await next_message(events)
    envelope = EventEnvelope.model_validate_json(message.body)
    assert message.routing_key == "inventory.StockReserved"
    assert (envelope.source, envelope.seq, envelope.event) == ("inventory", 1, reply.body)
    await channel.close()


async def test_an_unreadable_command_to_inventory_is_dead_lettered_and_serving_goes_on(
    inventory: Hosted,
    client: RequestClient,
    connection: AbstractRobustConnection,
    topology: Topology,
) -> None:
    await assert_unreadable_commands_are_dead_lettered(
        "inventory", "ReserveStock", connection, topology
    )

    reply = await client.send_command("inventory", reserve("o-after"), timeout=TIMEOUT)

    assert isinstance(reply.body, StockReserved)


async def test_an_unreadable_command_to_payment_is_dead_lettered_and_serving_goes_on(
    payment: Hosted,
    client: RequestClient,
    connection: AbstractRobustConnection,
    topology: Topology,
) -> None:
    await assert_unreadable_commands_are_dead_lettered(
        "payment", "CapturePayment", connection, topology
    )

    reply = await client.send_command("payment", authorize("o-after", "alice"), timeout=TIMEOUT)

    assert isinstance(reply.body, PaymentAuthorized)


async def assert_unreadable_commands_are_dead_lettered(
    service: str, kind: str, connection: AbstractRobustConnection, topology: Topology
) -> None:
    """Garbage, and a known command missing its command_id, both end in the dead-letter queue
    with the reason in `x-death-reason`."""
    channel = await connection.channel()
    await declare_command_queue(channel, topology, service)
    dead_letters = await channel.get_queue(topology.dead_letter_queue(service))

    incomplete_body = f'{{"kind": "{kind}", "order_id": "o-1"}}'.encode()
    for body in (b"not json at all", incomplete_body):
        await channel.default_exchange.publish(
            Message(body), routing_key=topology.command_queue(service)
        )

    garbage, incomplete = await next_message(dead_letters), await next_message(dead_letters)
    assert garbage.body == b"not json at all"
    assert "Invalid JSON" in str(garbage.headers["x-death-reason"])
    assert f"{kind}.command_id: Field required" in str(incomplete.headers["x-death-reason"])
    assert garbage.headers["x-original-queue"] == topology.command_queue(service)
    await channel.close()


def authorize(order_id: str, customer: str, amount: int = 2500) -> AuthorizePayment:
    return AuthorizePayment(
        command_id=f"{order_id}:authorize-payment",
        order_id=order_id,
        customer_id=customer,
        payment_method="card-4242",
        amount_cents=amount,
    )


async def test_payment_answers_a_command_and_a_resent_one_identically_holding_funds_once(
    payment: Hosted, client: RequestClient, topology: Topology
) -> None:
    command = authorize(f"o-{uuid.uuid4().hex[:8]}", "bob")

    first = await client.send_command("payment", command, timeout=TIMEOUT)
    resent = await client.send_command("payment", command, timeout=TIMEOUT)
    raw = await client.request(
        topology.query_queue("payment"), ReadFeed(after_seq=0), uuid.uuid4().hex, TIMEOUT
    )

    assert isinstance(first.body, PaymentAuthorized)
    assert resent == first
    assert [e.event for e in FeedPage.model_validate_json(raw).events] == [first.body]
    async with payment.sessions() as session:
        assert (await session.get_one(Account, "bob")).held_cents == 2500


async def test_the_inventory_process_serves_until_told_to_stop(
    rabbitmq_url: str, client: RequestClient, topology: Topology, tmp_path: Path
) -> None:
    stop = asyncio.Event()
    process = asyncio.create_task(
        serve(INVENTORY, settings(rabbitmq_url, topology, tmp_path), stop)
    )

    reply = await client.send_command("inventory", reserve("o-run"), timeout=TIMEOUT)
    stop.set()
    await asyncio.wait_for(process, TIMEOUT)

    assert isinstance(reply.body, StockReserved)
