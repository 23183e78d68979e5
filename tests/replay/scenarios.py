"""The saga's paths, each driven for real and checked before its history is kept.

`VERSION` names the histories the current workflow code records (`<VERSION>-<path>.json`).
Bump it with every change to the workflow's commands (a new step behind `workflow.patched`, a
changed activity...), record, and keep the older files: they are what the replay tests hold the
new code to. `RECORDED` lists every version whose histories are committed.

A scenario raises `ScenarioFailed` when the saga did not end as the path says it must, so a
broken scenario fails the recording instead of producing a history of something else.
"""

import asyncio
from collections.abc import Awaitable, Callable

from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.exceptions import CancelledError

from ordersaga.contracts.orders import OrderStatus
from ordersaga.contracts.saga import CancelOrder, SagaState, SagaTimeouts
from tests.support.manual_payment import manual_payment
from tests.support.system import SagaHandle, SagaSystem, reaches
from workflows.order_saga import OrderSaga

VERSION = "v4"
"""v1: the saga as first released. v2: + notify-customer, behind `workflow.patched`.
v3: capture as a regular activity (`capture-as-activity`), no completion timer.
v4 (`saga-v4`): the step table; commit-stock beside the capture, complete-order; a rollback
undoes every step that may have run; command ids per run; a reused order id is refused."""

Scenario = Callable[[SagaSystem, str], Awaitable[SagaHandle]]


class ScenarioFailed(AssertionError):
    """The saga did not take the path the scenario drives it down."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise ScenarioFailed(message)


async def happy_path(system: SagaSystem, order_id: str) -> SagaHandle:
    handle = await system.start_order(order_id, items={"SKU-42": 2})
    state = await _ends(handle, OrderStatus.COMPLETED)
    expect(state.total_cents is not None, "a completed order has a total")
    expect(await system.authorization_status(order_id) == "CAPTURED", "payment captured")
    expect(await system.reservation_status(order_id) == "COMMITTED", "stock sold")
    steps = [(step.step, step.outcome) for step in state.steps]
    expect(steps[-1] == ("notify-customer", "done"), f"customer notified last: {steps}")
    return handle


async def out_of_stock(system: SagaSystem, order_id: str) -> SagaHandle:
    handle = await system.start_order(order_id, items={"SKU-42": 2, "SKU-GONE": 1})
    state = await _ends(handle, OrderStatus.REJECTED, "SKU-GONE")
    expect(await system.reservation_status(order_id) is None, "nothing reserved")
    expect(await system.authorization_status(order_id) is None, "payment never asked")
    expect(state.total_cents is None, "no total without a reservation")
    return handle


async def unknown_sku(system: SagaSystem, order_id: str) -> SagaHandle:
    handle = await system.start_order(order_id, items={"SKU-NOPE": 1})
    await _ends(handle, OrderStatus.REJECTED, "SKU-NOPE")
    expect(await system.authorization_status(order_id) is None, "payment never asked")
    return handle


async def payment_declined(system: SagaSystem, order_id: str) -> SagaHandle:
    handle = await system.start_order(order_id, customer="mallory", items={"SKU-42": 3})
    await _ends(handle, OrderStatus.REJECTED, "declined")
    expect(await system.reservation_status(order_id) == "RELEASED", "reservation released")
    return handle


async def cancel_before_pivot(system: SagaSystem, order_id: str) -> SagaHandle:
    """The customer cancels while authorize waits on a payment service that is down."""
    await system.stop_participant("payment")
    handle = await system.start_order(order_id, items={"SKU-42": 4})
    await reaches(handle, OrderStatus.RESERVED)
    update = await handle.start_update(
        OrderSaga.cancel,
        CancelOrder(reason="changed my mind"),
        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
    )
    await system.start_participant("payment")  # the void needs it
    expect((await update.result()).status == OrderStatus.CANCELLED, "the update answers CANCELLED")
    await _ends(handle, OrderStatus.CANCELLED, "changed my mind")
    expect(await system.reservation_status(order_id) == "RELEASED", "reservation released")
    expect(await system.authorization_status(order_id) in (None, "VOIDED"), "nothing stays held")
    return handle


async def cancel_refused_after_pivot(system: SagaSystem, order_id: str) -> SagaHandle:
    """Payment is hand-fed: authorized, then the capture is held while a cancel is refused."""
    await system.stop_participant("payment")
    handle = await system.start_order(order_id, items={"SKU-42": 1})
    async with manual_payment(system) as payment:
        expect(await payment.handle(await payment.next_message()) == "AuthorizePayment", "auth")
        capture = await payment.next_message()  # sent after approval: past the pivot
        try:
            await handle.execute_update(OrderSaga.cancel, CancelOrder())
        except WorkflowUpdateFailedError as refused:
            expect("already approved" in str(refused.cause), f"refused why: {refused.cause}")
        else:
            raise ScenarioFailed("a cancel after the pivot was accepted")
        expect(await payment.handle(capture) == "CapturePayment", "capture handled")
    await system.start_participant("payment")
    await _ends(handle, OrderStatus.COMPLETED)
    expect(await system.authorization_status(order_id) == "CAPTURED", "payment captured")
    return handle


async def step_timeout_compensated(system: SagaSystem, order_id: str) -> SagaHandle:
    """Payment is down past authorize's deadline; it comes back during the compensation."""
    await system.stop_participant("payment")
    timeouts = SagaTimeouts(step_seconds=3, attempt_seconds=1, compensation_seconds=30)
    handle = await system.start_order(order_id, items={"SKU-42": 5}, timeouts=timeouts)
    await reaches(handle, OrderStatus.COMPENSATING)
    await system.start_participant("payment")
    await _ends(handle, OrderStatus.REJECTED, "deadline")
    expect(await system.reservation_status(order_id) == "RELEASED", "reservation released")
    expect(await system.authorization_status(order_id) in (None, "VOIDED"), "nothing stays held")
    return handle


async def capture_retried(system: SagaSystem, order_id: str) -> SagaHandle:
    """The capture's first attempt gets no answer and is retried (v1/v2: its quick local
    attempt, then a regular activity; v3, v4: a regular activity's second attempt); both sends
    carry the same command id, answered once."""
    await system.stop_participant("payment")
    handle = await system.start_order(order_id, items={"SKU-42": 1})
    async with manual_payment(system) as payment:
        expect(await payment.handle(await payment.next_message()) == "AuthorizePayment", "auth")
        quick = await payment.next_message()
        retried = await payment.next_message()  # the regular activity re-sent it
        expect(quick.correlation_id == retried.correlation_id, "same command id")
        expect(await payment.handle(quick) == "CapturePayment", "capture handled")
        await payment.handle(retried)  # answered from the stored reply
    await system.start_participant("payment")
    await _ends(handle, OrderStatus.COMPLETED)
    expect(await system.authorization_status(order_id) == "CAPTURED", "payment captured")
    history = await handle.fetch_history()
    scheduled = [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]
    expected = ["capture_payment", "commit_stock"]
    expect(sorted(scheduled) == expected, f"regular capture and commit, got {scheduled}")
    return handle


async def workflow_cancelled(system: SagaSystem, order_id: str) -> SagaHandle:
    """An operator cancels the workflow itself (UI, CLI) while authorize waits."""
    await system.stop_participant("payment")
    handle = await system.start_order(order_id, items={"SKU-42": 2})
    await reaches(handle, OrderStatus.RESERVED)
    await handle.cancel()
    await reaches(handle, OrderStatus.COMPENSATING)  # the void waits for payment
    await system.start_participant("payment")
    try:
        await asyncio.wait_for(handle.result(), 30)
    except WorkflowFailureError as failure:
        expect(isinstance(failure.cause, CancelledError), f"ended cancelled: {failure.cause}")
    else:
        raise ScenarioFailed("a cancelled workflow completed")
    state = await handle.query(OrderSaga.state)
    expect(state.status == OrderStatus.CANCELLED, f"status {state.status}")
    expect(await system.reservation_status(order_id) == "RELEASED", "reservation released")
    return handle


async def duplicate_order(system: SagaSystem, order_id: str) -> SagaHandle:
    """The order id placed again once Temporal has forgotten the first saga (past retention; a
    deleted execution here): the orders database remembers it, and the new saga is refused
    without touching stock or money."""
    first = await system.start_order(order_id, items={"SKU-42": 1})
    await _ends(first, OrderStatus.COMPLETED)
    await system.forget(first)
    again = await system.start_order(order_id, items={"SKU-42": 1})
    state = await _ends(again, OrderStatus.REJECTED, "already placed")
    expect(state.reason_code == "DuplicateOrder", f"code {state.reason_code}")
    expect(await system.reservation_status(order_id) == "COMMITTED", "the first sale stands")
    expect(await system.authorization_status(order_id) == "CAPTURED", "charged once")
    return again


SCENARIOS: dict[str, Scenario] = {
    "happy-path": happy_path,
    "out-of-stock": out_of_stock,
    "unknown-sku": unknown_sku,
    "payment-declined": payment_declined,
    "cancel-before-pivot": cancel_before_pivot,
    "cancel-refused-after-pivot": cancel_refused_after_pivot,
    "step-timeout-compensated": step_timeout_compensated,
    "capture-retried": capture_retried,
    "workflow-cancelled": workflow_cancelled,
    "duplicate-order": duplicate_order,
}

_FIRST_PATHS = (
    "happy-path",
    "out-of-stock",
    "unknown-sku",
    "payment-declined",
    "cancel-before-pivot",
    "cancel-refused-after-pivot",
    "step-timeout-compensated",
    "capture-retried",
    "workflow-cancelled",
)
RECORDED: dict[str, tuple[str, ...]] = {
    "v1": _FIRST_PATHS,
    "v2": _FIRST_PATHS,
    "v3": _FIRST_PATHS,
    "v4": tuple(SCENARIOS),
}
"""Every version whose histories are committed, with the paths recorded for it."""


def history_name(version: str, path: str) -> str:
    return f"{version}-{path}.json"


def expected_histories() -> set[str]:
    return {history_name(v, path) for v, paths in RECORDED.items() for path in paths}


async def _ends(handle: SagaHandle, status: OrderStatus, reason_has: str = "") -> SagaState:
    state = await asyncio.wait_for(handle.result(), 30)
    expect(state.status == status, f"expected {status.value}, ended {state.status.value}")
    expect(reason_has in (state.reason or ""), f"reason {state.reason!r} lacks {reason_has!r}")
    return state
