"""`replay_recent` replays what a cluster ran: here, sagas this test just ran for real."""

import asyncio

from temporalio.testing import WorkflowEnvironment

from ordersaga.contracts.orders import OrderStatus
from ordersaga.replay import make_replayer, replay_recent
from tests.replay.drifted_workflows import FraudCheckWithoutPatch
from tests.support.system import SagaSystem


async def _listed(env: WorkflowEnvironment, query: str, count: int) -> None:
    async with asyncio.timeout(20):
        while (await env.client.count_workflows(query)).count < count:
            await asyncio.sleep(0.1)


async def test_replay_recent_replays_the_executions_that_just_ran(
    temporal_dev: WorkflowEnvironment, system: SagaSystem
) -> None:
    completed = await system.place(customer="alice", items={"SKU-42": 1})
    declined = await system.place(customer="mallory", items={"SKU-42": 1})
    assert (completed.status, declined.status) == (OrderStatus.COMPLETED, OrderStatus.REJECTED)
    query = f'WorkflowType="OrderSaga" AND TaskQueue="{system.task_queue}"'
    await _listed(temporal_dev, query, 2)

    report = await replay_recent(temporal_dev.client, query)
    assert report.replayed == 2 and report.ok, report.summary()

    drifted = await replay_recent(
        temporal_dev.client, query, replayer=make_replayer([FraudCheckWithoutPatch])
    )
    assert drifted.replayed == 2
    assert {f.workflow_id for f in drifted.failures} == {
        f"order-{completed.order_id}",
        f"order-{declined.order_id}",
    }
    assert all(f.nondeterminism for f in drifted.failures)


async def test_replay_recent_honours_the_limit(
    temporal_dev: WorkflowEnvironment, system: SagaSystem
) -> None:
    for _ in range(3):
        await system.place(customer="alice", items={"SKU-42": 1})
    query = f'WorkflowType="OrderSaga" AND TaskQueue="{system.task_queue}"'
    await _listed(temporal_dev, query, 3)
    report = await replay_recent(temporal_dev.client, query, limit=2)
    assert report.replayed == 2 and report.ok, report.summary()
