import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from ordersaga.temporal import register_search_attributes
from tests.unit.saga_fakes import FakeWorld
from workflows.order_saga import OrderSaga


@pytest.fixture(scope="session")
async def saga_env(temporal_binaries: tuple[Path, Path]) -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping test server for all workflow unit tests."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(temporal_binaries[1]),
    )
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture
def world() -> FakeWorld:
    return FakeWorld()


@pytest.fixture
async def saga_worker(saga_env: WorkflowEnvironment, world: FakeWorld) -> AsyncIterator[str]:
    """A worker running OrderSaga on the fakes; yields its task queue."""
    task_queue = f"tq-{uuid.uuid4()}"
    async with Worker(
        saga_env.client,
        task_queue=task_queue,
        workflows=[OrderSaga],
        activities=world.activities(),
        # Sandboxed, whatever the worker's setting: the tests are where workflow code is checked
        # for I/O, clocks and randomness (ordersaga.temporal.workflow_runner).
        workflow_runner=SandboxedWorkflowRunner(),
    ):
        yield task_queue


@pytest.fixture
def client(saga_env: WorkflowEnvironment) -> Client:
    return saga_env.client
