from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aio_pika.abc import AbstractRobustConnection
from temporalio.testing import WorkflowEnvironment

from ordersaga.rabbitmq.connection import connect
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import Topology
from tests.conftest import DatabaseFactory
from tests.support.read_model import ProjectorHarness
from tests.support.system import SagaSystem, serving


@pytest.fixture
async def connection(rabbitmq_url: str) -> AsyncIterator[AbstractRobustConnection]:
    """A broker connection of the test's own."""
    async with await connect(rabbitmq_url, "integration-tests") as conn:
        yield conn


@pytest.fixture
async def client(
    connection: AbstractRobustConnection, topology: Topology
) -> AsyncIterator[RequestClient]:
    """Request/reply on the test's topology, as the worker and the API use it."""
    requests = RequestClient(connection, topology)
    await requests.start()
    yield requests
    await requests.close()


@pytest.fixture
def saga_backend() -> str:
    """The database engine the saga tests run on (rules tests run on both). A test that must
    see the saga on PostgreSQL too parametrizes this fixture."""
    return "sqlite"


@pytest.fixture
async def system(
    temporal_dev: WorkflowEnvironment,
    topology: Topology,
    rabbitmq_url: str,
    saga_backend: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> AsyncIterator[SagaSystem]:
    """The saga with the real services and worker, each with its own database."""
    databases = DatabaseFactory(saga_backend, tmp_path)
    if saga_backend == "postgresql":
        databases.dsn = request.getfixturevalue("postgres_dsn")
    names = ("orders", "inventory", "payment", "projector")
    urls = {name: await databases.new_url(name) for name in names}
    running = SagaSystem(temporal_dev.client, topology, {**urls, "rabbitmq": rabbitmq_url})
    try:
        async with serving(running):
            yield running
    finally:
        await databases.drop_all()


@pytest.fixture
async def projector(system: SagaSystem) -> AsyncIterator[ProjectorHarness]:
    """The projector running beside the system, with its read model in its own database."""
    harness = ProjectorHarness(system)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.close()
