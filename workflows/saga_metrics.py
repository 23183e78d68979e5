"""What a saga counts as it runs, from the journal's calls: started, completed, rejected by
reason, cancelled and needing attention (its statuses), each step's time to its first outcome,
and each undo of a rollback.

It records through the workflow's metric meter, which records nothing while a history replays:
a saga replayed after a worker restart or a cache eviction is not counted twice, and nothing
here reaches the history (no commands; `workflow.now()` only reads the task's time). A failure
to record is logged and never fails the workflow task.
"""

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from ordersaga.contracts.orders import OrderStatus
    from ordersaga.contracts.saga import StepOutcome
    from ordersaga.telemetry import metrics
    from ordersaga.telemetry.temporal_meter import TemporalMeter

STATUS_COUNTERS = {
    # PENDING is set once, as OrderSaga.run begins; nothing sets it again.
    OrderStatus.PENDING: metrics.ORDERS_STARTED,
    OrderStatus.COMPLETED: metrics.ORDERS_COMPLETED,
    OrderStatus.CANCELLED: metrics.ORDERS_CANCELLED,
    OrderStatus.NEEDS_ATTENTION: metrics.ORDERS_NEEDING_ATTENTION,
}
UNDONE: dict[StepOutcome, str] = {"compensated": "done", "compensation-failed": "failed"}


class SagaMetrics:
    def __init__(self) -> None:
        self._meter: TemporalMeter | None = None
        self._began: dict[str, datetime] = {}

    def step_began(self, step: str) -> None:
        self._began[step] = workflow.now()

    def logged(self, step: str, outcome: StepOutcome) -> None:
        try:
            if outcome in ("done", "failed") and step in self._began:
                seconds = (workflow.now() - self._began.pop(step)).total_seconds()
                self._of().observe(metrics.STEP_SECONDS, seconds, step=step, outcome=outcome)
            elif outcome in UNDONE:
                self._of().count(metrics.COMPENSATIONS, step=step, outcome=UNDONE[outcome])
        except Exception:
            workflow.logger.exception("recording the step %s in the metrics failed", step)

    def status(self, status: OrderStatus, reason_code: str | None) -> None:
        try:
            if status == OrderStatus.REJECTED:
                self._of().count(metrics.ORDERS_REJECTED, reason=reason_code or "unknown")
            elif (counter := STATUS_COUNTERS.get(status)) is not None:
                self._of().count(counter)
        except Exception:
            workflow.logger.exception("recording the status %s in the metrics failed", status)

    def _of(self) -> TemporalMeter:
        if self._meter is None:
            self._meter = TemporalMeter(workflow.metric_meter())
        return self._meter
