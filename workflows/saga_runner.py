"""Runs any SagaTable inside a workflow: forward step by step, back newest-undo-first on a
rejection, a timeout or a cancel, and only forward once past the pivot.

Composed into a workflow (the workflow owns the handlers; the runner owns the decisions). It
knows nothing about what the saga is about: it reports through a Journal (step log, status)
and names commands through CommandIds.

Two rules changed with the v4 saga and are kept apart (`Rules`) because older histories must
replay exactly as they ran:
- **Roll back everything that may have run.** Local activities run inside a workflow task; a
  task that is lost (its worker died) leaves no trace in the history, but its effects are real.
  The retried task may meet a cancel before it re-runs those steps. So a rollback undoes every
  compensable step, begun or not, unless a business rejection proves where the saga stopped
  (the same command id gets the same stored answer in every attempt). Undoing what never
  happened is a no-op that leaves a tombstone.
- **An accepted cancel wins until the pivot.** A step's result and a cancel can arrive in the
  same activation; the SDK runs the update first, then hands the step its result. So the
  cancel is checked after every step and once more, with no await in between, as the pivot is
  taken.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, Generic, Protocol

from temporalio import workflow
from temporalio.exceptions import FailureError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from ordersaga.contracts.saga import SagaTimeouts, StepOutcome
    from workflows.failures import describe_failure, is_business_rejection
    from workflows.saga_table import Call, Ending, Kind, S, SagaTable, Step, Undo
    from workflows.step_calls import CommandIds, StepCalls


class Phase(StrEnum):
    """The statuses the runner itself sets; steps add their own (`Step.reached`)."""

    COMPENSATING = "COMPENSATING"
    NEEDS_ATTENTION = "NEEDS_ATTENTION"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class Journal(Protocol):
    """Where the runner reports: the step log, the status and why the saga ended so."""

    @property
    def status(self) -> str: ...
    def log(self, step: str, outcome: StepOutcome, detail: str) -> None: ...
    def at(self, step: str) -> None: ...
    def set_status(self, status: str, reason_code: str | None = None) -> None: ...
    def set_reason(self, reason: str) -> None: ...


@dataclass(frozen=True)
class Rules:
    undo_all_that_may_have_run: bool = True
    recheck_cancel: bool = True


class SagaRunner(Generic[S]):
    def __init__(
        self,
        table: SagaTable[S],
        subject: S,
        journal: Journal,
        ids: CommandIds,
        timeouts: SagaTimeouts,
        rules: Rules,
    ) -> None:
        self._table, self._subject, self._journal = table, subject, journal
        self._calls, self._timeouts, self._rules = StepCalls(ids, timeouts), timeouts, rules
        self._current: Step[S] = table.steps[0]
        self._begun = -1  # index of the newest compensable step begun
        self._past_pivot = False
        self._cancel_reason: str | None = None
        self._forward: asyncio.Task[None] | None = None
        self._after_pivot: asyncio.Task[None] | None = None
        self._waiting_for_operator = 0
        self._operator_retries = 0
        self._resume_status = ""

    @property
    def past_pivot(self) -> bool:
        return self._past_pivot

    def cancel(self, reason: str) -> None:
        """Roll back (the caller's validator made sure the pivot is not taken yet)."""
        if self._cancel_reason is None:
            self._cancel_reason = reason
            if self._forward is not None:
                self._forward.cancel()

    async def retry(self) -> None:
        """Operator: every step waiting for attention tries again; returns once they have."""
        self._operator_retries += 1
        await workflow.wait_condition(lambda: self._waiting_for_operator == 0)

    async def run(self) -> None:
        self._forward = asyncio.create_task(self._go_forward())
        if self._cancel_reason is not None:  # accepted before the run began
            self._forward.cancel()
        try:
            await self._forward
        except BaseException as error:  # cancellation is not an Exception
            await self._on_failure(error)

    async def _go_forward(self) -> None:
        for index, step in enumerate(self._table.compensable):
            self._begun, self._current = index, step
            self._check_cancel()
            self._journal.at(step.name)
            self._journal.log(step.name, "started", step.summary(self._subject))
            await step.call(self._subject, self._call(step, self._timeouts.step))
            self._journal.log(step.name, "done", step.summary(self._subject))
            self._reached(step)
            self._check_cancel()
        self._check_cancel()  # no await from here to the flag: the pivot and a cancel exclude
        self._past_pivot = True
        # Shielded: cancelling the workflow now cannot stop an approved saga from completing.
        self._after_pivot = asyncio.create_task(self._go_past_the_pivot())
        await asyncio.shield(self._after_pivot)

    async def _go_past_the_pivot(self) -> None:
        for group in self._table.past_the_pivot:
            if len(group) == 1:
                await self._past_pivot_step(group[0])
            else:
                await asyncio.gather(*(self._past_pivot_step(step) for step in group))

    async def _past_pivot_step(self, step: Step[S]) -> None:
        if step.when is not None and not step.when():
            return
        self._journal.at(step.name)
        call = self._call(step, self._timeouts.compensation)
        if step.kind == Kind.BEST_EFFORT:
            await self._best_effort(step, call)
            return
        await self._until_done(step.name, call.summary, lambda: step.call(self._subject, call))
        self._reached(step)

    async def _best_effort(self, step: Step[S], call: Call) -> None:
        try:
            await step.call(self._subject, call)
        except FailureError as error:
            self._journal.log(step.name, "failed", describe_failure(step.name, error)[1])
            return
        self._journal.log(step.name, "done", call.summary)

    def _check_cancel(self) -> None:
        if not self._rules.recheck_cancel:
            return
        if self._cancel_reason is not None or workflow.cancellation_reason() is not None:
            raise asyncio.CancelledError()

    def _reached(self, step: Step[S]) -> None:
        if step.reached is not None:
            self._journal.set_status(step.reached)

    async def _on_failure(self, error: BaseException) -> None:
        everything = len(self._table.compensable) - 1
        reach = everything if self._rules.undo_all_that_may_have_run else self._begun
        if self._after_pivot is not None and is_cancelled_exception(error):
            pivot = self._table.past_the_pivot[0][0].name
            self._journal.log("cancel", "failed", f"cancellation ignored: {pivot} is done")
            await self._after_pivot
        elif self._cancel_reason is not None:
            await self._roll_back(Phase.CANCELLED, "Cancelled", self._cancel_reason, reach)
        elif is_cancelled_exception(error):
            await self._roll_back(Phase.CANCELLED, "Cancelled", "workflow cancelled", reach)
            raise error
        elif isinstance(error, FailureError):
            code, reason = describe_failure(self._current.name, error)
            self._journal.log(self._current.name, "failed", reason)
            if is_business_rejection(error):  # refused atomically by its owner: nothing to undo
                reach = self._begun - 1
            await self._roll_back(Phase.REJECTED, code, reason, reach)
        else:
            raise error

    async def _roll_back(self, final: Phase, code: str, reason: str, reach: int) -> None:
        """Undo the compensable steps up to `reach`, newest first, shielded from a
        cancellation of the workflow; then end with `final`."""
        self._journal.set_reason(reason)
        self._journal.set_status(Phase.COMPENSATING)
        ending: Ending = "CANCELLED" if final == Phase.CANCELLED else "REJECTED"

        async def compensate_all() -> None:
            for step in reversed(self._table.compensable[: reach + 1]):
                if step.undo is not None:
                    await self._undo(step.name, step.undo, ending, reason)
            self._journal.set_status(final, code)

        compensating = asyncio.create_task(compensate_all())
        try:
            await asyncio.shield(compensating)
        except asyncio.CancelledError:
            # A rollback already under way finishes; the saga ends as the rollback decided.
            self._journal.log("cancel", "failed", "cancellation ignored: compensating already")
            await compensating

    async def _undo(self, step: str, undo: Undo[S], ending: Ending, reason: str) -> None:
        summary = undo.summary(self._subject, ending)
        call = self._calls.undo(undo.name, summary)

        async def run() -> None:
            await undo.call(self._subject, call, ending, reason)

        await self._until_done(step, summary, run, compensating=True)

    async def _until_done(
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
                self._journal.log(step, "compensated" if compensating else "done", summary)
                return
            except FailureError as error:
                _, reason = describe_failure(step, error)
                self._journal.log(step, "compensation-failed" if compensating else "failed", reason)
                await self._wait_for_operator()

    async def _wait_for_operator(self) -> None:
        if self._waiting_for_operator == 0:
            self._resume_status = self._journal.status
            self._journal.set_status(Phase.NEEDS_ATTENTION)
        self._waiting_for_operator += 1
        asked = self._operator_retries
        await workflow.wait_condition(lambda: self._operator_retries > asked)
        self._waiting_for_operator -= 1
        if self._waiting_for_operator == 0:
            self._journal.set_status(self._resume_status)

    def _call(self, step: Step[S], deadline: timedelta) -> Call:
        return self._calls.forward(step.name, step.mode, step.summary(self._subject), deadline)
