"""What a saga shows while it runs: its step log, its search attributes, its current details.

A base class of OrderSaga, kept apart so the saga's decisions read on their own.
"""

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from contracts.orders import OrderStatus
    from contracts.saga import PlaceOrder, SagaState, SagaTimeouts, StepRecord
    from workflows import search_attributes


class SagaRecord:
    _order: PlaceOrder
    _state: SagaState
    _step: str

    @property
    def _timeouts(self) -> SagaTimeouts:
        return self._order.timeouts

    def _log(self, step: str, outcome: Any, detail: str) -> None:
        self._state.steps.append(
            StepRecord(step=step, outcome=outcome, detail=detail, at=workflow.now())
        )

    def _set_status(self, status: OrderStatus, reason_code: str | None = None) -> None:
        self._state.status = status
        updates: list[SearchAttributeUpdate[Any]] = [
            search_attributes.CUSTOMER_ID.value_set(self._order.customer_id),
            search_attributes.ORDER_STATUS.value_set(status.value),
        ]
        if self._state.total_cents is not None:
            updates.append(search_attributes.ORDER_TOTAL.value_set(self._state.total_cents / 100))
        if reason_code is not None:
            updates.append(search_attributes.REJECTION_REASON.value_set(reason_code))
        workflow.upsert_search_attributes(updates)
        workflow.set_current_details(self._details())

    def _details(self) -> str:
        state = self._state
        total = f" · {money(state.total_cents)}" if state.total_cents is not None else ""
        reason = f"\n\nreason: {state.reason}" if state.reason else ""
        return f"**{state.status.value}** at step `{self._step}`{total}{reason}"


def money(cents: int) -> str:
    return f"{cents / 100:.2f}"
