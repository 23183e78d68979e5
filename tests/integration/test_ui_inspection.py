"""What the Temporal UI shows of a saga, read through the same client APIs the UI uses."""

import json

from temporalio.client import WorkflowHandle

from ordersaga.contracts.orders import OrderStatus
from ordersaga.contracts.saga import SagaState
from tests.support.system import SagaSystem
from tests.support.waiting import eventually
from workflows.order_saga import OrderSaga


async def test_a_visibility_query_finds_exactly_the_rejected_orders_of_a_customer(
    system: SagaSystem,
) -> None:
    rejected = [await system.place(customer="mallory") for _ in range(2)]
    await system.place(customer="alice")
    await system.place(customer="mallory", items={"SKU-GONE": 1})  # rejected, other reason
    query = (
        f'TaskQueue="{system.task_queue}" AND OrderStatus="REJECTED" '
        'AND CustomerId="mallory" AND RejectionReason="PaymentDeclined"'
    )

    async def found_exactly_those() -> bool:
        found = {w.id async for w in system.client.list_workflows(query)}
        return found == {f"order-{s.order_id}" for s in rejected}

    await eventually(found_exactly_those, seconds=15)


async def test_a_saga_tells_its_story_in_summaries_details_and_its_query(
    system: SagaSystem,
) -> None:
    handle = await system.start_order(customer="mallory", items={"SKU-42": 2})
    state = await handle.result()
    assert state.status == OrderStatus.REJECTED

    summaries = await _event_summaries(handle)
    assert "reserve 2 x SKU-42" in summaries
    assert any(s.startswith("authorize 37.80 for mallory") for s in summaries)
    assert f"release the stock reserved for order {state.order_id}" in summaries
    assert f"mark order {state.order_id} REJECTED" in summaries

    details = await handle.query("__temporal_workflow_metadata")
    assert "REJECTED" in details.current_details and "card declined" in details.current_details

    described = await handle.describe()
    attributes = {k.name: v for k, v in described.typed_search_attributes}
    assert attributes["OrderStatus"] == "REJECTED"
    assert attributes["OrderTotal"] == 37.8
    assert attributes["CustomerId"] == "mallory"

    logged = await handle.query(OrderSaga.state)
    assert [(s.step, s.outcome) for s in logged.steps] == [
        ("create-order", "started"),
        ("create-order", "done"),
        ("reserve-stock", "started"),
        ("reserve-stock", "done"),
        ("authorize-payment", "started"),
        ("authorize-payment", "failed"),
        ("reserve-stock", "compensated"),
        ("create-order", "compensated"),
    ]


async def _event_summaries(handle: WorkflowHandle[OrderSaga, SagaState]) -> list[str]:
    """The summary of every event that has one: what the UI lists beside each step."""
    summaries = []
    async for event in handle.fetch_history_events():
        if event.HasField("user_metadata") and event.user_metadata.HasField("summary"):
            summaries.append(json.loads(event.user_metadata.summary.data))
    return summaries
