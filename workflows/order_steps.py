"""The order saga, declared once: each step's name, what it calls, its kind and its undo.

The runner (saga_runner.py) runs this table; the README's table and OrderSaga's docstring are
rendered from it (`ORDER_SAGA.markdown()`), and a test keeps them equal.
"""

from dataclasses import dataclass
from enum import StrEnum

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.notification_activities import OrderConfirmation, notify_customer
    from activities.order_activities import OrderActivities
    from activities.participant_activities import ParticipantActivities
    from ordersaga.contracts.commands import (
        AuthorizePayment,
        CapturePayment,
        CommitStock,
        ReleaseStock,
        ReserveStock,
        VoidAuthorization,
    )
    from ordersaga.contracts.events import StockReserved
    from ordersaga.contracts.saga import PlaceOrder, SagaState
    from ordersaga.services.orders.commands import (
        ApproveOrder,
        CloseOrder,
        CompleteOrder,
        CreateOrder,
    )
    from workflows.order_journal import money
    from workflows.saga_table import Call, Ending, Kind, Mode, SagaTable, Step, Undo


class StepName(StrEnum):
    """Every step and undo of the order saga: the step log's names and the last part of each
    command id (`<workflow id>:<run id>:<name>`)."""

    CREATE_ORDER = "create-order"
    RESERVE_STOCK = "reserve-stock"
    AUTHORIZE_PAYMENT = "authorize-payment"
    APPROVE_ORDER = "approve-order"
    CAPTURE_PAYMENT = "capture-payment"
    COMMIT_STOCK = "commit-stock"
    COMPLETE_ORDER = "complete-order"
    NOTIFY_CUSTOMER = "notify-customer"
    CLOSE_ORDER = "close-order"
    RELEASE_STOCK = "release-stock"
    VOID_AUTHORIZATION = "void-authorization"


@dataclass
class SagaOrder:
    """What the order saga's steps act on: the order as placed and the state it reports."""

    place: PlaceOrder
    state: SagaState
    saga_id: str | None
    """The saga's first run id (v4 on): the orders database's record of who placed the order."""

    @property
    def id(self) -> str:
        return self.place.order_id

    @property
    def total_cents(self) -> int:
        if self.state.total_cents is None:
            raise RuntimeError("the total is known once the stock is reserved")
        return self.state.total_cents


async def create_order(order: SagaOrder, call: Call) -> None:
    request = CreateOrder(**dict(order.place), saga_id=order.saga_id)
    await call(OrderActivities.create_order, request)


async def close_order(order: SagaOrder, call: Call, ending: Ending, reason: str) -> None:
    request = CloseOrder(
        order_id=order.id,
        status=ending,
        reason=reason,
        customer_id=order.place.customer_id,
        saga_id=order.saga_id,
    )
    await call(OrderActivities.close_order, request)


async def reserve_stock(order: SagaOrder, call: Call) -> None:
    command = ReserveStock(command_id=call.command_id, order_id=order.id, items=order.place.items)
    reserved: StockReserved = await call(ParticipantActivities.reserve_stock, command)
    order.state.total_cents = reserved.total_cents


async def release_stock(order: SagaOrder, call: Call, _ending: Ending, reason: str) -> None:
    command = ReleaseStock(command_id=call.command_id, order_id=order.id, reason=reason)
    await call(ParticipantActivities.release_stock, command)


async def authorize_payment(order: SagaOrder, call: Call) -> None:
    command = AuthorizePayment(
        command_id=call.command_id,
        order_id=order.id,
        customer_id=order.place.customer_id,
        payment_method=order.place.payment_method,
        amount_cents=order.total_cents,
    )
    await call(ParticipantActivities.authorize_payment, command)


async def void_authorization(order: SagaOrder, call: Call, _ending: Ending, reason: str) -> None:
    command = VoidAuthorization(command_id=call.command_id, order_id=order.id, reason=reason)
    await call(ParticipantActivities.void_authorization, command)


async def approve_order(order: SagaOrder, call: Call) -> None:
    request = ApproveOrder(order_id=order.id, total_cents=order.total_cents)
    await call(OrderActivities.approve_order, request)


async def capture_payment(order: SagaOrder, call: Call) -> None:
    command = CapturePayment(command_id=call.command_id, order_id=order.id)
    await call(ParticipantActivities.capture_payment, command)


async def commit_stock(order: SagaOrder, call: Call) -> None:
    command = CommitStock(command_id=call.command_id, order_id=order.id)
    await call(ParticipantActivities.commit_stock, command)


async def complete_order(order: SagaOrder, call: Call) -> None:
    await call(OrderActivities.complete_order, CompleteOrder(order_id=order.id))


async def notify(order: SagaOrder, call: Call) -> None:
    confirmation = OrderConfirmation(
        notification_id=call.command_id,
        order_id=order.id,
        customer_id=order.place.customer_id,
        total_cents=order.total_cents,
    )
    await call(notify_customer, confirmation)


CREATE = Step[SagaOrder](
    StepName.CREATE_ORDER,
    "create order PENDING (orders DB)",
    Kind.COMPENSABLE,
    lambda o: f"create order {o.id} PENDING",
    create_order,
    Undo(
        StepName.CLOSE_ORDER,
        "mark REJECTED / CANCELLED with reason",
        lambda o, ending: f"mark order {o.id} {ending}",
        close_order,
    ),
)
RESERVE = Step[SagaOrder](
    StepName.RESERVE_STOCK,
    "reserve stock (inventory)",
    Kind.COMPENSABLE,
    lambda o: "reserve " + ", ".join(f"{i.quantity} x {i.sku}" for i in o.place.items),
    reserve_stock,
    Undo(
        StepName.RELEASE_STOCK,
        "release reservation",
        lambda o, _: f"release the stock reserved for order {o.id}",
        release_stock,
    ),
    reached="RESERVED",
)
AUTHORIZE = Step[SagaOrder](
    StepName.AUTHORIZE_PAYMENT,
    "authorize payment (payment)",
    Kind.COMPENSABLE,
    lambda o: f"authorize {money(o.total_cents)} for {o.place.customer_id}",
    authorize_payment,
    Undo(
        StepName.VOID_AUTHORIZATION,
        "void authorization",
        lambda o, _: f"void the authorization of order {o.id}",
        void_authorization,
    ),
    reached="AUTHORIZED",
)
APPROVE = Step[SagaOrder](
    StepName.APPROVE_ORDER,
    "approve order",
    Kind.PIVOT,
    lambda o: f"approve order {o.id}",
    approve_order,
    reached="APPROVED",
)
CAPTURE = Step[SagaOrder](
    StepName.CAPTURE_PAYMENT,
    "capture payment",
    Kind.RETRIABLE,
    lambda o: f"capture {money(o.total_cents)} of order {o.id}",
    capture_payment,
    mode=Mode.REGULAR,
)
COMMIT = Step[SagaOrder](
    StepName.COMMIT_STOCK,
    "commit stock (inventory)",
    Kind.RETRIABLE,
    lambda o: f"commit the stock reserved for order {o.id}",
    commit_stock,
    mode=Mode.REGULAR,
    with_previous=True,
)
COMPLETE = Step[SagaOrder](
    StepName.COMPLETE_ORDER,
    "complete order (orders DB)",
    Kind.RETRIABLE,
    lambda o: f"complete order {o.id}",
    complete_order,
    reached="COMPLETED",
)
NOTIFY = Step[SagaOrder](
    StepName.NOTIFY_CUSTOMER,
    "notify customer",
    Kind.BEST_EFFORT,
    lambda o: f"send {o.place.customer_id} the confirmation of order {o.id}",
    notify,
    mode=Mode.LOCAL,
)

ORDER_SAGA = SagaTable([CREATE, RESERVE, AUTHORIZE, APPROVE, CAPTURE, COMMIT, COMPLETE, NOTIFY])
