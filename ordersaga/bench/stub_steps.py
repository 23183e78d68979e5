"""The saga's steps answering at once: activities under the real steps' names that do no work
and return what a participant would. The floor worker runs `OrderSaga` with them, so the bench
can time the saga's own workflow code (its runner, journal, search attributes and payloads)
with nothing behind its steps: what the saga costs beyond floor A before any step does work.
"""

from typing import Any

from temporalio import activity

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
from ordersaga.contracts.orders import PricedLine
from ordersaga.services.orders.commands import (
    ApproveOrder,
    CloseOrder,
    CompleteOrder,
    CreateOrder,
)

UNIT_PRICE_CENTS = 1000


@activity.defn(name="create_order")
async def create_order(_: CreateOrder) -> None:
    return None


@activity.defn(name="approve_order")
async def approve_order(_: ApproveOrder) -> None:
    return None


@activity.defn(name="complete_order")
async def complete_order(_: CompleteOrder) -> None:
    return None


@activity.defn(name="close_order")
async def close_order(_: CloseOrder) -> None:
    return None


@activity.defn(name="reserve_stock")
async def reserve_stock(command: ReserveStock) -> StockReserved:
    lines = [
        PricedLine(sku=line.sku, quantity=line.quantity, unit_price_cents=UNIT_PRICE_CENTS)
        for line in command.items
    ]
    total = sum(line.quantity * line.unit_price_cents for line in lines)
    return StockReserved(order_id=command.order_id, lines=lines, total_cents=total)


@activity.defn(name="release_stock")
async def release_stock(command: ReleaseStock) -> StockReleased:
    return StockReleased(order_id=command.order_id, lines=[])


@activity.defn(name="commit_stock")
async def commit_stock(command: CommitStock) -> StockCommitted:
    return StockCommitted(order_id=command.order_id, lines=[])


@activity.defn(name="authorize_payment")
async def authorize_payment(command: AuthorizePayment) -> PaymentAuthorized:
    return PaymentAuthorized(
        order_id=command.order_id,
        authorization_id=f"stub-{command.order_id}",
        customer_id=command.customer_id,
        amount_cents=command.amount_cents,
    )


@activity.defn(name="void_authorization")
async def void_authorization(command: VoidAuthorization) -> AuthorizationVoided:
    return AuthorizationVoided(order_id=command.order_id, amount_cents=0)


@activity.defn(name="capture_payment")
async def capture_payment(command: CapturePayment) -> PaymentCaptured:
    return PaymentCaptured(
        order_id=command.order_id, authorization_id=f"stub-{command.order_id}", amount_cents=0
    )


@activity.defn(name="notify_customer")
async def notify_customer(_: OrderConfirmation) -> None:
    return None


STUB_STEPS: list[Any] = [
    create_order, approve_order, complete_order, close_order, reserve_stock, release_stock,
    commit_stock, authorize_payment, void_authorization, capture_payment, notify_customer,
]  # fmt: skip
