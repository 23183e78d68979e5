"""A participant stopped with SIGTERM mid-load drains: it stops taking commands, finishes those in
flight (their replies and acks go out), leaves the rest in the queue, and exits 0. Restarted, it
handles what was left: every command gets exactly one reply and one effect, and the stock adds
up. In-process, the drain's bound: a handler past it is cut and its command redelivered."""

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aio_pika import DeliveryMode, Message
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.commands import ReserveStock
from ordersaga.contracts.events import CommandRejected, StockReserved
from ordersaga.contracts.orders import OrderLine
from ordersaga.contracts.replies import Reply
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import Topology, declare_command_queue
from ordersaga.services.host.hosting import hosting
from ordersaga.services.host.service import Outcome
from ordersaga.services.inventory.rules import reserve_stock
from ordersaga.services.inventory.service import INVENTORY
from ordersaga.settings import ServiceSettings

COMMANDS = 500
ON_HAND = 100  # SKU-42 in the demo stock: the first 100 reserve, the rest are out of stock
STOP_SECONDS = 30.0


class Replies:
    """A reply queue of the test's own, counting every reply per command id (RequestClient
    drops a second one; here a second one is the failure)."""

    def __init__(self) -> None:
        self.by_command: dict[str, list[Reply]] = defaultdict(list)
        self.queue = ""

    async def on_reply(self, message: AbstractIncomingMessage) -> None:
        reply = Reply.model_validate_json(message.body)
        self.by_command[message.correlation_id or ""].append(reply)

    async def until(self, done: Callable[[], bool], seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: {len(self.by_command)} of {COMMANDS} answered")
            await asyncio.sleep(0.02)


@pytest.fixture
async def replies(connection: AbstractRobustConnection) -> AsyncIterator[Replies]:
    channel, found = await connection.channel(), Replies()
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    found.queue = queue.name
    await queue.consume(found.on_reply, no_ack=True)
    yield found
    await channel.close()


def reserve(n: int) -> ReserveStock:
    order_id = f"o-{n:04d}"
    items = [OrderLine(sku="SKU-42", quantity=1)]
    return ReserveStock(command_id=f"order-{order_id}:run:reserve", order_id=order_id, items=items)


@contextlib.contextmanager
def write_lock_held(database: Path) -> Iterator[None]:
    """Another process's transaction holding the database's write lock (SQLite's BEGIN
    IMMEDIATE) for the duration of the block."""
    holder = sqlite3.connect(database, timeout=10, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


class Participant:
    """`python -m ordersaga.cli inventory`, its output (JSON lines) in a file."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder, self.log = env, folder, folder / "inventory.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ordersaga.cli", "inventory"],
                cwd=self.folder,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    async def serving(self, starts: int) -> None:
        deadline = time.monotonic() + 30
        while sum(line.get("message") == "inventory serving" for line in self.lines()) < starts:
            assert self.process is not None and self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, f"inventory did not start:\n{self.text()}"
            await asyncio.sleep(0.05)

    async def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(self.process.wait, STOP_SECONDS)
        self.process = None
        return code

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def lines(self) -> list[dict[str, Any]]:
        """The JSON lines of the log (anything else, e.g. a crash's traceback, is skipped)."""
        return [json.loads(line) for line in self.text().splitlines() if line.startswith("{")]


@pytest.fixture
def participant(rabbitmq_url: str, topology: Topology, tmp_path: Path) -> Iterator[Participant]:
    env = {
        **os.environ,
        "ORDERSAGA_ENVIRONMENT": "test",
        "ORDERSAGA_RABBITMQ_URL": rabbitmq_url,
        "ORDERSAGA_BUS_PREFIX": topology.prefix,
        "ORDERSAGA_INVENTORY_DB_URL": f"sqlite+aiosqlite:///{tmp_path / 'inventory.db'}",
        "ORDERSAGA_LOG_FORMAT": "json",
        "ORDERSAGA_SHUTDOWN_SECONDS": "10",
    }
    running = Participant(env, tmp_path)
    yield running
    running.kill()


async def send_all(
    connection: AbstractRobustConnection, topology: Topology, reply_to: str
) -> list[ReserveStock]:
    """Publish every command (persistent, confirmed), each answered to `reply_to`."""
    channel = await connection.channel(publisher_confirms=True)
    await declare_command_queue(channel, topology, "inventory")
    commands = [reserve(n) for n in range(COMMANDS)]
    exchange, queue = channel.default_exchange, topology.command_queue("inventory")
    messages = [
        Message(
            c.model_dump_json().encode(),
            delivery_mode=DeliveryMode.PERSISTENT,
            correlation_id=c.command_id,
            reply_to=reply_to,
        )
        for c in commands
    ]
    await asyncio.gather(*(exchange.publish(message, queue) for message in messages))
    await channel.close()
    return commands


async def test_sigterm_mid_load_drains_and_a_restart_handles_the_rest_exactly_once(
    participant: Participant,
    connection: AbstractRobustConnection,
    topology: Topology,
    replies: Replies,
    tmp_path: Path,
) -> None:
    participant.start()
    await participant.serving(starts=1)
    commands = await send_all(connection, topology, replies.queue)
    await replies.until(lambda: len(replies.by_command) >= 30, 30, "the first replies")
    with write_lock_held(tmp_path / "inventory.db"):
        # Handlers now wait for the lock mid-transaction: the SIGTERM meets them in flight.
        await asyncio.sleep(0.2)
        terminated = asyncio.create_task(participant.terminate())
        await asyncio.sleep(0.5)
    assert await terminated == 0, participant.text()
    answered_before_restart = len(replies.by_command)
    participant.start()
    await participant.serving(starts=2)
    await replies.until(lambda: len(replies.by_command) == COMMANDS, 60, "every reply")
    await asyncio.sleep(0.5)  # a duplicate reply would arrive by now
    assert await participant.terminate() == 0, participant.text()

    assert answered_before_restart < COMMANDS, "the SIGTERM came after the load"
    assert {c.command_id for c in commands} == set(replies.by_command)
    twice = {cid: len(found) for cid, found in replies.by_command.items() if len(found) != 1}
    assert not twice, f"answered more than once: {twice}"
    bodies = {cid: found[0].body for cid, found in replies.by_command.items()}
    reserved = {b.order_id for b in bodies.values() if isinstance(b, StockReserved)}
    refused = [b for b in bodies.values() if isinstance(b, CommandRejected)]
    assert (len(reserved), len(refused)) == (ON_HAND, COMMANDS - ON_HAND)
    with sqlite3.connect(tmp_path / "inventory.db") as db:
        stock = db.execute("SELECT on_hand, reserved FROM stock_items WHERE sku = 'SKU-42'")
        rows = db.execute("SELECT order_id FROM reservations").fetchall()
        processed = db.execute("SELECT count(*) FROM processed_commands").fetchone()[0]
        events = dict(db.execute("SELECT kind, count(*) FROM events GROUP BY kind").fetchall())
    assert stock.fetchone() == (ON_HAND, ON_HAND)
    assert sorted(order_id for (order_id,) in rows) == sorted(reserved)
    assert processed == COMMANDS
    assert events == {"StockReserved": ON_HAND, "CommandRejected": COMMANDS - ON_HAND}
    drained = [
        line["message"]
        for line in participant.lines()
        if line["logger"] == "ordersaga.services.host.consumer" and "drained" in line["message"]
    ]
    assert drained, participant.text()
    assert drained[0].endswith(", 0 left unacked for redelivery"), drained
    assert not drained[0].startswith("inventory: drained: 0 finished"), drained
    stopped = [line for line in participant.lines() if line["message"] == "inventory stopped"]
    assert len(stopped) == 2 and all(line["process"] == "inventory" for line in stopped)


def settings(
    rabbitmq_url: str, topology: Topology, folder: Path, seconds: float
) -> ServiceSettings:
    return ServiceSettings(
        environment="test",
        rabbitmq_url=rabbitmq_url,
        bus_prefix=topology.prefix,
        inventory_db_url=f"sqlite+aiosqlite:///{folder / 'inventory.db'}",
        shutdown_seconds=seconds,
    )


async def test_a_handler_within_the_bound_finishes_and_one_past_it_is_redelivered(
    rabbitmq_url: str, topology: Topology, tmp_path: Path, client: RequestClient
) -> None:
    entered, calls = asyncio.Event(), 0

    async def slow(session: AsyncSession, command: Any) -> Outcome:
        nonlocal calls
        calls += 1
        entered.set()
        await asyncio.sleep(1.0)
        return await reserve_stock(session, command)

    patient = dataclasses.replace(INVENTORY, rules={ReserveStock: slow})
    first, second = reserve(1), reserve(2)

    async with hosting(patient, settings(rabbitmq_url, topology, tmp_path, seconds=5)):
        answer = asyncio.create_task(client.send_command("inventory", first, timeout=10))
        await entered.wait()
    assert isinstance((await answer).body, StockReserved)  # finished while stopping
    assert calls == 1

    entered.clear()
    async with hosting(patient, settings(rabbitmq_url, topology, tmp_path, seconds=0.1)):
        answer = asyncio.create_task(client.send_command("inventory", second, timeout=20))
        await entered.wait()
    assert not answer.done()  # cut at the bound: no reply, no ack
    async with hosting(INVENTORY, settings(rabbitmq_url, topology, tmp_path, seconds=5)):
        reply = await answer  # redelivered to the next instance
    assert isinstance(reply.body, StockReserved)
    assert calls == 2
