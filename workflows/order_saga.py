"""The order saga: one workflow per order, id `order-<order_id>`."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from activities.inputs import ApproveOrder
    from activities.order_activities import OrderActivities
    from activities.participant_activities import ParticipantActivities
    from contracts.commands import (
        AuthorizePayment,
        CapturePayment,
        ReserveStock,
    )
    from contracts.events import StockReserved
    from contracts.orders import OrderStatus
    from contracts.saga import CancelOrder, PlaceOrder, SagaState
    from workflows.failures import describe_failure, is_business_rejection
    from workflows.saga_calls import SagaCalls
    from workflows.saga_record import money


@dataclass(frozen=True)
class _Undo:
    """A compensation: how to undo one step once the final status and reason are known."""

    step: str
    summary: str
    run: Callable[[str, str], Awaitable[Any]]


@workflow.defn(name="OrderSaga")
class OrderSaga(SagaCalls):
    """Places one order across inventory and payment.

    | step              | kind        | compensation                       |
    | create order      | compensable | mark REJECTED / CANCELLED + reason |
    | reserve stock     | compensable | release reservation                |
    | authorize payment | compensable | void authorization                 |
    | approve order     | pivot       | none: cancel is refused after it   |
    | capture payment   | retriable   | none (a regular activity, see run) |
    | notify customer   | best effort | none: a failure is only logged     |

    A rejection, a step past its deadline, a `cancel` update or a cancellation of the workflow
    runs the compensations of the steps begun so far, newest first. A compensation is registered
    before its step runs: a step that timed out may still have happened, and undoing something
    that never happened is a no-op for the participant.
    """

    @workflow.init
    def __init__(self, order: PlaceOrder) -> None:
        self._order = order
        self._state = SagaState(
            order_id=order.order_id, customer_id=order.customer_id, status=OrderStatus.PENDING
        )
        self._undo: list[_Undo] = []
        self._step = "create-order"
        self._past_pivot = False
        self._cancel_reason: str | None = None
        self._operator_retry = False
        self._forward: asyncio.Task[None] | None = None
        self._after_pivot: asyncio.Task[None] | None = None
        self._capture_as_activity = True

    @workflow.run
    async def run(self, _order: PlaceOrder) -> SagaState:
        # v3: capture runs as a regular activity, so the saga never completes in a workflow
        # task that ran local steps (see _record_steps_before_completing for what that risks).
        self._capture_as_activity = workflow.patched("capture-as-activity")
        self._set_status(OrderStatus.PENDING)
        self._forward = asyncio.create_task(self._go_forward())
        if self._cancel_reason is not None:  # cancelled before the run began
            self._forward.cancel()
        try:
            await self._forward
        except BaseException as error:  # cancellation is not an Exception
            await self._on_failure(error)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if not self._capture_as_activity and workflow.patched("record-steps-before-completing"):
            await self._record_steps_before_completing()  # v1 and v2 histories only
        return self._state

    async def _record_steps_before_completing(self) -> None:
        """v1/v2: end this workflow task before completing, so its local-activity results are
        stored. It cost a timer (about a second on the server) per order; v3 gets the same
        guarantee from capturing in a regular activity.

        The server refuses a completion when a cancel or an update arrived during the workflow
        task (UnhandledCommand); the retried task would then replay without the markers of the
        local steps that did run, and see the cancel first: an order charged but CANCELLED. A
        timer is a command the server accepts however many events arrived, so the markers are
        recorded with it. A cancel arriving now is too late: the order is settled.
        """
        barrier = asyncio.create_task(workflow.sleep(timedelta(milliseconds=1)))
        try:
            await asyncio.shield(barrier)
        except asyncio.CancelledError:
            self._log("cancel", "failed", "cancellation ignored: the order is already settled")
            await barrier

    @workflow.query
    def state(self) -> SagaState:
        return self._state

    @workflow.update
    async def cancel(self, request: CancelOrder) -> SagaState:
        """Cancel before the pivot: compensate, end CANCELLED. Answers once that is done."""
        if self._cancel_reason is None:
            self._cancel_reason = request.reason
            if self._forward is not None:
                self._forward.cancel()
        await workflow.wait_condition(self._settled)
        return self._state

    @cancel.validator
    def _validate_cancel(self, request: CancelOrder) -> None:  # noqa: ARG002
        if self._past_pivot:
            raise ApplicationError(
                f"order {self._order.order_id} is already approved and can no longer be cancelled"
            )
        if self._state.status.is_final:
            raise ApplicationError(
                f"order {self._order.order_id} is already {self._state.status.value}"
            )

    @workflow.update
    async def retry_compensation(self) -> SagaState:
        """Operator: try the step that needed attention again."""
        self._operator_retry = True
        await workflow.wait_condition(lambda: not self._operator_retry)
        return self._state

    @retry_compensation.validator
    def _validate_retry(self) -> None:
        if self._state.status != OrderStatus.NEEDS_ATTENTION:
            raise ApplicationError(
                f"order {self._order.order_id} is {self._state.status.value}; "
                "only an order that NEEDS_ATTENTION can be retried"
            )

    async def _go_forward(self) -> None:
        order, wid = self._order, workflow.info().workflow_id
        self._undo.append(_Undo("create-order", "close the order", self._close_order))
        await self._forward_step(
            "create-order",
            f"create order {order.order_id} PENDING",
            OrderActivities.create_order,
            order,
        )
        self._undo.append(_Undo("reserve-stock", "release the reservation", self._release_stock))
        reserved: StockReserved = await self._forward_step(
            "reserve-stock",
            "reserve " + ", ".join(f"{i.quantity} x {i.sku}" for i in order.items),
            ParticipantActivities.reserve_stock,
            ReserveStock(
                command_id=f"{wid}:reserve-stock", order_id=order.order_id, items=order.items
            ),
        )
        self._state.total_cents = reserved.total_cents
        self._set_status(OrderStatus.RESERVED)
        self._undo.append(_Undo("authorize-payment", "void the authorization", self._void))
        await self._forward_step(
            "authorize-payment",
            f"authorize {money(reserved.total_cents)} for {order.customer_id}",
            ParticipantActivities.authorize_payment,
            AuthorizePayment(
                command_id=f"{wid}:authorize-payment",
                order_id=order.order_id,
                customer_id=order.customer_id,
                payment_method=order.payment_method,
                amount_cents=reserved.total_cents,
            ),
        )
        self._set_status(OrderStatus.AUTHORIZED)
        self._past_pivot = True  # from here on there is no going back, only retries
        # Shielded: cancelling the workflow now cannot stop an approved order from completing.
        self._after_pivot = asyncio.create_task(self._past_the_pivot(reserved.total_cents))
        await asyncio.shield(self._after_pivot)

    async def _past_the_pivot(self, total_cents: int) -> None:
        order_id, wid = self._order.order_id, workflow.info().workflow_id
        await self._retriable_step(
            "approve-order",
            f"approve order {order_id}",
            lambda: self._quick_then_patient(
                OrderActivities.approve_order,
                ApproveOrder(order_id=order_id, total_cents=total_cents),
                f"approve order {order_id}",
                self._timeouts.compensation,
            ),
        )
        self._set_status(OrderStatus.APPROVED)
        await self._retriable_step(
            "capture-payment",
            f"capture {money(total_cents)}",
            lambda: self._capture(
                CapturePayment(command_id=f"{wid}:capture-payment", order_id=order_id),
                f"capture {money(total_cents)} of order {order_id}",
            ),
        )
        self._set_status(OrderStatus.COMPLETED)
        # Added after v1 histories existed: executions that completed without it replay with
        # patched() False. See docs/versioning.md for when this guard may be deprecated.
        if workflow.patched("notify-customer"):
            await self._notify_customer(total_cents)

    async def _forward_step(self, step: str, summary: str, activity: Any, arg: Any) -> Any:
        self._step = step
        self._log(step, "started", summary)
        result = await self._quick_then_patient(activity, arg, summary, self._timeouts.step)
        self._log(step, "done", summary)
        return result

    async def _on_failure(self, error: BaseException) -> None:
        if self._after_pivot is not None and is_cancelled_exception(error):
            self._log("cancel", "failed", "cancellation ignored: the order is already approved")
            await self._after_pivot
        elif self._cancel_reason is not None:
            await self._roll_back(OrderStatus.CANCELLED, "Cancelled", self._cancel_reason)
        elif is_cancelled_exception(error):
            await self._roll_back(OrderStatus.CANCELLED, "Cancelled", "workflow cancelled")
            raise error
        elif isinstance(error, FailureError):
            code, reason = describe_failure(self._step, error)
            self._log(self._step, "failed", reason)
            if is_business_rejection(error) and self._undo[-1].step == self._step:
                self._undo.pop()  # rejected atomically by its owner: nothing to undo
            await self._roll_back(OrderStatus.REJECTED, code, reason)
        else:
            raise error

    async def _roll_back(self, final: OrderStatus, code: str, reason: str) -> None:
        """Run the compensations newest first, shielded from a cancellation of the workflow."""
        self._state.reason = reason
        self._set_status(OrderStatus.COMPENSATING)

        async def compensate_all() -> None:
            for undo in reversed(self._undo):
                await self._retriable_step(
                    undo.step,
                    undo.summary,
                    lambda u=undo: u.run(final.value, reason),  # type: ignore[misc]
                    compensating=True,
                )
            self._set_status(final, code)

        compensating = asyncio.create_task(compensate_all())
        try:
            await asyncio.shield(compensating)
        except asyncio.CancelledError:
            # A rollback already under way finishes; the order ends as the rollback decided.
            self._log("cancel", "failed", "cancellation ignored: the order is being compensated")
            await compensating

    async def _retriable_step(
        self,
        step: str,
        summary: str,
        call: Callable[[], Awaitable[Any]],
        compensating: bool = False,
    ) -> None:
        """Run until it succeeds; when its retry window runs out, wait for an operator."""
        while True:
            try:
                await call()
                self._log(step, "compensated" if compensating else "done", summary)
                return
            except FailureError as error:
                _, reason = describe_failure(step, error)
                self._log(step, "compensation-failed" if compensating else "failed", reason)
                await self._wait_for_operator()

    async def _wait_for_operator(self) -> None:
        resume_status = self._state.status
        self._set_status(OrderStatus.NEEDS_ATTENTION)
        await workflow.wait_condition(lambda: self._operator_retry)
        self._set_status(resume_status)
        self._operator_retry = False

    def _settled(self) -> bool:
        return self._state.status.is_final or self._state.status == OrderStatus.NEEDS_ATTENTION
