"""How a step's activity runs: the `Call` a step gets, built from its mode and its deadline, with
the command id its declaration names. Why each mode exists: activity_options.py."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import FailureError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from ordersaga.contracts.saga import SagaTimeouts
    from workflows import activity_options
    from workflows.failures import is_business_rejection
    from workflows.saga_table import Call, Mode


@dataclass(frozen=True)
class CommandIds:
    """`<workflow id>:<run id>:<name>`; sagas before v4 used `<workflow id>:<name>`."""

    workflow_id: str
    run_id: str | None

    def of(self, name: str) -> str:
        scope = self.workflow_id if self.run_id is None else f"{self.workflow_id}:{self.run_id}"
        return f"{scope}:{name}"


@dataclass(frozen=True)
class StepCalls:
    ids: CommandIds
    timeouts: SagaTimeouts

    def forward(self, name: str, mode: Mode, summary: str, deadline: timedelta) -> Call:
        """A step's call: local first, regular, or a few quick local tries (best effort)."""

        async def execute(activity: Any, arg: Any) -> Any:
            if mode == Mode.REGULAR:
                options = activity_options.patient_try(self.timeouts, deadline)
                return await workflow.execute_activity(activity, arg, summary=summary, **options)
            if mode == Mode.LOCAL:
                return await workflow.execute_local_activity(
                    activity,
                    arg,
                    summary=summary,
                    start_to_close_timeout=self.timeouts.attempt,
                    retry_policy=RetryPolicy(
                        initial_interval=timedelta(milliseconds=200), maximum_attempts=3
                    ),
                )
            return await self._quick_then_patient(activity, arg, summary, deadline)

        return Call(self.ids.of(name), summary, execute)

    def undo(self, name: str, summary: str) -> Call:
        """A compensation's call: a regular activity, retried within the compensation window."""

        async def execute(activity: Any, arg: Any) -> Any:
            options = activity_options.compensation(self.timeouts)
            return await workflow.execute_activity(activity, arg, summary=summary, **options)

        return Call(self.ids.of(name), summary, execute)

    async def _quick_then_patient(
        self, activity: Any, arg: Any, summary: str, deadline: timedelta
    ) -> Any:
        """One local attempt; without a quick answer, a regular activity until the deadline."""
        began = workflow.now()
        try:
            options = activity_options.quick_try(self.timeouts)
            return await workflow.execute_local_activity(activity, arg, summary=summary, **options)
        except FailureError as error:
            if is_business_rejection(error) or is_cancelled_exception(error):
                raise
        remaining = deadline - (workflow.now() - began)
        options = activity_options.patient_try(self.timeouts, remaining)
        return await workflow.execute_activity(activity, arg, summary=summary, **options)
