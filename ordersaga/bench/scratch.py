"""Scratch sources for a benchmark: the three services hosted for real on their own databases
and a bus prefix of their own, with a product and an account big enough for any backlog, and
order flows written into their logs as their rules would write them."""

import contextlib
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from pydantic import BaseModel

from ordersaga.contracts.events import (
    OrderApproved,
    OrderCompleted,
    OrderPlaced,
    PaymentAuthorized,
    PaymentCaptured,
    StockCommitted,
    StockReserved,
)
from ordersaga.contracts.orders import OrderLine, PricedLine
from ordersaga.database.event_log import append_events, mark_published
from ordersaga.database.messaging_tables import messaging_tables
from ordersaga.services.host.hosting import Hosted, hosting
from ordersaga.services.host.service import Service
from ordersaga.services.inventory.models import StockItem
from ordersaga.services.inventory.service import INVENTORY
from ordersaga.services.orders.service import ORDERS
from ordersaga.services.payment.models import Account
from ordersaga.services.payment.service import PAYMENT
from ordersaga.settings import ServiceSettings

SERVICES: dict[str, Service] = {"orders": ORDERS, "inventory": INVENTORY, "payment": PAYMENT}
SKU, CUSTOMER, PRICE = "BENCH-1", "bench", 100
EVENTS_PER_ORDER = 7


@dataclass
class Sources:
    hosted: dict[str, Hosted]

    async def append(self, source: str, events: list[BaseModel], lost: bool = False) -> int:
        """Commit events to the source's log; `lost`: the bus never carries them. Returns the
        last sequence number; the relay is woken for events that are not lost."""
        hosted = self.hosted[source]
        tables = messaging_tables(SERVICES[source].tables)
        async with hosted.sessions() as session, session.begin():
            last = await append_events(session, tables, events)
            if lost:
                first = last - len(events) + 1
                await mark_published(session, tables, list(range(first, last + 1)))
        if not lost:
            hosted.relay.notify()
        return last


def order_flow(order_id: str) -> list[tuple[str, BaseModel]]:
    """The seven events of a completed order, in the order a saga makes them."""
    line = OrderLine(sku=SKU, quantity=1)
    priced = PricedLine(sku=SKU, quantity=1, unit_price_cents=PRICE)
    return [
        (
            "orders",
            OrderPlaced(
                order_id=order_id, customer_id=CUSTOMER, items=[line], payment_method="card"
            ),
        ),  # fmt: skip
        ("inventory", StockReserved(order_id=order_id, lines=[priced], total_cents=PRICE)),
        (
            "payment",
            PaymentAuthorized(
                order_id=order_id,
                authorization_id=f"auth-{order_id}",
                customer_id=CUSTOMER,
                amount_cents=PRICE,
            ),
        ),  # fmt: skip
        ("orders", OrderApproved(order_id=order_id, total_cents=PRICE)),
        (
            "payment",
            PaymentCaptured(
                order_id=order_id, authorization_id=f"auth-{order_id}", amount_cents=PRICE
            ),
        ),  # fmt: skip
        ("inventory", StockCommitted(order_id=order_id, lines=[line])),
        ("orders", OrderCompleted(order_id=order_id, total_cents=PRICE)),
    ]


@contextlib.asynccontextmanager
async def scratch_sources(
    urls: dict[str, str], rabbitmq_url: str, prefix: str
) -> AsyncIterator[Sources]:
    settings = ServiceSettings(
        rabbitmq_url=rabbitmq_url,
        bus_prefix=prefix,
        orders_db_url=urls["orders"],
        inventory_db_url=urls["inventory"],
        payment_db_url=urls["payment"],
    )
    async with contextlib.AsyncExitStack() as stack:
        hosted = {
            name: await stack.enter_async_context(hosting(service, settings))
            for name, service in SERVICES.items()
        }
        async with hosted["inventory"].sessions() as session, session.begin():
            session.add(StockItem(sku=SKU, name="benchmark stock", unit_price_cents=PRICE,
                                  on_hand=1_000_000_000, reserved=0))  # fmt: skip
        async with hosted["payment"].sessions() as session, session.begin():
            session.add(Account(customer_id=CUSTOMER, credit_limit_cents=2_000_000_000,
                                held_cents=0, captured_cents=0, blocked=False))  # fmt: skip
        yield Sources(hosted)


async def write_backlog(sources: Sources, events: int, chunk_orders: int = 500) -> int:
    """At least `events` events of completed orders, lost to the bus (a projector catches up
    from the feeds). Returns how many were written."""
    orders, written, stamp = -(-events // EVENTS_PER_ORDER), 0, int(time.time())
    for start in range(0, orders, chunk_orders):
        by_source: dict[str, list[BaseModel]] = {s: [] for s in SERVICES}
        for n in range(start, min(orders, start + chunk_orders)):
            for source, event in order_flow(f"backlog-{stamp}-{n}"):
                by_source[source].append(event)
        for source, batch in by_source.items():
            await sources.append(source, batch, lost=True)
            written += len(batch)
    return written


@contextlib.asynccontextmanager
async def scratch_databases(postgres_dsn: str | None) -> AsyncIterator[dict[str, str]]:
    """One empty database per process: SQLite files in a temporary folder, or PostgreSQL
    databases created on `postgres_dsn` (postgresql://user@host:port/db) and dropped after."""
    names = (*SERVICES, "projector")
    if postgres_dsn is None:
        with tempfile.TemporaryDirectory(prefix="ordersaga-bench-") as folder:
            yield {n: f"sqlite+aiosqlite:///{Path(folder) / f'{n}.db'}" for n in names}
        return
    created = {n: f"ordersaga_bench_{n}_{uuid.uuid4().hex[:8]}" for n in names}
    connection = await asyncpg.connect(postgres_dsn)
    try:
        for database in created.values():
            await connection.execute(f'CREATE DATABASE "{database}"')
        base = postgres_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        yield {n: f"{base}/{database}" for n, database in created.items()}
    finally:
        for database in created.values():
            await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await connection.close()
