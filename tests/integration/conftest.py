from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from messaging.topology import Topology
from tests.conftest import DatabaseFactory
from tests.integration.saga_system import SagaSystem, saga_system


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
