"""The projector's tools wired to the real things: the feeds over RabbitMQ, and how a saga
ended as Temporal tells it."""

import contextlib
from collections.abc import AsyncIterator

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from ordersaga.projector.feeds import Feeds
from ordersaga.projector.reconcile import SagaEnded
from ordersaga.rabbitmq.connection import connect
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import Topology
from ordersaga.settings import ProcessSettings
from ordersaga.temporal import ORDER_STATUS, workflow_id


@contextlib.asynccontextmanager
async def connected_feeds(settings: ProcessSettings, name: str) -> AsyncIterator[Feeds]:
    topology = Topology(settings.bus_prefix)
    async with await connect(settings.rabbitmq_url, name) as connection:
        requests = RequestClient(connection, topology)
        await requests.start()
        try:
            yield Feeds(requests, topology)
        finally:
            await requests.close()


def saga_ended_in(client: Client) -> SagaEnded:
    async def saga_ended(order_id: str) -> str | None:
        try:
            description = await client.get_workflow_handle(workflow_id(order_id)).describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                raise LookupError(order_id) from None
            raise
        if description.status == WorkflowExecutionStatus.RUNNING:
            return None
        status = description.typed_search_attributes.get(ORDER_STATUS)
        return status or (description.status.name if description.status else "CLOSED")

    return saga_ended
