"""The host under faults, on real RabbitMQ and databases: a command its rule cannot process, a
database that goes away for a second, and SQLite's durability setting."""

import asyncio
import dataclasses
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.commands import ReserveStock
from ordersaga.contracts.events import StockReserved
from ordersaga.contracts.orders import OrderLine
from ordersaga.database.engine import create_engine
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import Topology, declare_command_queue
from ordersaga.services.host.hosting import hosting
from ordersaga.services.host.service import Outcome
from ordersaga.services.inventory.service import INVENTORY
from ordersaga.settings import ServiceSettings
from tests.conftest import DatabaseFactory


def settings(rabbitmq_url: str, topology: Topology, inventory_db_url: str) -> ServiceSettings:
    return ServiceSettings(
        rabbitmq_url=rabbitmq_url, bus_prefix=topology.prefix, inventory_db_url=inventory_db_url
    )


def reserve() -> ReserveStock:
    order_id = uuid.uuid4().hex
    items = [OrderLine(sku="SKU-42", quantity=1)]
    return ReserveStock(command_id=f"{order_id}:reserve", order_id=order_id, items=items)


async def dead_letters(connection: AbstractRobustConnection, topology: Topology) -> int:
    channel = await connection.channel()
    await declare_command_queue(channel, topology, "inventory")
    queue = await channel.get_queue(topology.dead_letter_queue("inventory"))
    count = queue.declaration_result.message_count or 0
    await channel.close()
    return count


async def test_a_command_its_rule_cannot_process_is_dead_lettered_at_once_with_the_reason(
    rabbitmq_url: str,
    topology: Topology,
    tmp_path: Path,
    connection: AbstractRobustConnection,
    client: RequestClient,
) -> None:
    """A bug fails the same way at every delivery: no requeue loop through the delivery limit."""
    calls = 0

    async def broken(session: AsyncSession, command: Any) -> Outcome:
        nonlocal calls
        calls += 1
        raise ValueError("the rule cannot take this")

    brittle = dataclasses.replace(INVENTORY, rules={ReserveStock: broken})
    url = f"sqlite+aiosqlite:///{tmp_path / 'inventory.db'}"
    async with hosting(brittle, settings(rabbitmq_url, topology, url)):
        with pytest.raises(TimeoutError):
            await client.send_command("inventory", reserve(), timeout=2)

    assert calls == 1
    channel = await connection.channel()
    queue = await channel.get_queue(topology.dead_letter_queue("inventory"))
    dead = await queue.get(no_ack=True, fail=False)
    assert dead is not None
    assert "the rule cannot take this" in str(dead.headers["x-death-reason"])


async def test_a_database_blip_costs_its_length_and_dead_letters_nothing(
    rabbitmq_url: str,
    topology: Topology,
    postgres_dsn: str,
    tmp_path: Path,
    connection: AbstractRobustConnection,
    client: RequestClient,
) -> None:
    databases = DatabaseFactory("postgresql", tmp_path)
    databases.dsn = postgres_dsn
    url = await databases.new_url("inventory")
    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(postgres_dsn)
    try:
        async with hosting(INVENTORY, settings(rabbitmq_url, topology, url)):
            await client.send_command("inventory", reserve(), timeout=10)  # warm, and seeded
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
            sent = [client.send_command("inventory", reserve(), timeout=30) for _ in range(8)]
            replies = asyncio.gather(*sent)
            await asyncio.sleep(1.5)
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            bodies = [reply.body for reply in await replies]
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
        await databases.drop_all()

    assert all(isinstance(body, StockReserved) for body in bodies)
    assert await dead_letters(connection, topology) == 0


async def test_every_sqlite_commit_is_on_disk_before_its_reply_is_sent(tmp_path: Path) -> None:
    """synchronous=FULL under WAL: a reply already sent survives an OS crash or power loss."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'durable.db'}")
    try:
        async with engine.connect() as connection:
            mode = (await connection.execute(text("PRAGMA synchronous"))).scalar_one()
            journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar_one()
    finally:
        await engine.dispose()
    assert (mode, journal) == (2, "wal")  # 2 = FULL
