"""How the saga calls its activities: each step's first local try, the regular activity that
follows when it must wait, the capture, the notification and the compensations.

A base class of OrderSaga; every call's timeouts and retries come from activity_options.
"""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import FailureError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from activities.inputs import CloseOrder
    from activities.notification_activities import OrderConfirmation, notify_customer
    from activities.order_activities import OrderActivities
    from activities.participant_activities import ParticipantActivities
    from contracts.commands import CapturePayment, ReleaseStock, VoidAuthorization
    from workflows import activity_options
    from workflows.failures import describe_failure, is_business_rejection
    from workflows.saga_record import SagaRecord


class SagaCalls(SagaRecord):
    _capture_as_activity: bool

    async def _quick_then_patient(
        self, activity: Any, arg: Any, summary: str, deadline: timedelta
    ) -> Any:
        """One local attempt; without a quick answer, a regular activity until the deadline."""
        began = workflow.now()
        try:
            return await workflow.execute_local_activity_method(
                activity, arg, summary=summary, **activity_options.quick_try(self._timeouts)
            )
        except FailureError as error:
            if is_business_rejection(error) or is_cancelled_exception(error):
                raise
        remaining = deadline - (workflow.now() - began)
        return await workflow.execute_activity_method(
            activity,
            arg,
            summary=summary,
            **activity_options.patient_try(self._timeouts, remaining),
        )

    async def _capture(self, command: CapturePayment, summary: str) -> Any:
        if not self._capture_as_activity:  # v1 and v2 histories
            return await self._quick_then_patient(
                ParticipantActivities.capture_payment,
                command,
                summary,
                self._timeouts.compensation,
            )
        return await workflow.execute_activity_method(
            ParticipantActivities.capture_payment,
            command,
            summary=summary,
            **activity_options.patient_try(self._timeouts, self._timeouts.compensation),
        )

    async def _notify_customer(self, total_cents: int) -> None:
        """Best effort, once the order is COMPLETED: a few quick local attempts; a failure is
        written to the step log and nothing else, because the order stands either way."""
        order, wid = self._order, workflow.info().workflow_id
        summary = f"send {order.customer_id} the confirmation of order {order.order_id}"
        try:
            await workflow.execute_local_activity(
                notify_customer,
                OrderConfirmation(
                    notification_id=f"{wid}:notify-customer",
                    order_id=order.order_id,
                    customer_id=order.customer_id,
                    total_cents=total_cents,
                ),
                summary=summary,
                start_to_close_timeout=self._timeouts.attempt,
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(milliseconds=200), maximum_attempts=3
                ),
            )
        except FailureError as error:
            self._log("notify-customer", "failed", describe_failure("notify-customer", error)[1])
            return
        self._log("notify-customer", "done", summary)

    async def _close_order(self, status: str, reason: str) -> None:
        order_id = self._order.order_id
        request = CloseOrder(order_id=order_id, status=status, reason=reason)
        await self._compensate(
            OrderActivities.close_order, request, f"mark order {order_id} {status}"
        )

    async def _release_stock(self, _status: str, reason: str) -> None:
        order_id, wid = self._order.order_id, workflow.info().workflow_id
        command = ReleaseStock(command_id=f"{wid}:release-stock", order_id=order_id, reason=reason)
        await self._compensate(
            ParticipantActivities.release_stock,
            command,
            f"release the stock reserved for order {order_id}",
        )

    async def _void(self, _status: str, reason: str) -> None:
        order_id, wid = self._order.order_id, workflow.info().workflow_id
        command = VoidAuthorization(
            command_id=f"{wid}:void-authorization", order_id=order_id, reason=reason
        )
        await self._compensate(
            ParticipantActivities.void_authorization,
            command,
            f"void the authorization of order {order_id}",
        )

    async def _compensate(self, activity: Any, arg: Any, summary: str) -> None:
        await workflow.execute_activity_method(
            activity, arg, summary=summary, **activity_options.compensation(self._timeouts)
        )
