"""`ordersaga repair commit-stock` on the real services: what sagas before v4 left reserved is
committed once, and a second run changes nothing."""

import asyncio
import os
import sys
import uuid
from asyncio.subprocess import PIPE, STDOUT
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ordersaga.cli.repair import commit_stock_of_completed_orders
from ordersaga.contracts.commands import ReserveStock
from ordersaga.contracts.orders import OrderLine
from ordersaga.rabbitmq.connection import connect
from ordersaga.rabbitmq.request_reply import RequestClient
from ordersaga.rabbitmq.topology import Topology
from ordersaga.temporal import workflow_id
from tests.integration.ended_sagas import SagaAsItEnded
from tests.support.system import SagaSystem

ORDERSAGA = str(Path(sys.executable).parent / "ordersaga")


@pytest.fixture
async def inventory(
    temporal_dev: WorkflowEnvironment, topology: Topology, rabbitmq_url: str, tmp_path: Path
) -> AsyncIterator[SagaSystem]:
    urls = {"inventory": f"sqlite+aiosqlite:///{tmp_path / 'inventory.db'}"}
    urls["rabbitmq"] = rabbitmq_url
    system = SagaSystem(temporal_dev.client, topology, urls, task_queue=f"repair-{uuid.uuid4()}")
    await system.start_participant("inventory")
    try:
        yield system
    finally:
        await system.stop_participant("inventory")


@pytest.fixture
async def requests(inventory: SagaSystem) -> AsyncIterator[RequestClient]:
    connection = await connect(inventory.urls["rabbitmq"], "repair-test")
    async with connection:
        client = RequestClient(connection, inventory.topology)
        await client.start()
        yield client


async def an_order_that_ended(
    system: SagaSystem, requests: RequestClient, status: str | None
) -> str:
    """Reserve 2 x SKU-42 for a new order whose saga reports `status` (None: no saga at all)."""
    order_id = uuid.uuid4().hex
    items = [OrderLine(sku="SKU-42", quantity=2)]
    reserve = ReserveStock(command_id=f"{order_id}:reserve", order_id=order_id, items=items)
    await requests.send_command("inventory", reserve, timeout=10)
    if status is not None:
        handle = await system.client.start_workflow(
            SagaAsItEnded.run, status, id=workflow_id(order_id), task_queue=system.task_queue
        )
        if status in ("COMPLETED", "REJECTED", "CANCELLED"):
            await handle.result()
    return order_id


async def test_the_repair_commits_what_completed_sagas_left_reserved_once(
    inventory: SagaSystem, requests: RequestClient
) -> None:
    client, topology = inventory.client, inventory.topology
    async with Worker(client, task_queue=inventory.task_queue, workflows=[SagaAsItEnded]):
        completed = [await an_order_that_ended(inventory, requests, "COMPLETED") for _ in "ab"]
        running = await an_order_that_ended(inventory, requests, "APPROVED")
        cancelled = await an_order_that_ended(inventory, requests, "CANCELLED")
        orphan = await an_order_that_ended(inventory, requests, None)
        before = await inventory.stock("SKU-42")

        first = await commit_stock_of_completed_orders(client, requests, topology)
        second = await commit_stock_of_completed_orders(client, requests, topology)
        await client.get_workflow_handle(workflow_id(running)).terminate("test done")

    assert sorted(first.committed) == sorted(completed)
    assert set(first.left_alone) == {running, cancelled, orphan}
    assert "APPROVED" in first.left_alone[running]
    assert "no saga" in first.left_alone[orphan]
    after = await inventory.stock("SKU-42")
    assert (after.on_hand, after.reserved) == (before.on_hand - 4, before.reserved - 4)
    for order_id in completed:
        assert (await inventory.reservation(order_id)).status == "COMMITTED"  # type: ignore[union-attr]
    assert (await inventory.reservation(running)).status == "RESERVED"  # type: ignore[union-attr]
    assert second.committed == []
    assert (await inventory.stock("SKU-42")).on_hand == after.on_hand


async def test_the_repair_command_runs_as_an_operator_runs_it(
    inventory: SagaSystem, requests: RequestClient
) -> None:
    async with Worker(inventory.client, task_queue=inventory.task_queue, workflows=[SagaAsItEnded]):
        order_id = await an_order_that_ended(inventory, requests, "COMPLETED")
    env = {
        **os.environ,
        "ORDERSAGA_TEMPORAL_ADDRESS": inventory.client.service_client.config.target_host,
        "ORDERSAGA_RABBITMQ_URL": inventory.urls["rabbitmq"],
        "ORDERSAGA_BUS_PREFIX": inventory.topology.prefix,
    }
    dry = await ordersaga(env, "repair", "commit-stock", "--dry-run")
    real = await ordersaga(env, "repair", "commit-stock")
    again = await ordersaga(env, "repair", "commit-stock")

    assert f"would commit {order_id}" in dry
    assert f"committed {order_id}" in real
    assert "committed the stock of 0 completed orders" in again
    assert (await inventory.reservation(order_id)).status == "COMMITTED"  # type: ignore[union-attr]


async def ordersaga(env: dict[str, str], *args: str) -> str:
    """Run the CLI as its own process (this loop keeps serving inventory meanwhile)."""
    process = await asyncio.create_subprocess_exec(
        ORDERSAGA, *args, env=env, stdout=PIPE, stderr=STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    return output.decode()
