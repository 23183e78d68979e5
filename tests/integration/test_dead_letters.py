"""`ordersaga dead-letters` on real RabbitMQ: listing leaves the queue as it was, drop removes
exactly what it is asked to, and a redriven command is handled by the real inventory service
once, however often it is redriven (the participant's dedup by command id)."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aio_pika import DeliveryMode, Message
from aio_pika.abc import AbstractQueue, AbstractRobustConnection
from typer.testing import CliRunner

from ordersaga.cli.main import app
from ordersaga.contracts.commands import ReserveStock
from ordersaga.contracts.events import StockReserved
from ordersaga.contracts.orders import OrderLine
from ordersaga.contracts.replies import Reply
from ordersaga.rabbitmq.dead_letters import DeadLetters, NotFound
from ordersaga.rabbitmq.topology import Topology, declare_command_queue
from ordersaga.services.host.hosting import Hosted, hosting
from ordersaga.services.inventory.models import StockItem
from ordersaga.services.inventory.service import INVENTORY
from ordersaga.settings import ServiceSettings
from tests.support.waiting import eventually


@pytest.fixture
async def inventory(rabbitmq_url: str, topology: Topology, tmp_path: Path) -> AsyncIterator[Hosted]:
    """The real inventory service, in-process, on a SQLite database of the test's own."""
    settings = ServiceSettings(
        rabbitmq_url=rabbitmq_url,
        bus_prefix=topology.prefix,
        inventory_db_url=f"sqlite+aiosqlite:///{tmp_path / 'inventory.db'}",
    )
    async with hosting(INVENTORY, settings) as hosted:
        yield hosted


@pytest.fixture
def letters(connection: AbstractRobustConnection, topology: Topology) -> DeadLetters:
    return DeadLetters(connection, topology)


async def plant(
    connection: AbstractRobustConnection,
    topology: Topology,
    body: bytes,
    headers: dict[str, Any],
    **properties: Any,
) -> None:
    """A message in inventory's dead-letter queue, as if it had failed there."""
    channel = await connection.channel(publisher_confirms=True)
    await declare_command_queue(channel, topology, "inventory")
    exchange = await channel.get_exchange(topology.dead_letter_exchange)
    message = Message(body, headers=headers, delivery_mode=DeliveryMode.PERSISTENT, **properties)
    await exchange.publish(message, routing_key=topology.dead_letter_queue("inventory"))
    await channel.close()


async def waiting(connection: AbstractRobustConnection, topology: Topology) -> int:
    """Messages ready in inventory's dead-letter queue, as the broker counts them."""
    channel = await connection.channel()
    queue = await channel.declare_queue(topology.dead_letter_queue("inventory"), passive=True)
    await channel.close()
    return int(queue.declaration_result.message_count or 0)


async def reserved(hosted: Hosted) -> int:
    async with hosted.sessions() as session:
        item = await session.get(StockItem, "SKU-42")
        assert item is not None
        return item.reserved


async def next_reply(queue: AbstractQueue) -> Reply:
    got: list[bytes] = []

    async def arrived() -> bool:
        message = await queue.get(no_ack=True, fail=False)
        if message is not None:
            got.append(message.body)
        return bool(got)

    await eventually(arrived, 10)
    return Reply.model_validate_json(got[0])


def reserve_stock() -> ReserveStock:
    order_id = uuid.uuid4().hex
    return ReserveStock(
        command_id=f"{order_id}:reserve",
        order_id=order_id,
        items=[OrderLine(sku="SKU-42", quantity=1)],
    )


async def test_garbage_is_listed_with_its_reason_and_left_in_place_and_drop_takes_one(
    connection: AbstractRobustConnection,
    topology: Topology,
    inventory: Hosted,
    letters: DeadLetters,
) -> None:
    channel = await connection.channel(publisher_confirms=True)
    for n in range(3):
        garbage = Message(f"not json {n}".encode(), message_id=f"garbage-{n}")
        await channel.default_exchange.publish(garbage, topology.command_queue("inventory"))
    await channel.close()

    async def all_dead_lettered() -> bool:
        return await waiting(connection, topology) == 3

    await eventually(all_dead_lettered, 10)

    listed = await letters.list()
    assert {letter.message_id for letter in listed} == {"garbage-0", "garbage-1", "garbage-2"}
    for letter in listed:
        assert letter.service == "inventory"
        assert "Invalid JSON" in letter.reason
        assert letter.original_queue == topology.command_queue("inventory")
        assert letter.kind is None
        assert letter.text.startswith("not json")
    assert await letters.list() == listed  # nothing taken, nothing reordered
    assert await waiting(connection, topology) == 3

    dropped = await letters.drop("inventory", "garbage-1")
    assert [letter.message_id for letter in dropped] == ["garbage-1"]
    assert await letters.list() == tuple(x for x in listed if x.message_id != "garbage-1")
    with pytest.raises(NotFound):
        await letters.drop("inventory", "garbage-1")
    assert await waiting(connection, topology) == 2


async def test_a_redriven_command_is_handled_once_however_often_it_is_redriven(
    connection: AbstractRobustConnection,
    topology: Topology,
    inventory: Hosted,
    letters: DeadLetters,
) -> None:
    command = reserve_stock()
    queue = topology.command_queue("inventory")
    channel = await connection.channel()
    replies = await channel.declare_queue(exclusive=True)
    ids = {"message_id": command.command_id, "correlation_id": command.command_id}
    body = command.model_dump_json().encode()
    reason = {"x-death-reason": "handler failed: OSError()", "x-original-queue": queue}
    await plant(connection, topology, body, reason, reply_to=replies.name, **ids)
    before = await reserved(inventory)

    (listed,) = await letters.list()
    assert (listed.kind, listed.reason) == ("ReserveStock", "handler failed: OSError()")
    redriven = await letters.redrive("inventory", command.command_id)
    assert [letter.message_id for letter in redriven] == [command.command_id]
    first = await next_reply(replies)
    assert isinstance(first.body, StockReserved)
    assert await reserved(inventory) == before + 1
    assert await letters.list() == ()

    # It dies again (its reply lost, say), this time through the quorum queue's delivery limit.
    death = {"count": 10, "reason": "delivery_limit", "queue": queue, "exchange": ""}
    await plant(connection, topology, body, {"x-death": [death]}, reply_to=replies.name, **ids)
    (again,) = await letters.list()
    assert again.original_queue == queue
    assert again.reason.startswith("delivery_limit") and "10x" in again.reason
    assert len(await letters.redrive("inventory", None)) == 1
    assert await next_reply(replies) == first  # answered from the stored reply
    assert await reserved(inventory) == before + 1
    assert await letters.list() == ()


async def test_a_redriven_message_keeps_its_ids_and_sheds_its_death_headers(
    connection: AbstractRobustConnection, topology: Topology, letters: DeadLetters
) -> None:
    queue = topology.command_queue("inventory")
    headers = {
        "x-death-reason": "boom",
        "x-original-queue": queue,
        "x-death": [{"count": 1, "reason": "rejected", "queue": queue}],
        "x-first-death-reason": "rejected",
        "trace": "keep-me",
    }
    ids = {"message_id": "m-1", "correlation_id": "c-1", "reply_to": "r-1", "type": "ReserveStock"}
    await plant(connection, topology, b'{"kind": "ReserveStock"}', headers, **ids)
    await plant(connection, topology, b"another", {"x-death-reason": "bad"}, message_id="m-2")

    await letters.redrive("inventory", "m-1")

    channel = await connection.channel()
    sent = await (await channel.get_queue(queue)).get(no_ack=True, fail=False)
    await channel.close()
    assert sent is not None
    assert (sent.message_id, sent.correlation_id, sent.reply_to) == ("m-1", "c-1", "r-1")
    assert sent.delivery_mode == DeliveryMode.PERSISTENT
    own = {key: value for key, value in sent.headers.items() if key != "x-delivery-count"}
    assert own == {"trace": "keep-me"}  # the quorum queue's own delivery count aside
    assert sent.body == b'{"kind": "ReserveStock"}'
    assert [letter.message_id for letter in await letters.list()] == ["m-2"]


async def test_the_cli_lists_shows_and_drops_and_says_when_an_id_is_not_there(
    rabbitmq_url: str, connection: AbstractRobustConnection, topology: Topology
) -> None:
    await plant(connection, topology, b'{"kind": "CommitStock"}', {"x-death-reason": "bad"},
                message_id="m-1")  # fmt: skip
    env = {"ORDERSAGA_RABBITMQ_URL": rabbitmq_url, "ORDERSAGA_BUS_PREFIX": topology.prefix}

    async def cli(*args: str) -> tuple[int, str]:
        # In a thread of its own: the CLI runs its own event loop.
        result = await asyncio.to_thread(CliRunner().invoke, app, ["dead-letters", *args], env=env)
        return result.exit_code, result.output

    code, listing = await cli("list", "--service", "inventory")
    assert code == 0
    assert "inventory  m-1  CommitStock" in listing and "reason: bad" in listing
    assert (await cli("show", "inventory", "m-1"))[0] == 0
    code, missing = await cli("show", "inventory", "nope")
    assert code == 1 and "not found" in missing
    assert (await cli("redrive", "inventory", "nope"))[0] == 1
    code, dropped = await cli("drop", "inventory", "m-1")
    assert code == 0 and '{"kind": "CommitStock"}' in dropped
    assert await waiting(connection, topology) == 0
