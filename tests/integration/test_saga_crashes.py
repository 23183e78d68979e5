"""Crash windows and races on the real services, each reproduced deterministically.

- A worker runs the local steps and dies before its workflow task completes, so the history
  has no trace of them; a cancel then reaches the retried task first. Nothing may stay behind.
- A forward step's result and an accepted cancel reach the worker in the same activation. The
  cancel must win: the saga is not past its pivot.
"""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal

import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateStage
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment

import worker
from ordersaga.contracts.orders import OrderStatus
from ordersaga.contracts.saga import CancelOrder, SagaTimeouts
from ordersaga.rabbitmq.topology import Topology
from ordersaga.settings import WorkerSettings
from tests.support.system import SagaHandle, SagaSystem
from tests.support.waiting import eventually
from workflows.order_saga import OrderSaga

ORDERSAGA = str(Path(sys.executable).parent / "ordersaga")
SLOW_REPLIES = SagaTimeouts(step_seconds=60, attempt_seconds=20, compensation_seconds=30)
"""A local attempt that waits long for its reply keeps the workflow task open meanwhile."""


@pytest.fixture
async def parts(
    temporal_dev: WorkflowEnvironment, topology: Topology, rabbitmq_url: str, tmp_path: Path
) -> AsyncIterator[SagaSystem]:
    """Inventory running, payment stopped, no worker: each test brings its own workers."""
    urls = {name: f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}" for name in SERVICES}
    urls["rabbitmq"] = rabbitmq_url
    system = SagaSystem(
        temporal_dev.client, topology, urls, task_queue=f"crash-{uuid.uuid4().hex[:8]}"
    )
    await system.start_participant("inventory")
    try:
        yield system
    finally:
        await system.stop_all()


SERVICES = ("orders", "inventory", "payment")


def worker_settings(
    system: SagaSystem, role: Literal["all", "workflows", "activities"] = "all"
) -> WorkerSettings:
    return system.worker_settings(role=role)


@contextlib.asynccontextmanager
async def worker_process(system: SagaSystem, log: Path) -> AsyncIterator[subprocess.Popen[bytes]]:
    """`ordersaga worker` as its own process, so it can die as a process dies: SIGKILL."""
    settings = worker_settings(system)
    env = {
        **os.environ,
        "ORDERSAGA_TEMPORAL_ADDRESS": system.client.service_client.config.target_host,
        "ORDERSAGA_TASK_QUEUE": settings.task_queue,
        "ORDERSAGA_BUS_PREFIX": settings.bus_prefix,
        "ORDERSAGA_RABBITMQ_URL": settings.rabbitmq_url,
        "ORDERSAGA_ORDERS_DB_URL": settings.orders_db_url,
    }
    with log.open("ab") as out:
        process = subprocess.Popen([ORDERSAGA, "worker"], env=env, stdout=out, stderr=out)
    try:
        await eventually(lambda: polled(system.client, system.task_queue), 30)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


async def polled(client: Client, task_queue: str) -> bool:
    answer = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return len(answer.pollers) > 0


async def local_steps_run_then_the_worker_dies(system: SagaSystem, tmp_path: Path) -> SagaHandle:
    """Worker 1 runs create and reserve locally and waits on authorize (payment is down); it is
    SIGKILLed long before its workflow task would be heartbeated (8 s), so the history keeps
    nothing of those steps. Payment then comes up and handles the queued authorize: every
    effect is real, and the history shows none of them."""
    async with worker_process(system, tmp_path / "worker-1.log") as first:
        handle = await system.start_order(items={"SKU-42": 3}, timeouts=SLOW_REPLIES)
        order_id = handle.id.removeprefix("order-")
        await eventually(lambda: has(system.reservation(order_id)))
        await asyncio.sleep(0.3)  # the authorize command is on its way to the queue
        first.send_signal(signal.SIGKILL)
    await system.start_participant("payment")
    await eventually(lambda: has(system.authorization(order_id)))
    assert await system.order_status(order_id) == "PENDING"
    history = [event.WhichOneof("attributes") for event in (await handle.fetch_history()).events]
    assert "marker_recorded_event_attributes" not in history  # no trace of the local steps
    return handle


async def has(lookup: object) -> bool:
    return await lookup is not None  # type: ignore[misc]


async def nothing_left_behind(system: SagaSystem, order_id: str) -> None:
    reservation = await system.reservation(order_id)
    authorization = await system.authorization(order_id)
    assert reservation is not None and reservation.status == "RELEASED"
    assert authorization is not None and authorization.status == "VOIDED"
    assert await system.order_status(order_id) == "CANCELLED"
    assert (await system.stock("SKU-42")).reserved == 0
    assert (await system.account("alice")).held_cents == 0


async def test_a_cancel_meeting_the_retried_task_of_a_killed_worker_undoes_its_lost_steps(
    parts: SagaSystem, tmp_path: Path
) -> None:
    handle = await local_steps_run_then_the_worker_dies(parts, tmp_path)
    cancel = asyncio.create_task(
        handle.start_update(
            OrderSaga.cancel,
            CancelOrder(reason="oops"),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
    )
    async with worker.running(worker_settings(parts), parts.client):
        answered = await (await cancel).result()
        state = await handle.result()
        assert (answered.status, state.status) == (OrderStatus.CANCELLED, OrderStatus.CANCELLED)
        await nothing_left_behind(parts, state.order_id)


async def test_a_workflow_cancellation_meeting_the_retried_task_undoes_its_lost_steps(
    parts: SagaSystem, tmp_path: Path
) -> None:
    handle = await local_steps_run_then_the_worker_dies(parts, tmp_path)
    await handle.cancel()
    async with worker.running(worker_settings(parts), parts.client):
        with pytest.raises(WorkflowFailureError) as ended:
            await handle.result()
        assert isinstance(ended.value.cause, CancelledError)
        state = await handle.query(OrderSaga.state)
        assert state.status == OrderStatus.CANCELLED
        await nothing_left_behind(parts, state.order_id)


async def test_a_cancel_arriving_with_a_steps_result_wins_over_the_pivot(parts: SagaSystem) -> None:
    """The SDK runs the update before handing the step its result in the same activation: the
    validator sees a saga before its pivot and accepts, so the cancel must win."""
    timeouts = SagaTimeouts(step_seconds=60, attempt_seconds=1, compensation_seconds=30)
    activities = worker.running(worker_settings(parts, "activities"), parts.client)
    async with activities:
        async with worker.running(worker_settings(parts, "workflows"), parts.client):
            handle = await parts.start_order(items={"SKU-42": 2}, timeouts=timeouts)
            await eventually(lambda: pending(handle, "authorize_payment"))
        # the workflow worker is gone; payment answers, the regular activity completes
        await parts.start_participant("payment")
        await eventually(lambda: no_pending(handle), 30)
        cancel = asyncio.create_task(
            handle.start_update(
                OrderSaga.cancel,
                CancelOrder(reason="too slow"),
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            )
        )
        await asyncio.sleep(0.5)  # the update waits beside the activity's result
        async with worker.running(worker_settings(parts, "workflows"), parts.client):
            answered = await (await cancel).result()
            state = await handle.result()
    assert (answered.status, state.status) == (OrderStatus.CANCELLED, OrderStatus.CANCELLED)
    assert ("approve-order", "done") not in [(s.step, s.outcome) for s in state.steps]
    await nothing_left_behind(parts, state.order_id)
    assert (await parts.account("alice")).captured_cents == 0


async def pending(handle: SagaHandle, activity: str) -> bool:
    description = await handle.describe()
    names = [a.activity_type.name for a in description.raw_description.pending_activities]
    return activity in names


async def no_pending(handle: SagaHandle) -> bool:
    return not (await handle.describe()).raw_description.pending_activities
