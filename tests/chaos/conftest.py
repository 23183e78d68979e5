import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.chaos.faults import ensure_broker_running
from tests.e2e.conftest import free_port, processes
from tests.support.restartable_dev_server import RestartableDevServer

__all__ = ["processes"]


@pytest.fixture
def chaos_orders(request: pytest.FixtureRequest) -> int:
    return int(request.config.getoption("--chaos-orders"))


@pytest.fixture
def chaos_seed(request: pytest.FixtureRequest) -> int:
    seed = request.config.getoption("--chaos-seed")
    return int(seed) if seed is not None else random.randrange(1_000_000)


@pytest.fixture
async def restartable_temporal(
    temporal_binaries: tuple[Path, Path], tmp_path: Path
) -> AsyncIterator[RestartableDevServer]:
    """A dev server of this test's own, its state in a file, so the run can restart it."""
    server = RestartableDevServer(tmp_path / "temporal", free_port(), free_port())
    await server.start()
    try:
        await server.register_search_attributes()
        yield server
    finally:
        await server.stop()


@pytest.fixture
def temporal_dev(restartable_temporal: RestartableDevServer) -> WorkflowEnvironment:
    """Overrides the session's in-memory dev server (tests/conftest.py) here: the e2e
    `processes` fixture, reused as it is, points every process at the restartable one."""
    return WorkflowEnvironment.from_client(restartable_temporal.client)


@pytest.fixture
def temporal_client(temporal_dev: WorkflowEnvironment) -> Client:
    return temporal_dev.client


@pytest.fixture(autouse=True)
def broker_left_running() -> Iterator[None]:
    """The run stops the machine's shared broker; whatever happens, it is running afterwards."""
    yield
    ensure_broker_running()
