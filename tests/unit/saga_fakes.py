"""Activity fakes for the OrderSaga: a small in-memory world of stock and credit.

They register under the real activity names, so the workflow runs unchanged. Each call is
recorded; behaviour is steered per test through the attributes.
"""

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.notification_activities import OrderConfirmation
from ordersaga.contracts.commands import (
    AuthorizePayment,
    CapturePayment,
    CommitStock,
    ReleaseStock,
    ReserveStock,
    VoidAuthorization,
)
from ordersaga.contracts.events import (
    AuthorizationVoided,
    PaymentAuthorized,
    PaymentCaptured,
    StockCommitted,
    StockReleased,
    StockReserved,
)
from ordersaga.contracts.orders import OrderLine, OrderStatus, PricedLine
from ordersaga.contracts.saga import PlaceOrder, SagaState, SagaTimeouts
from ordersaga.services.orders.commands import ApproveOrder, CloseOrder, CompleteOrder, CreateOrder
from workflows.order_saga import OrderSaga

PRICE_CENTS = 1000
WAIT_SECONDS = 15.0


class FakeWorld:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.notified: list[str] = []
        self.stock: dict[str, int] = {"SKU-42": 10}
        self.declined: set[str] = {"mallory"}
        self.orders: dict[str, str] = {}
        self.reserved: dict[str, int] = {}
        self.authorized: dict[str, int] = {}
        self.captured: dict[str, int] = {}
        self.committed: dict[str, int] = {}
        self.gates: dict[str, asyncio.Event] = {}
        self.failures: dict[str, int] = {}
        self.entered: dict[str, asyncio.Event] = {}

    def hold(self, name: str) -> asyncio.Event:
        """Make activity `name` wait until the returned event is set."""
        self.gates[name] = asyncio.Event()
        self.entered[name] = asyncio.Event()
        return self.gates[name]

    async def entered_into(self, name: str) -> None:
        """Wait until held activity `name` has been entered (bounded, so a test cannot hang)."""
        await asyncio.wait_for(self.entered[name].wait(), WAIT_SECONDS)

    async def called(self, name: str, times: int) -> None:
        """Wait until activity `name` has been entered `times` times (bounded)."""
        async with asyncio.timeout(WAIT_SECONDS):
            while self.calls.count(name) < times:
                await asyncio.sleep(0.02)

    def open_all(self) -> None:
        """Let every held activity go on, so the worker can shut down."""
        for gate in self.gates.values():
            gate.set()

    def fail(self, name: str, times: int) -> None:
        """Make activity `name` fail with a transient error `times` times."""
        self.failures[name] = times

    async def _enter(self, name: str) -> None:
        self.calls.append(name)
        if name in self.entered:
            self.entered[name].set()
        if name in self.gates:
            await self.gates[name].wait()
        if self.failures.get(name, 0) > 0:
            self.failures[name] -= 1
            raise ApplicationError(f"{name}: transient failure", type="Transient")

    def activities(self) -> list[Callable[..., Any]]:
        world = self

        @activity.defn(name="create_order")
        async def create_order(order: CreateOrder) -> None:
            await world._enter("create_order")
            world.orders.setdefault(order.order_id, "PENDING")

        @activity.defn(name="approve_order")
        async def approve_order(request: ApproveOrder) -> None:
            await world._enter("approve_order")
            world.orders[request.order_id] = "APPROVED"

        @activity.defn(name="complete_order")
        async def complete_order(request: CompleteOrder) -> None:
            await world._enter("complete_order")
            world.orders[request.order_id] = "COMPLETED"

        @activity.defn(name="close_order")
        async def close_order(request: CloseOrder) -> None:
            await world._enter("close_order")
            world.orders[request.order_id] = request.status

        @activity.defn(name="reserve_stock")
        async def reserve_stock(command: ReserveStock) -> StockReserved:
            await world._enter("reserve_stock")
            for line in command.items:
                if world.stock.get(line.sku, 0) < line.quantity:
                    raise ApplicationError(
                        f"not enough {line.sku}", type="OutOfStock", non_retryable=True
                    )
            lines = [
                PricedLine(**line.model_dump(), unit_price_cents=PRICE_CENTS)
                for line in command.items
            ]
            for line in lines:
                world.stock[line.sku] -= line.quantity
            total = sum(line.quantity * PRICE_CENTS for line in lines)
            world.reserved[command.order_id] = sum(line.quantity for line in lines)
            return StockReserved(order_id=command.order_id, lines=lines, total_cents=total)

        @activity.defn(name="release_stock")
        async def release_stock(command: ReleaseStock) -> StockReleased:
            await world._enter("release_stock")
            world.reserved.pop(command.order_id, None)
            return StockReleased(order_id=command.order_id, lines=[])

        @activity.defn(name="commit_stock")
        async def commit_stock(command: CommitStock) -> StockCommitted:
            await world._enter("commit_stock")
            world.committed[command.order_id] = world.reserved.pop(command.order_id)
            return StockCommitted(order_id=command.order_id, lines=[])

        @activity.defn(name="authorize_payment")
        async def authorize_payment(command: AuthorizePayment) -> PaymentAuthorized:
            await world._enter("authorize_payment")
            if command.customer_id in world.declined:
                raise ApplicationError(
                    "card declined by issuer", type="PaymentDeclined", non_retryable=True
                )
            world.authorized[command.order_id] = command.amount_cents
            return PaymentAuthorized(
                order_id=command.order_id,
                authorization_id="auth-1",
                customer_id=command.customer_id,
                amount_cents=command.amount_cents,
            )

        @activity.defn(name="void_authorization")
        async def void_authorization(command: VoidAuthorization) -> AuthorizationVoided:
            await world._enter("void_authorization")
            amount = world.authorized.pop(command.order_id, 0)
            return AuthorizationVoided(order_id=command.order_id, amount_cents=amount)

        @activity.defn(name="capture_payment")
        async def capture_payment(command: CapturePayment) -> PaymentCaptured:
            await world._enter("capture_payment")
            amount = world.authorized.pop(command.order_id)
            world.captured[command.order_id] = amount
            return PaymentCaptured(
                order_id=command.order_id, authorization_id="auth-1", amount_cents=amount
            )

        @activity.defn(name="notify_customer")
        async def notify_customer(confirmation: OrderConfirmation) -> None:
            world.notified.append(confirmation.order_id)  # kept out of `calls`: best effort

        return [
            notify_customer,
            create_order,
            approve_order,
            complete_order,
            close_order,
            reserve_stock,
            release_stock,
            commit_stock,
            authorize_payment,
            void_authorization,
            capture_payment,
        ]


def an_order(customer: str = "alice", quantity: int = 2) -> PlaceOrder:
    return PlaceOrder(
        order_id=str(uuid.uuid4()),
        customer_id=customer,
        items=[OrderLine(sku="SKU-42", quantity=quantity)],
        payment_method="card-4242",
        timeouts=SagaTimeouts(step_seconds=2, attempt_seconds=0.5, compensation_seconds=3),
    )


async def start(
    client: Client, task_queue: str, order: PlaceOrder
) -> WorkflowHandle[OrderSaga, SagaState]:
    return await client.start_workflow(
        OrderSaga.run, order, id=f"order-{order.order_id}", task_queue=task_queue
    )


async def place(client: Client, task_queue: str, order: PlaceOrder) -> SagaState:
    return await (await start(client, task_queue, order)).result()


async def search_attribute(
    handle: WorkflowHandle[OrderSaga, SagaState], key: SearchAttributeKey[str]
) -> str | None:
    return (await handle.describe()).typed_search_attributes.get(key)


async def wait_for_status(
    env: WorkflowEnvironment, handle: WorkflowHandle[OrderSaga, SagaState], status: OrderStatus
) -> SagaState:
    """Poll the `state` query until the saga reaches `status`, skipping server time meanwhile
    (bounded). An idle wait on `result()` would skip to the workflow's execution timeout."""
    async with asyncio.timeout(WAIT_SECONDS):
        while (state := await handle.query(OrderSaga.state)).status != status:
            await env.sleep(0.25)
    return state
