"""GET /inventory/{sku} over real RabbitMQ, answered by the real inventory service."""

import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.main import create_app
from api.stock import QUERY_TIMEOUT_SECONDS
from ordersaga.rabbitmq.topology import Topology
from ordersaga.services.host.hosting import hosting
from ordersaga.services.inventory.service import INVENTORY
from ordersaga.settings import ApiSettings, ServiceSettings
from tests.support.http_api import NoOrders, serving


@pytest.fixture
async def http(
    rabbitmq_url: str, topology: Topology, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The API with its own broker connection, as the process opens it."""
    settings = ApiSettings(
        rabbitmq_url=rabbitmq_url,
        bus_prefix=topology.prefix,
        projector_db_url=f"sqlite+aiosqlite:///{tmp_path / 'projector.db'}",
    )
    async with serving(create_app(settings, temporal_client=NoOrders())) as client:
        yield client


@contextlib.asynccontextmanager
async def inventory_running(
    rabbitmq_url: str, topology: Topology, tmp_path: Path
) -> AsyncIterator[None]:
    settings = ServiceSettings(
        rabbitmq_url=rabbitmq_url,
        bus_prefix=topology.prefix,
        inventory_db_url=f"sqlite+aiosqlite:///{tmp_path / 'inventory.db'}",
    )
    async with hosting(INVENTORY, settings):
        yield


async def test_stock_of_a_known_sku_comes_from_inventory(
    http: httpx.AsyncClient, rabbitmq_url: str, topology: Topology, tmp_path: Path
) -> None:
    async with inventory_running(rabbitmq_url, topology, tmp_path):
        answer = await http.get("/inventory/SKU-42")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "sku": "SKU-42",
        "found": True,
        "name": "Espresso beans 1kg",
        "unit_price_cents": 1890,
        "on_hand": 100,
        "reserved": 0,
        "available": 100,
    }


async def test_an_unknown_sku_answers_404(
    http: httpx.AsyncClient, rabbitmq_url: str, topology: Topology, tmp_path: Path
) -> None:
    async with inventory_running(rabbitmq_url, topology, tmp_path):
        answer = await http.get("/inventory/SKU-NOPE")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "SKU SKU-NOPE not found"}


async def test_inventory_not_running_answers_503_within_the_reply_timeout(
    http: httpx.AsyncClient,
) -> None:
    started = time.monotonic()
    answer = await http.get("/inventory/SKU-42")
    assert answer.status_code == 503
    assert answer.json() == {"detail": "inventory service unavailable"}
    assert time.monotonic() - started < QUERY_TIMEOUT_SECONDS + 2


async def test_readiness_sees_the_broker_connection(http: httpx.AsyncClient) -> None:
    answer = await http.get("/health/ready")
    assert answer.status_code == 200
    assert answer.json()["checks"]["rabbitmq"] is True  # Temporal's check is a stub's here
