"""The order saga: one workflow per order, id `order-<order_id>`."""

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from ordersaga.contracts.orders import OrderStatus
    from ordersaga.contracts.saga import CancelOrder, PlaceOrder, SagaState
    from workflows import legacy
    from workflows.order_journal import OrderJournal
    from workflows.order_steps import ORDER_SAGA, SagaOrder
    from workflows.saga_runner import Rules, SagaRunner
    from workflows.step_calls import CommandIds

V4 = "saga-v4"
"""The patch of v4: commit stock, complete order, roll back all that may have run, re-check a
cancel after every step, command ids per run. Executions without it run `workflows.legacy`."""


@workflow.defn(name="OrderSaga")
class OrderSaga:
    """Places one order across inventory and payment.

    | step | kind | compensation |
    | --- | --- | --- |
    | create order PENDING (orders DB) | compensable | mark REJECTED / CANCELLED with reason |
    | reserve stock (inventory) | compensable | release reservation |
    | authorize payment (payment) | compensable | void authorization |
    | approve order | pivot: after it, no going back | none |
    | capture payment | retriable: retried until it succeeds | none |
    | commit stock (inventory) | retriable, concurrent with capture payment | none |
    | complete order (orders DB) | retriable: retried until it succeeds | none |
    | notify customer | best effort: a failure is only logged | none |

    A rejection, a step past its deadline, a `cancel` update or a cancellation of the workflow
    before the pivot rolls back: every compensable step's undo runs, newest first, including
    those of steps the history does not show (a lost workflow task may have run them; undoing
    what never happened is a no-op). After the pivot the saga only goes forward; a step that
    keeps failing waits for an operator (NEEDS_ATTENTION, `retry_compensation`). The steps are
    declared in `workflows/order_steps.py`; the runner is `workflows/saga_runner.py`.
    """

    @workflow.init
    def __init__(self, order: PlaceOrder) -> None:
        self._order = order
        self._journal = OrderJournal(order)
        self._runner: SagaRunner[SagaOrder] | None = None
        self._early_cancel: str | None = None  # a cancel accepted before run() began
        self._legacy_timer = False

    @workflow.run
    async def run(self, _order: PlaceOrder) -> SagaState:
        runner = self._runner = self._runner_for_this_run()
        if self._early_cancel is not None:
            runner.cancel(self._early_cancel)
        self._journal.set_status(OrderStatus.PENDING)
        await runner.run()
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._legacy_timer:
            await legacy.record_steps_before_completing(self._journal)
        return self._journal.state

    def _runner_for_this_run(self) -> SagaRunner[SagaOrder]:
        info, state = workflow.info(), self._journal.state
        timeouts = self._order.timeouts
        if workflow.patched(V4):
            order = SagaOrder(self._order, state, saga_id=info.first_execution_run_id)
            ids = CommandIds(info.workflow_id, info.run_id)
            return SagaRunner(ORDER_SAGA, order, self._journal, ids, timeouts, Rules())
        order, ids = SagaOrder(self._order, state, saga_id=None), CommandIds(info.workflow_id, None)
        if workflow.patched("capture-as-activity"):  # v3
            return SagaRunner(legacy.V3, order, self._journal, ids, timeouts, legacy.RULES)
        self._legacy_timer = True  # v1, v2
        return SagaRunner(legacy.V1_V2, order, self._journal, ids, timeouts, legacy.RULES)

    @workflow.query
    def state(self) -> SagaState:
        return self._journal.state

    @workflow.update
    async def cancel(self, request: CancelOrder) -> SagaState:
        """Cancel before the pivot: compensate, end CANCELLED. Answers once that is done."""
        if self._runner is None:
            self._early_cancel = self._early_cancel or request.reason
        else:
            self._runner.cancel(request.reason)
        await workflow.wait_condition(self._settled)
        return self._journal.state

    @cancel.validator
    def _validate_cancel(self, request: CancelOrder) -> None:  # noqa: ARG002
        if self._runner is not None and self._runner.past_pivot:
            raise ApplicationError(
                f"order {self._order.order_id} is already approved and can no longer be cancelled"
            )
        status = self._journal.state.status
        if status.is_final:
            raise ApplicationError(f"order {self._order.order_id} is already {status.value}")

    @workflow.update
    async def retry_compensation(self) -> SagaState:
        """Operator: try the steps that needed attention again."""
        if self._runner is not None:
            await self._runner.retry()
        return self._journal.state

    @retry_compensation.validator
    def _validate_retry(self) -> None:
        status = self._journal.state.status
        if status != OrderStatus.NEEDS_ATTENTION:
            raise ApplicationError(
                f"order {self._order.order_id} is {status.value}; "
                "only an order that NEEDS_ATTENTION can be retried"
            )

    def _settled(self) -> bool:
        status = self._journal.state.status
        return status.is_final or status == OrderStatus.NEEDS_ATTENTION
