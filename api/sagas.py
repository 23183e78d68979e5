"""The API's door to the sagas: start one, read it, wait for it, cancel it, retry it.

`OrderGateway` is a protocol, so route tests use a fake; `TemporalOrders` is the real one.
Every wait is bounded: an HTTP answer never waits longer than the caller's timeout, it says
how far the saga got instead (`Outcome.settled` is False).
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import OrderNotFound, Refused, Unavailable
from ordersaga.contracts.orders import OrderStatus
from ordersaga.contracts.saga import CancelOrder, PlaceOrder, SagaState
from ordersaga.temporal import CUSTOMER_ID, ORDER_STATUS, ORDER_TOTAL, workflow_id
from workflows.order_saga import OrderSaga

FINGERPRINT = "request_fingerprint"
ACCEPTED = WorkflowUpdateStage.ACCEPTED


@dataclass(frozen=True)
class Outcome:
    """The saga's state, and whether what was asked of it has finished."""

    state: SagaState
    settled: bool


class OrderGateway(Protocol):
    async def start(self, order: PlaceOrder, fingerprint: str, *, may_exist: bool) -> SagaState:
        """Start the saga once; `may_exist`: an earlier request may have started it."""
        ...

    async def state(self, order_id: str) -> SagaState: ...
    async def customer_of(self, order_id: str) -> str:
        """Whose order it is (without asking a worker)."""
        ...

    async def wait(self, order_id: str, seconds: float) -> Outcome: ...
    async def cancel(self, order_id: str, reason: str, seconds: float) -> Outcome: ...
    async def retry_compensation(self, order_id: str, seconds: float) -> Outcome: ...
    async def ready(self) -> bool: ...


class TemporalOrders:
    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    async def start(self, order: PlaceOrder, fingerprint: str, *, may_exist: bool) -> SagaState:
        try:
            await self._client.start_workflow(
                OrderSaga.run,
                order,
                id=workflow_id(order.order_id),
                task_queue=self._task_queue,
                # A concurrent request with the same key joins the running saga...
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                # ...and one after it has finished never starts a second one.
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                memo={FINGERPRINT: fingerprint},
                search_attributes=_search_attributes(order),
                static_summary=_summary(order),
                # No eager start: it needs a worker in this process, and the API runs none
                # (docs/performance.md, "Eager start").
            )
        except WorkflowAlreadyStartedError:
            pass  # finished already: the key was used before
        if not may_exist:
            return SagaState(
                order_id=order.order_id, customer_id=order.customer_id, status=OrderStatus.PENDING
            )
        description = await self._handle(order.order_id).describe()
        if await description.memo_value(FINGERPRINT, default=fingerprint) != fingerprint:
            raise Refused("this Idempotency-Key was used for a different order request")
        return _state_from(description, order)

    async def state(self, order_id: str) -> SagaState:
        try:
            return await self._handle(order_id).query(OrderSaga.state)
        except RPCError as error:
            raise _not_found_or(error, order_id) from None

    async def customer_of(self, order_id: str) -> str:
        try:
            description = await self._handle(order_id).describe()
        except RPCError as error:
            raise _not_found_or(error, order_id) from None
        return description.typed_search_attributes.get(CUSTOMER_ID) or ""

    async def wait(self, order_id: str, seconds: float) -> Outcome:
        try:
            return Outcome(await asyncio.wait_for(self._handle(order_id).result(), seconds), True)
        except TimeoutError:
            return Outcome(await self.state(order_id), settled=False)
        except WorkflowFailureError:  # cancelled from outside: the query still tells the story
            return Outcome(await self.state(order_id), settled=True)

    async def cancel(self, order_id: str, reason: str, seconds: float) -> Outcome:
        handle, request = self._handle(order_id), CancelOrder(reason=reason)
        return await self._update(
            order_id,
            lambda: handle.start_update(OrderSaga.cancel, request, wait_for_stage=ACCEPTED),
            seconds,
        )

    async def retry_compensation(self, order_id: str, seconds: float) -> Outcome:
        handle = self._handle(order_id)
        return await self._update(
            order_id,
            lambda: handle.start_update(OrderSaga.retry_compensation, wait_for_stage=ACCEPTED),
            seconds,
        )

    async def _update(
        self,
        order_id: str,
        start: Callable[[], Awaitable[WorkflowUpdateHandle[SagaState]]],
        seconds: float,
    ) -> Outcome:
        """Send an update; refused (409) if its validator says no, bounded by `seconds`."""
        accepted: WorkflowUpdateHandle[SagaState] | None = None
        try:
            async with asyncio.timeout(seconds):
                accepted = await start()
                return Outcome(await accepted.result(), settled=True)
        except WorkflowUpdateFailedError as error:
            raise Refused(str(error.cause)) from None
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            if accepted is None:
                raise _no_answer(order_id) from None
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            raise await self._finished(order_id) from None
        return Outcome(await self.state(order_id), settled=False)

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


def _search_attributes(order: PlaceOrder) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(CUSTOMER_ID, order.customer_id),
            SearchAttributePair(ORDER_STATUS, OrderStatus.PENDING.value),
        ]
    )


def _summary(order: PlaceOrder) -> str:
    lines = ", ".join(f"{line.quantity} x {line.sku}" for line in order.items)
    return f"Order {order.order_id} for {order.customer_id}: {lines}"


def _state_from(description: WorkflowExecutionDescription, order: PlaceOrder) -> SagaState:
    """The saga's status as its search attributes tell it: no worker needs to answer."""
    attributes = description.typed_search_attributes
    total = attributes.get(ORDER_TOTAL)
    return SagaState(
        order_id=order.order_id,
        customer_id=order.customer_id,
        status=OrderStatus(attributes.get(ORDER_STATUS) or OrderStatus.PENDING),
        total_cents=None if total is None else round(total * 100),
    )


def _no_answer(order_id: str) -> Unavailable:
    return Unavailable(
        f"order {order_id} did not answer in time; the request may still take effect"
    )


def _not_found_or(error: RPCError, order_id: str) -> Exception:
    return OrderNotFound(order_id) if error.status == RPCStatusCode.NOT_FOUND else error
