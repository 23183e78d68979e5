"""The floor worker of `ordersaga bench`: floor A's workflow and no-op step, and the saga's own
workflow with its steps stubbed (stub_steps.py), on their own task queue (ORDERSAGA_TASK_QUEUE),
with the saga worker's settings, in a process of its own as the saga worker is.

    python -m ordersaga.bench.floor_worker
"""

import asyncio
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from ordersaga import temporal
from ordersaga.bench.floors import FiveLocal, SagaShape, noop
from ordersaga.bench.stub_steps import STUB_STEPS
from ordersaga.process import run_until_signalled
from ordersaga.settings import WorkerSettings
from workflows.order_saga import OrderSaga


def floor_worker(client: Client, settings: WorkerSettings, task_queue: str) -> Worker:
    """A worker of the floors, with the saga worker's settings."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[SagaShape, FiveLocal, OrderSaga],
        activities=[noop, *STUB_STEPS],
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_local_activities=settings.max_concurrent_activities,
        workflow_runner=temporal.workflow_runner(settings),
        graceful_shutdown_timeout=timedelta(seconds=settings.graceful_shutdown_seconds),
    )


async def run(settings: WorkerSettings, stop: asyncio.Event) -> None:
    client = await temporal.connect(settings)
    async with floor_worker(client, settings, settings.task_queue):
        await stop.wait()


def main() -> None:
    settings = WorkerSettings()
    run_until_signalled(lambda stop: run(settings, stop), settings, "floor-worker")


if __name__ == "__main__":
    main()
