"""The worker process: runs the OrderSaga workflow and its activities, owns the orders database.

Its composition root: the orders database hosted as a service (at head, its outbox relay, the
feed, head and snapshot a read model reads), the RabbitMQ request client, the Temporal client
and the Worker, built here and closed here. It refuses to start on
a namespace that lacks the saga's search attributes (every saga would fail its workflow tasks
after its first steps). On SIGTERM in-flight activities get `graceful_shutdown_seconds` to
finish; unfinished workflow tasks are picked up by another worker.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from activities.notification_activities import notify_customer
from activities.order_activities import OrderActivities
from activities.participant_activities import ParticipantActivities
from ordersaga import temporal
from ordersaga.process import run_until_signalled
from ordersaga.rabbitmq.connection import connect
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import Topology
from ordersaga.services.host.hosting import hosting
from ordersaga.services.orders.service import ORDERS
from ordersaga.settings import ServiceSettings, WorkerSettings
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
    topology = Topology(settings.bus_prefix)
    client = client or await temporal.connect(settings)
    await require_search_attributes(client)
    # The orders database is hosted like any service (its relay, its feed and snapshot); the
    # saga's activities write it.
    orders_db = ServiceSettings(
        rabbitmq_url=settings.rabbitmq_url,
        bus_prefix=settings.bus_prefix,
        orders_db_url=settings.orders_db_url,
    )
    async with (
        hosting(ORDERS, orders_db) as orders,
        await connect(settings.rabbitmq_url, "worker") as connection,
    ):
        requests = RequestClient(connection, topology)
        await requests.start()
        activities = activities_of(
            OrderActivities(orders.sessions, orders.relay.notify), ParticipantActivities(requests)
        )
        try:
            async with _worker(settings, client, activities) as worker:
                yield worker
        finally:
            await requests.close()


def _worker(settings: WorkerSettings, client: Client, activities: list[Any]) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS if settings.role != "activities" else [],
        activities=activities,
        # Local activities run where their workflow runs, so a workflow worker keeps them.
        no_remote_activities=settings.role == "workflows",
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_local_activities=settings.max_concurrent_activities,
        graceful_shutdown_timeout=timedelta(seconds=settings.graceful_shutdown_seconds),
    )


class MissingSearchAttributes(RuntimeError):
    """The namespace cannot take the saga's search attribute updates."""


async def require_search_attributes(client: Client) -> None:
    try:
        missing = await temporal.missing_search_attributes(client)
    except RPCError as error:
        if error.status not in (RPCStatusCode.PERMISSION_DENIED, RPCStatusCode.UNIMPLEMENTED):
            raise
        log.warning("cannot list the namespace's search attributes (%s); not checked", error)
        return
    if missing:
        create = "\n".join(
            f"  temporal operator search-attribute create --namespace {client.namespace} "
            f"--name {key.name} --type {temporal.cli_type(key)}"
            for key in missing
        )
        names = ", ".join(key.name for key in missing)
        raise MissingSearchAttributes(
            f"namespace {client.namespace} lacks the search attributes {names}; add them:\n"
            + create
        )


async def run(settings: WorkerSettings, stop: asyncio.Event) -> None:
    async with running(settings):
        log.info("worker polling task queue %s", settings.task_queue)
        await stop.wait()
        log.info("worker shutting down")


def main() -> None:
    settings = WorkerSettings()
    try:
        run_until_signalled(lambda stop: run(settings, stop), settings.log_level)
    except MissingSearchAttributes as refused:
        log.error("%s", refused)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
