"""An operator's commands on the real system: through the API, the CLI and the library, over
RabbitMQ to the real services. The read model shows the new product and account (followed live
and backfilled alike, on SQLite and PostgreSQL), reconcile finds no drift, and the auditor
counts restocks and added products: clean after orders, and it finds on-hand stock that no
event explains."""

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from ordersaga import catalog
from ordersaga.auditor import Audit, temporal_sagas
from ordersaga.contracts.orders import OrderStatus
from ordersaga.contracts.rejections import RejectionCode
from ordersaga.projector import catalog as builds
from ordersaga.projector.reconcile import reconcile
from ordersaga.projector.views import views
from ordersaga.projector.wiring import connected_feeds, saga_ended_in
from ordersaga.rabbitmq.connection import connect
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import Topology
from ordersaga.services.host.hosting import hosting
from ordersaga.services.inventory.models import StockItem
from ordersaga.services.inventory.service import INVENTORY
from ordersaga.services.payment.service import PAYMENT
from ordersaga.settings import ProcessSettings, ServiceSettings
from tests.support.http_api import real_api
from tests.support.read_model import ProjectorHarness
from tests.support.system import SagaSystem
from tests.support.waiting import eventually

PRODUCT = {"sku": "NEW-1", "name": "Kettle", "unit_price_cents": 1000, "on_hand": 10}


@pytest.fixture(params=["sqlite", "postgresql"])
def saga_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_added_stock_and_accounts_are_ordered_from_projected_and_audited(
    system: SagaSystem, projector: ProjectorHarness
) -> None:
    settings = ProcessSettings(
        rabbitmq_url=system.urls["rabbitmq"], bus_prefix=system.topology.prefix
    )
    async with connected_feeds(settings, "catalog-test") as feeds:
        audit = Audit(feeds, temporal_sagas(system.client, system.task_queue))
        before = await audit.baseline()
        async with real_api(system, max_wait=20) as http:
            assert (await http.post("/products", json=PRODUCT)).status_code == 201
            key = {"Idempotency-Key": "restock-new-1"}
            for _ in range(2):  # the same key twice: restocked once
                restocked = await http.post(
                    "/products/NEW-1/restock", json={"quantity": 5}, headers=key
                )
                assert restocked.status_code == 200 and restocked.json()["on_hand"] == 15
            seed = await http.post("/products/SKU-42/restock", json={"quantity": 10})
            assert seed.json()["on_hand"] == 110
            account = {"customer_id": "dave", "credit_limit_cents": 100_000}
            assert (await http.post("/customers", json=account)).status_code == 201
            token = (await http.post("/customers", json=account)).headers["X-Consistency-Token"]
            read = await http.get("/products/NEW-1", headers={"X-Consistency-Token": token})
            assert (read.json()["on_hand"], read.json()["available"]) == (15, 15)
            dave = await http.get("/customers/dave", headers={"X-Consistency-Token": token})
            assert dave.json()["credit_limit_cents"] == 100_000
            unknown = await http.post("/products/NOPE/restock", json={"quantity": 1})
            assert unknown.status_code == 404

        sold = await system.place(customer="dave", items={"NEW-1": 3, "SKU-42": 1})
        too_many = await system.place(customer="dave", items={"NEW-1": 20})
        alice = await system.place(customer="alice", items={"SKU-42": 2})
        assert (sold.status, too_many.status, alice.status) == (
            OrderStatus.COMPLETED, OrderStatus.REJECTED, OrderStatus.COMPLETED,
        )  # fmt: skip
        await projector.caught_up()
        read_model = projector.read_model()
        product = await read_model.product("NEW-1")
        assert product is not None and (product.on_hand, product.reserved) == (12, 0)
        seeded = await read_model.product("SKU-42")
        assert seeded is not None and seeded.on_hand == 107
        customer = await read_model.customer("dave")
        assert customer is not None
        assert (customer.orders, customer.credit_limit_cents, customer.captured_cents) == (
            2, 100_000, 3 * 1000 + 1890,
        )  # fmt: skip
        async with projector.feeds() as projector_feeds:
            drift = await reconcile(
                projector.sessions, projector_feeds, saga_ended_in(system.client)
            )
        assert drift == []

        assert await audit.run(before) == []
        assert await audit.run() == []  # NEW-1 is checked without a baseline too

        async with system._sessions("inventory")() as session, session.begin():
            await session.execute(
                update(StockItem)
                .where(StockItem.sku == "NEW-1")
                .values(on_hand=StockItem.on_hand + 1)
            )
        found = {(v.rule, v.subject) for v in await audit.run()}
        assert found == {("stock-on-hand", "NEW-1")}


async def test_a_build_backfilled_after_the_commands_equals_the_one_that_followed_them(
    system: SagaSystem, projector: ProjectorHarness
) -> None:
    settings = ProcessSettings(
        rabbitmq_url=system.urls["rabbitmq"], bus_prefix=system.topology.prefix
    )
    async with _requests(settings) as requests:
        await catalog.add_product(requests, "NEW-1", "Kettle", 1000, on_hand=10)
        await catalog.restock(requests, "NEW-1", 4)
        await catalog.open_account(requests, "dave", 50_000)
    await system.place(customer="dave", items={"NEW-1": 2})
    await projector.caught_up()
    async with projector.writer() as session, session.begin():
        build = await builds.request_build(session)

    async def switched() -> bool:
        async with projector.sessions() as session:
            return await builds.serving_build(session) == build

    await eventually(switched)
    await projector.caught_up()
    assert await _rows(projector, 1) == await _rows(projector, build)
    product = await projector.read_model().product("NEW-1")
    assert product is not None and product.on_hand == 12


async def test_the_library_answers_with_the_event_or_the_refusal(
    client: RequestClient, rabbitmq_url: str, topology: Topology, tmp_path: Path
) -> None:
    async with _services(rabbitmq_url, topology, tmp_path):
        added = await catalog.add_product(client, "NEW-1", "Kettle", 1000, 5, command_id="a1")
        assert (added.on_hand, added.existed) == (5, False)
        again = await catalog.add_product(client, "NEW-1", "Kettle", 1000, 5, command_id="a2")
        assert again.existed
        with pytest.raises(catalog.CatalogRefused) as refused:
            await catalog.add_product(client, "NEW-1", "Teapot", 1000)
        assert refused.value.code == RejectionCode.PRODUCT_EXISTS
        for _ in range(2):
            restocked = await catalog.restock(client, "NEW-1", 3, command_id="r1")
            assert restocked.on_hand == 8
        with pytest.raises(catalog.CatalogRefused) as unknown:
            await catalog.restock(client, "NOPE", 3)
        assert unknown.value.code == RejectionCode.UNKNOWN_SKU
        opened = await catalog.open_account(client, "dave", 1000, blocked=True)
        assert opened.blocked and not opened.existed


async def test_the_cli_sends_the_commands_on_the_bus(
    rabbitmq_url: str, topology: Topology, tmp_path: Path
) -> None:
    async with _services(rabbitmq_url, topology, tmp_path):
        added = await _cli(rabbitmq_url, topology, "add-product", "NEW-1", "--name", "Kettle",
                           "--price-cents", "1000", "--on-hand", "5")  # fmt: skip
        assert added == (0, "added NEW-1 'Kettle' at 1000 cents, 5 on hand\n", "")
        restocked = await _cli(
            rabbitmq_url, topology, "restock", "NEW-1", "7", "--command-id", "r1"
        )
        again = await _cli(rabbitmq_url, topology, "restock", "NEW-1", "7", "--command-id", "r1")
        assert restocked == again == (0, "restocked 7 x NEW-1: 12 on hand\n", "")
        opened = await _cli(rabbitmq_url, topology, "open-account", "dave",
                            "--credit-limit-cents", "5000")  # fmt: skip
        assert opened == (0, "opened dave's account, limit 5000 cents\n", "")
        code, _, err = await _cli(rabbitmq_url, topology, "restock", "NOPE", "1")
        assert (code, err) == (1, "refused (UnknownSku): unknown SKU NOPE\n")
        code, _, err = await _cli(rabbitmq_url, topology, "restock", "NEW-1", "0")
        assert code == 2 and "quantity" in err
        code, _, err = await _cli(rabbitmq_url, topology, "open-account", "dave",
                                  "--credit-limit-cents", "5000", key="demo-alice")  # fmt: skip
        assert code == 3 and "operator" in err


async def _cli(
    rabbitmq_url: str, topology: Topology, *args: str, key: str = "demo-operator"
) -> tuple[int, str, str]:
    env = {**os.environ, "ORDERSAGA_RABBITMQ_URL": rabbitmq_url,
           "ORDERSAGA_BUS_PREFIX": topology.prefix, "ORDERSAGA_API_KEY": key}  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ordersaga.cli", "catalog", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@contextlib.asynccontextmanager
async def _services(rabbitmq_url: str, topology: Topology, folder: Path) -> AsyncIterator[None]:
    """Inventory and payment hosted in this event loop, each on a SQLite file of its own."""
    settings = ServiceSettings(
        rabbitmq_url=rabbitmq_url,
        bus_prefix=topology.prefix,
        inventory_db_url=f"sqlite+aiosqlite:///{folder / 'inventory.db'}",
        payment_db_url=f"sqlite+aiosqlite:///{folder / 'payment.db'}",
    )
    async with hosting(INVENTORY, settings), hosting(PAYMENT, settings):
        yield


@contextlib.asynccontextmanager
async def _requests(settings: ProcessSettings) -> AsyncIterator[RequestClient]:
    """A request client of its own on the system's bus."""
    async with await connect(settings.rabbitmq_url, "catalog-test") as connection:
        client = RequestClient(connection, Topology(settings.bus_prefix))
        await client.start()
        yield client


async def _rows(projector: ProjectorHarness, build: int) -> dict[str, Any]:
    v = views(build)
    found = {}
    async with projector.sessions() as session:
        for table in (v.orders, v.products, v.customers, v.order_skus, v.timeline):
            rows = (await session.execute(select(table))).mappings().all()
            found[table.name.split("_", 1)[1]] = sorted(
                ({k: val for k, val in r.items() if k not in ("updated_at", "placed_at")}
                 for r in rows), key=repr,
            )  # fmt: skip
    return found
