"""Worker Deployment Versioning as the worker runs it (docs/versioning.md): the real worker
(`worker.running`) with ORDERSAGA_DEPLOYMENT_NAME and ORDERSAGA_BUILD_ID set, on the dev server.

A saga is pinned to the build that started it: a new build, once current, takes new sagas while
the old one finishes its own, and each saga moves only when its own build's workers run.
"""

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.api.workflowservice.v1 import SetWorkerDeploymentCurrentVersionRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import VersioningBehavior
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

import worker
from ordersaga.contracts.orders import OrderStatus
from ordersaga.contracts.saga import SagaTimeouts
from ordersaga.rabbitmq.topology import Topology
from ordersaga.settings import WorkerSettings
from ordersaga.waiting import wait_until
from tests.support.system import SagaHandle, SagaSystem
from tests.support.waiting import eventually
from workflows.order_saga import OrderSaga

WAITING = SagaTimeouts(step_seconds=90, attempt_seconds=1, compensation_seconds=30)
"""A step waits long for a participant that is down: the sagas below wait for payment."""


def test_a_worker_is_versioned_only_with_a_deployment_name_and_a_build_id() -> None:
    assert worker.deployment_config(WorkerSettings()) is None
    config = worker.deployment_config(WorkerSettings(deployment_name="ordersaga", build_id="2"))
    assert config is not None and config.use_worker_versioning
    assert config.version.to_canonical_string() == "ordersaga.2"
    assert config.default_versioning_behavior == VersioningBehavior.PINNED
    with pytest.raises(ValidationError, match="go together"):
        WorkerSettings(deployment_name="ordersaga")
    with pytest.raises(ValidationError, match="go together"):
        WorkerSettings(build_id="2")
    with pytest.raises(ValidationError, match="deployment_name"):
        WorkerSettings(deployment_name="order.saga", build_id="2")


async def test_a_new_build_takes_new_sagas_while_the_old_build_finishes_its_own(
    temporal_dev: WorkflowEnvironment, rabbitmq_url: str, topology: Topology, tmp_path: Path
) -> None:
    client = temporal_dev.client
    names = ("orders", "inventory", "payment")
    urls = {name: f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}" for name in names}
    system = SagaSystem(client, topology, {**urls, "rabbitmq": rabbitmq_url})
    deployment = f"ordersaga-{uuid.uuid4().hex[:8]}"

    def build(build_id: str) -> WorkerSettings:
        return system.worker_settings(deployment_name=deployment, build_id=build_id)

    await system.start_participant("inventory")  # payment is down: each saga waits to authorize
    try:
        async with worker.running(build("a"), client):
            await set_current_version(client, deployment, "a")
            first = await start_waiting_saga(system)
            async with worker.running(build("b"), client):
                await set_current_version(client, deployment, "b")
                second = await start_waiting_saga(system)

                assert await pinned_to(first) == f"{deployment}.a"
                assert await pinned_to(second) == f"{deployment}.b"
                await eventually(counted(client, running_on(deployment, "a"), 1))
                await eventually(counted(client, running_on(deployment, "b"), 1))

            # Build b is down; payment is back. The first saga completes on a, its own build;
            # the second is not taken by a: it waits for b.
            await system.start_participant("payment")
            assert (await first.result()).status == OrderStatus.COMPLETED
            await eventually(counted(client, running_on(deployment, "a"), 0))
            assert (await second.describe()).status == WorkflowExecutionStatus.RUNNING
            assert await system.order_status(order_of(second)) == OrderStatus.PENDING

        # Build a is retired (drained: nothing runs on it); b comes back and finishes its saga.
        async with worker.running(build("b"), client):
            assert (await second.result()).status == OrderStatus.COMPLETED
            assert await pinned_to(second) == f"{deployment}.b"
            # A closed saga's query still goes to its own build, which is gone: unanswered.
            with pytest.raises(RPCError):
                await first.query(OrderSaga.state, rpc_timeout=timedelta(seconds=2))
    finally:
        await system.stop_all()


async def start_waiting_saga(system: SagaSystem) -> SagaHandle:
    """A saga that has reserved its stock and waits for payment (down) to authorize: its local
    attempt gave up, and the workflow task that ran it (the first, which pins the saga to its
    build) is complete; the step goes on as a regular activity."""
    order_id = uuid.uuid4().hex
    handle = await system.start_order(order_id=order_id, timeouts=WAITING)

    async def waiting_for_payment() -> bool:
        pending = (await handle.describe()).raw_description.pending_activities
        return any(activity.activity_type.name == "authorize_payment" for activity in pending)

    await eventually(waiting_for_payment)
    assert await system.reservation_status(order_id) == "RESERVED"
    return handle


def order_of(handle: SagaHandle) -> str:
    return handle.id.removeprefix("order-")


async def set_current_version(client: Client, deployment: str, build_id: str) -> None:
    """`temporal worker deployment set-current-version`: the version exists once its workers
    have polled, so it is retried until then."""
    request = SetWorkerDeploymentCurrentVersionRequest(
        namespace=client.namespace,
        deployment_name=deployment,
        build_id=build_id,
        identity="test_worker_versioning",
    )

    async def made_current() -> bool:
        try:
            await client.workflow_service.set_worker_deployment_current_version(request)
        except RPCError:
            return False
        return True

    if not await wait_until(made_current, 20):
        raise TimeoutError(f"{deployment}.{build_id} did not become current")


async def pinned_to(handle: SagaHandle) -> str:
    """The version a saga is pinned to, as `temporal workflow describe` shows it."""
    info = (await handle.describe()).raw_description.workflow_execution_info.versioning_info
    assert VersioningBehavior(info.behavior) == VersioningBehavior.PINNED
    version = info.deployment_version
    return f"{version.deployment_name}.{version.build_id}"


def running_on(deployment: str, build_id: str) -> str:
    """The drain check of docs/versioning.md: the sagas still open on one build."""
    version = f"{deployment}:{build_id}"
    return f'TemporalWorkerDeploymentVersion="{version}" AND ExecutionStatus="Running"'


def counted(client: Client, query: str, expected: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await client.count_workflows(query)).count == expected

    return check
