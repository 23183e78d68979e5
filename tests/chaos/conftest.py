import random

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.e2e.conftest import processes

__all__ = ["processes"]


@pytest.fixture
def chaos_orders(request: pytest.FixtureRequest) -> int:
    return int(request.config.getoption("--chaos-orders"))


@pytest.fixture
def chaos_seed(request: pytest.FixtureRequest) -> int:
    seed = request.config.getoption("--chaos-seed")
    return int(seed) if seed is not None else random.randrange(1_000_000)


@pytest.fixture
def temporal_client(temporal_dev: WorkflowEnvironment) -> Client:
    return temporal_dev.client
