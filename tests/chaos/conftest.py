import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.e2e.conftest import processes

__all__ = ["processes"]


@pytest.fixture
def chaos_orders(request: pytest.FixtureRequest) -> int:
    return int(request.config.getoption("--chaos-orders"))


@pytest.fixture
def temporal_client(temporal_dev: WorkflowEnvironment) -> Client:
    return temporal_dev.client
