"""The worker process: runs the OrderSaga workflow and its activities, owns the orders database.

Its composition root: the orders database hosted as a service (at head, its outbox relay, the
feed, head and snapshot a read model reads), the RabbitMQ request client, the Temporal client
and the Worker, built here and closed here. It refuses to start on
a namespace that lacks the saga's search attributes (every saga would fail its workflow tasks
after its first steps). On SIGTERM in-flight activities get `graceful_shutdown_seconds` to
finish; unfinished workflow tasks are picked up by another worker. With a deployment name and a
build id it polls as that Worker Deployment Version, its sagas pinned to it
(docs/versioning.md).
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker, WorkerDeploymentConfig

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
from ordersaga.telemetry.temporal_meter import client_meter, metrics_runtime
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
    """A started worker with all its adapters; everything is closed on exit. Its metrics (the
    SDK's, the saga's, the orders service's) go to the client's runtime: one serving
    ORDERSAGA_METRICS_PORT when it connects the client itself, the caller's when it is given."""
    topology = Topology(settings.bus_prefix)
    client = client or await temporal.connect(settings, runtime=metrics_runtime(settings))
    await require_search_attributes(client)
    # The orders database is hosted like any service (its relay, its feed and snapshot); the
    # saga's activities write it.
    orders_db = ServiceSettings(
        rabbitmq_url=settings.rabbitmq_url,
        bus_prefix=settings.bus_prefix,
        orders_db_url=settings.orders_db_url,
    )
    async with (
        hosting(ORDERS, orders_db, client_meter(client)) as orders,
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
        workflow_runner=temporal.workflow_runner(settings),
        graceful_shutdown_timeout=timedelta(seconds=settings.graceful_shutdown_seconds),
        deployment_config=deployment_config(settings),
    )


def deployment_config(settings: WorkerSettings) -> WorkerDeploymentConfig | None:
    """The Worker Deployment Version this worker polls as, or None (unversioned) unless both
    `deployment_name` and `build_id` are set. Every workflow it runs is PINNED: a saga runs to
    its end on the build that started it, and new sagas go to the deployment's current version.
    Workers of every role in one build share the version: a pinned saga's activities are
    dispatched to its own version's workers."""
    if settings.deployment_name is None or settings.build_id is None:
        return None
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(settings.deployment_name, settings.build_id),
        use_worker_versioning=True,
        default_versioning_behavior=VersioningBehavior.PINNED,
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
        config = deployment_config(settings)
        version = config.version.to_canonical_string() if config else "unversioned"
        log.info("worker polling task queue %s as %s", settings.task_queue, version)
        await stop.wait()
        seconds = settings.graceful_shutdown_seconds
        log.info("worker shutting down: activities in flight get up to %.0fs", seconds)


def main() -> None:
    settings = WorkerSettings()
    try:
        run_until_signalled(lambda stop: run(settings, stop), settings, "worker")
    except MissingSearchAttributes as refused:
        log.error("%s", refused)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
