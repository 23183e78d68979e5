"""The order routes on a real Temporal dev server: idempotent starts, refusals, bounded waits.

The first tests run no worker: what they check (starting once, the fingerprint in the memo,
unknown orders) is the server's and the API's doing alone. The last ones run the whole saga.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from api.sagas import FINGERPRINT
from api.schemas import OrderCreate
from ordersaga.contracts.orders import OrderStatus
from ordersaga.contracts.queries import StockLevel
from ordersaga.settings import ApiSettings
from ordersaga.temporal import CUSTOMER_ID, ORDER_STATUS, workflow_id
from tests.support.http_api import real_api, serving
from tests.support.manual_payment import manual_payment
from tests.support.system import SagaSystem
from tests.support.waiting import eventually
from workflows.order_saga import OrderSaga

ORDER = {
    "customer_id": "alice",
    "items": [{"sku": "SKU-42", "quantity": 1}],
    "payment_method": "card-4242",
}


class NoStock:
    async def level(self, sku: str) -> StockLevel:
        return StockLevel(sku=sku, found=False)

    def ready(self) -> bool:
        return True


@pytest.fixture
async def workerless(
    temporal_dev: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The API on a task queue no worker polls: sagas start and stay PENDING."""
    settings = ApiSettings(
        task_queue=f"idle-{uuid.uuid4().hex[:8]}",
        max_wait_seconds=1,
        projector_db_url=f"sqlite+aiosqlite:///{tmp_path / 'projector.db'}",
    )
    app = create_app(settings, temporal_client=temporal_dev.client, request_client=NoStock())
    async with serving(app) as http:
        yield http


async def runs_of(client: Client, order_id: str) -> int:
    query = f'WorkflowId = "{workflow_id(order_id)}"'
    await eventually(lambda: _at_least_one(client, query))
    return await _count(client, query)


async def _at_least_one(client: Client, query: str) -> bool:
    return await _count(client, query) >= 1


async def _count(client: Client, query: str) -> int:
    return (await client.count_workflows(query)).count


async def test_concurrent_posts_with_one_key_start_one_saga(
    workerless: httpx.AsyncClient, temporal_dev: WorkflowEnvironment
) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    answers = await asyncio.gather(
        *(workerless.post("/orders", json=ORDER, headers=key) for _ in range(8))
    )
    assert [a.status_code for a in answers] == [202] * 8, [a.text for a in answers]
    assert len({a.json()["order_id"] for a in answers}) == 1
    assert await runs_of(temporal_dev.client, answers[0].json()["order_id"]) == 1


async def test_the_saga_carries_its_summary_search_attributes_and_fingerprint(
    workerless: httpx.AsyncClient, temporal_dev: WorkflowEnvironment
) -> None:
    order_id = (await workerless.post("/orders", json=ORDER)).json()["order_id"]
    handle = temporal_dev.client.get_workflow_handle(workflow_id(order_id))
    description = await handle.describe()
    await handle.terminate("test done")
    assert await description.static_summary() == f"Order {order_id} for alice: 1 x SKU-42"
    assert description.typed_search_attributes.get(CUSTOMER_ID) == "alice"
    assert description.typed_search_attributes.get(ORDER_STATUS) == "PENDING"
    fingerprint = OrderCreate.model_validate(ORDER).fingerprint()
    assert await description.memo_value(FINGERPRINT) == fingerprint


async def test_a_key_reused_for_another_order_is_refused_with_409(
    workerless: httpx.AsyncClient,
) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    assert (await workerless.post("/orders", json=ORDER, headers=key)).status_code == 202
    other = {**ORDER, "items": [{"sku": "SKU-7", "quantity": 3}]}
    refused = await workerless.post("/orders", json=other, headers=key)
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "this Idempotency-Key was used for a different order request"
    }


async def test_a_key_reused_after_its_saga_ended_starts_no_second_one(
    workerless: httpx.AsyncClient, temporal_dev: WorkflowEnvironment
) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    order_id = (await workerless.post("/orders", json=ORDER, headers=key)).json()["order_id"]
    await temporal_dev.client.get_workflow_handle(workflow_id(order_id)).terminate("test")
    again = await workerless.post("/orders", json=ORDER, headers=key)
    assert again.status_code == 202 and again.json()["order_id"] == order_id
    assert await runs_of(temporal_dev.client, order_id) == 1


async def test_unknown_orders_answer_404_on_every_route(workerless: httpx.AsyncClient) -> None:
    order_id = uuid.uuid4().hex
    for method, path in [
        ("GET", f"/orders/{order_id}"),
        ("POST", f"/orders/{order_id}/cancel"),
        ("POST", f"/orders/{order_id}/retry-compensation"),
    ]:
        answer = await workerless.request(method, path)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json() == {"detail": f"order {order_id} not found"}


async def test_a_cancel_no_worker_takes_up_answers_503_within_the_bound(
    workerless: httpx.AsyncClient, temporal_dev: WorkflowEnvironment
) -> None:
    order_id = (await workerless.post("/orders", json=ORDER)).json()["order_id"]
    async with asyncio.timeout(5):
        answer = await workerless.post(f"/orders/{order_id}/cancel")
    assert answer.status_code == 503 and "did not answer in time" in answer.json()["detail"]
    await temporal_dev.client.get_workflow_handle(workflow_id(order_id)).terminate("test")


async def status_of(http: httpx.AsyncClient, order_id: str) -> str:
    status: str = (await http.get(f"/orders/{order_id}/saga")).json()["status"]
    return status


async def test_a_cancel_before_the_pivot_settles_cancelled(system: SagaSystem) -> None:
    await system.stop_participant("payment")
    async with real_api(system, max_wait=1) as http:
        order_id = (await http.post("/orders", json=ORDER)).json()["order_id"]
        await eventually(lambda: _has_status(http, order_id, OrderStatus.RESERVED))
        cancelling = await http.post(f"/orders/{order_id}/cancel", json={"reason": "oops"})
        assert cancelling.status_code == 202  # voiding waits for payment to come back
        assert cancelling.json()["status"] == OrderStatus.COMPENSATING
        await system.start_participant("payment")
        await eventually(lambda: _has_status(http, order_id, OrderStatus.CANCELLED))
        order = (await http.get(f"/orders/{order_id}/saga")).json()
        assert order["reason"] == "oops"
        again = await http.post(f"/orders/{order_id}/cancel")
        assert again.status_code == 409
        assert again.json() == {"detail": f"order {order_id} is already CANCELLED"}
        assert (await http.get("/inventory/SKU-42")).json()["reserved"] == 0


async def test_a_cancel_after_the_pivot_is_refused_with_409(system: SagaSystem) -> None:
    await system.stop_participant("payment")
    async with real_api(system, max_wait=10) as http, manual_payment(system) as payment:
        order_id = (await http.post("/orders", json=ORDER)).json()["order_id"]
        await payment.handle(await payment.next_message())  # authorize
        capture = await payment.next_message()  # past the pivot now
        refused = await http.post(f"/orders/{order_id}/cancel")
        assert refused.status_code == 409, refused.text
        assert "already approved" in refused.json()["detail"]
        await payment.handle(capture)
        await eventually(lambda: _has_status(http, order_id, OrderStatus.COMPLETED))


async def test_an_order_waited_for_answers_200_with_its_outcome_and_steps(
    system: SagaSystem,
) -> None:
    async with real_api(system, max_wait=20) as http:
        placed = await http.post("/orders?wait=true", json=ORDER)
        assert placed.status_code == 200, placed.text
        order = placed.json()
        assert order["status"] == "COMPLETED" and order["total_cents"] > 0
        assert [step["step"] for step in order["steps"] if step["outcome"] == "done"][:3] == [
            "create-order",
            "reserve-stock",
            "authorize-payment",
        ]
        assert (await http.get("/health/ready")).json()["checks"] == {
            "temporal": True,
            "rabbitmq": True,
        }


async def _has_status(http: httpx.AsyncClient, order_id: str, status: OrderStatus) -> bool:
    return await status_of(http, order_id) == status


async def test_a_key_reused_after_temporal_forgot_its_saga_is_refused_by_the_orders_database(
    system: SagaSystem,
) -> None:
    """Past retention Temporal has no run to join; the orders database still has the order."""
    key = {"Idempotency-Key": uuid.uuid4().hex}
    async with real_api(system, max_wait=20) as http:
        first = await http.post("/orders?wait=true", json=ORDER, headers=key)
        assert first.json()["status"] == "COMPLETED", first.text
        order_id = first.json()["order_id"]
        stock = (await http.get("/inventory/SKU-42")).json()
        await system.forget(
            system.client.get_workflow_handle_for(OrderSaga.run, workflow_id(order_id))
        )

        again = await http.post("/orders?wait=true", json=ORDER, headers=key)

        assert again.status_code == 409, again.text
        assert "already placed" in again.json()["detail"]
        assert (await http.get("/inventory/SKU-42")).json() == stock  # nothing reserved again
    account = await system.account("alice")
    assert account.captured_cents == first.json()["total_cents"] and account.held_cents == 0
