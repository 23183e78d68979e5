"""The API's door to the sagas: start one, read its state, wait for it, cancel it.

A protocol, so route tests use a fake; `TemporalSagas` is the real one.
"""

import asyncio
from datetime import timedelta
from typing import Protocol

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import OrderNotFound, Refused
from contracts.saga import CancelOrder, PlaceOrder, SagaState
from workflows.client import workflow_id
from workflows.order_saga import OrderSaga
from workflows.search_attributes import CUSTOMER_ID, ORDER_STATUS

FINGERPRINT = "request_fingerprint"


class Sagas(Protocol):
    async def start(self, order: PlaceOrder, fingerprint: str) -> None: ...
    async def state(self, order_id: str) -> SagaState: ...
    async def wait(self, order_id: str, seconds: float) -> SagaState | None: ...
    async def cancel(self, order_id: str, reason: str) -> SagaState: ...
    async def retry_compensation(self, order_id: str) -> SagaState: ...
    async def ready(self) -> bool: ...


class TemporalSagas:
    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    async def start(self, order: PlaceOrder, fingerprint: str) -> None:
        """Start the order's saga, or find the one an earlier request with its key started."""
        try:
            await self._client.start_workflow(
                OrderSaga.run,
                order,
                id=workflow_id(order.order_id),
                task_queue=self._task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                memo={FINGERPRINT: fingerprint},
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(CUSTOMER_ID, order.customer_id),
                        SearchAttributePair(ORDER_STATUS, "PENDING"),
                    ]
                ),
                static_summary=_summary(order),
                request_eager_start=True,
            )
        except WorkflowAlreadyStartedError:
            pass  # finished already: the key was used before
        await self._same_request(order.order_id, fingerprint)

    async def _same_request(self, order_id: str, fingerprint: str) -> None:
        description = await self._handle(order_id).describe()
        if await description.memo_value(FINGERPRINT, default=fingerprint) != fingerprint:
            raise Refused("this Idempotency-Key was used for a different order request")

    async def state(self, order_id: str) -> SagaState:
        try:
            return await self._handle(order_id).query(OrderSaga.state)
        except RPCError as error:
            raise _not_found_or(error, order_id) from None

    async def wait(self, order_id: str, seconds: float) -> SagaState | None:
        try:
            return await asyncio.wait_for(self._handle(order_id).result(), seconds)
        except TimeoutError:
            return None
        except WorkflowFailureError:  # cancelled from outside: the query still tells the story
            return await self.state(order_id)

    async def cancel(self, order_id: str, reason: str) -> SagaState:
        return await self._update(order_id, OrderSaga.cancel, CancelOrder(reason=reason))

    async def retry_compensation(self, order_id: str) -> SagaState:
        return await self._update(order_id, OrderSaga.retry_compensation, None)

    async def _update(self, order_id: str, update: object, arg: object) -> SagaState:
        handle = self._handle(order_id)
        try:
            if arg is None:
                return await handle.execute_update(update)  # type: ignore[call-overload,no-any-return]
            return await handle.execute_update(update, arg)  # type: ignore[call-overload,no-any-return]
        except WorkflowUpdateFailedError as error:
            raise Refused(str(error.cause)) from None
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
        raise await self._finished(order_id)

    async def _finished(self, order_id: str) -> Exception:
        """An update to a closed saga: say how it ended, or that there is no such order."""
        try:
            description = await self._handle(order_id).describe()
        except RPCError as error:
            return _not_found_or(error, order_id)
        if description.status == WorkflowExecutionStatus.RUNNING:
            return Refused(f"order {order_id} is settling; try again")
        state = await self.state(order_id)
        return Refused(f"order {order_id} is already {state.status.value}")

    async def ready(self) -> bool:
        return await self._client.service_client.check_health(timeout=timedelta(seconds=2))

    def _handle(self, order_id: str) -> WorkflowHandle[OrderSaga, SagaState]:
        return self._client.get_workflow_handle_for(OrderSaga.run, workflow_id(order_id))


def _summary(order: PlaceOrder) -> str:
    items = ", ".join(f"{line.quantity} x {line.sku}" for line in order.items)
    return f"Order {order.order_id} for {order.customer_id}: {items}"


def _not_found_or(error: RPCError, order_id: str) -> Exception:
    return OrderNotFound(order_id) if error.status == RPCStatusCode.NOT_FOUND else error
