"""The worker process: runs the OrderSaga workflow and its activities, owns the orders DB.

It composes the real adapters (Temporal client, RabbitMQ request client, orders database and
its outbox relay) and shuts down cleanly on SIGTERM: in-flight activities get
`graceful_shutdown_seconds` to finish, unfinished workflow tasks are picked up by another worker.
"""

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities.notification_activities import notify_customer
from activities.order_activities import OrderActivities
from activities.participant_activities import ParticipantActivities
from messaging.connection import connect
from messaging.outbox_relay import OutboxRelay
from messaging.request_reply import RequestClient
from orders.models import TABLES
from persistence.engine import create_engine, session_factory
from persistence.migrations import upgrade_to_head
from settings.worker import WorkerSettings
from workflows.client import connect_temporal
from workflows.order_saga import OrderSaga

log = logging.getLogger("ordersaga.worker")

WORKFLOWS: Sequence[type] = [OrderSaga]


def activities_of(orders: OrderActivities, participants: ParticipantActivities) -> list[Any]:
    return [
        orders.create_order,
        orders.approve_order,
        orders.complete_order,
        orders.close_order,
        participants.reserve_stock,
        participants.release_stock,
        participants.commit_stock,
        participants.authorize_payment,
        participants.void_authorization,
        participants.capture_payment,
        notify_customer,
    ]


@contextlib.asynccontextmanager
async def running(settings: WorkerSettings, client: Client | None = None) -> AsyncIterator[Worker]:
    """A started worker with all its adapters; everything is closed on exit."""
    engine = create_engine(settings.orders_db_url)
    await upgrade_to_head(engine, "orders")
    sessions = session_factory(engine)
    relay = OutboxRelay("orders", sessions, TABLES, settings.topology)
    connection = await connect(settings.rabbitmq_url, "worker")
    requests = RequestClient(connection, settings.topology)
    await requests.start()
    relay_task = asyncio.create_task(relay.run(await connection.channel(publisher_confirms=True)))
    worker = Worker(
        client or await connect_temporal(settings),
        task_queue=settings.task_queue,
        workflows=WORKFLOWS if settings.role != "activities" else [],
        activities=activities_of(
            OrderActivities(sessions, relay.notify), ParticipantActivities(requests)
        ),
        # Local activities run where their workflow runs, so a workflow worker keeps them.
        no_remote_activities=settings.role == "workflows",
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_local_activities=settings.max_concurrent_activities,
        graceful_shutdown_timeout=timedelta(seconds=settings.graceful_shutdown_seconds),
    )
    try:
        async with worker:
            yield worker
    finally:
        relay_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay_task
        await requests.close()
        await connection.close()
        await engine.dispose()


async def run(settings: WorkerSettings, stop: asyncio.Event) -> None:
    async with running(settings):
        log.info("worker polling task queue %s", settings.task_queue)
        await stop.wait()
        log.info("worker shutting down")


def main() -> None:
    settings = WorkerSettings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(settings, stop)

    asyncio.run(serve())


if __name__ == "__main__":
    main()
