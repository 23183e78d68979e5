"""The worker refuses to start on a namespace that lacks the saga's search attributes: every saga
would fail its workflow tasks after its first steps had committed."""

import asyncio
import uuid
from pathlib import Path

import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

import worker
from ordersaga import temporal
from ordersaga.rabbitmq.topology import Topology
from ordersaga.settings import WorkerSettings


async def a_bare_namespace(env: WorkflowEnvironment) -> Client:
    namespace = f"bare-{uuid.uuid4().hex[:8]}"
    await env.client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace, workflow_execution_retention_period=Duration(seconds=86_400)
        )
    )
    await asyncio.sleep(0.5)  # the frontend learns of new namespaces from its cache
    target = env.client.service_client.config.target_host
    return await Client.connect(target, namespace=namespace, data_converter=temporal.DATA_CONVERTER)


async def test_the_worker_refuses_a_namespace_without_the_saga_search_attributes(
    temporal_dev: WorkflowEnvironment, rabbitmq_url: str, topology: Topology, tmp_path: Path
) -> None:
    client = await a_bare_namespace(temporal_dev)
    settings = WorkerSettings(
        orders_db_url=f"sqlite+aiosqlite:///{tmp_path / 'orders.db'}",
        rabbitmq_url=rabbitmq_url,
        bus_prefix=topology.prefix,
        temporal_namespace=client.namespace,
        graceful_shutdown_seconds=0,
    )

    with pytest.raises(worker.MissingSearchAttributes) as refused:
        async with worker.running(settings, client):
            pass
    await temporal.register_search_attributes(client)
    async with worker.running(settings, client):
        pass  # starts once they are there

    message = str(refused.value)
    assert (
        "lacks the search attributes CustomerId, OrderStatus, OrderTotal, RejectionReason"
        in message
    )
    add_total = f"temporal operator search-attribute create --namespace {client.namespace} "
    assert add_total + "--name OrderTotal --type Double" in message
