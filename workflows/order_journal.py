"""What an order's saga shows while it runs: its step log, its search attributes and its current
details in the Temporal UI, the state the `state` query returns, and its metrics
(saga_metrics.py)."""

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from ordersaga import temporal
    from ordersaga.contracts.orders import OrderStatus
    from ordersaga.contracts.saga import PlaceOrder, SagaState, StepOutcome, StepRecord
    from workflows.saga_metrics import SagaMetrics


class OrderJournal:
    def __init__(self, order: PlaceOrder) -> None:
        self.state = SagaState(
            order_id=order.order_id, customer_id=order.customer_id, status=OrderStatus.PENDING
        )
        self._step = "create-order"
        self._metrics = SagaMetrics()

    @property
    def status(self) -> str:
        return self.state.status.value

    def at(self, step: str) -> None:
        self._step = step
        self._metrics.step_began(step)

    def log(self, step: str, outcome: StepOutcome, detail: str) -> None:
        self.state.steps.append(
            StepRecord(step=step, outcome=outcome, detail=detail, at=workflow.now())
        )
        self._metrics.logged(step, outcome)

    def set_reason(self, reason: str) -> None:
        self.state.reason = reason

    def set_status(self, status: str, reason_code: str | None = None) -> None:
        state = self.state
        state.status = OrderStatus(status)
        updates: list[SearchAttributeUpdate[Any]] = [
            temporal.CUSTOMER_ID.value_set(state.customer_id),
            temporal.ORDER_STATUS.value_set(status),
        ]
        if state.total_cents is not None:
            updates.append(temporal.ORDER_TOTAL.value_set(state.total_cents / 100))
        if reason_code is not None:
            state.reason_code = reason_code
            updates.append(temporal.REJECTION_REASON.value_set(reason_code))
        workflow.upsert_search_attributes(updates)
        workflow.set_current_details(self._details())
        self._metrics.status(state.status, reason_code)

    def _details(self) -> str:
        state = self.state
        total = f" · {money(state.total_cents)}" if state.total_cents is not None else ""
        reason = f"\n\nreason: {state.reason}" if state.reason else ""
        return f"**{state.status.value}** at step `{self._step}`{total}{reason}"


def money(cents: int) -> str:
    return f"{cents / 100:.2f}"
