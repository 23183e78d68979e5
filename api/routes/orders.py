"""Placing, reading and cancelling orders."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from api.deps import SagasDep, SettingsDep
from api.schemas import CancelRequest, OrderCreate, OrderPublic, Problem
from contracts.saga import PlaceOrder

router = APIRouter(prefix="/orders", tags=["orders"])

# Fixed, so an Idempotency-Key maps to the same order id in every API process, forever.
IDEMPOTENCY_NAMESPACE = uuid.UUID("7d3c4a52-5f0e-4b5e-9a6c-2f1e8d9b0c11")

IdempotencyKey = Annotated[str | None, Header(min_length=1, max_length=200)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem}}
REFUSED: dict[int | str, dict[str, Any]] = {404: {"model": Problem}, 409: {"model": Problem}}


def order_id_for(customer_id: str, idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return uuid.uuid4().hex
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{customer_id}:{idempotency_key}").hex


@router.post("", status_code=202, response_model=OrderPublic, responses={409: {"model": Problem}})
async def create_order(
    order: OrderCreate,
    response: Response,
    sagas: SagasDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
    wait: Annotated[bool, Query(description="answer with the outcome when it comes")] = False,
    timeout: Annotated[float | None, Query(gt=0, description="seconds to wait at most")] = None,
) -> OrderPublic:
    """Place an order: start its saga (once per Idempotency-Key); 202, or 200 with the outcome."""
    order_id = order_id_for(order.customer_id, idempotency_key)
    place = PlaceOrder(order_id=order_id, timeouts=settings.saga_timeouts, **order.model_dump())
    await sagas.start(place, order.fingerprint())
    response.headers["Location"] = f"/orders/{order_id}"
    if wait:
        seconds = min(timeout or settings.max_wait_seconds, settings.max_wait_seconds)
        if (outcome := await sagas.wait(order_id, seconds)) is not None:
            response.status_code = status.HTTP_200_OK
            return OrderPublic.of(outcome)
    return OrderPublic.of(await sagas.state(order_id))


@router.get("/{order_id}", response_model=OrderPublic, responses=NOT_FOUND)
async def read_order(order_id: str, sagas: SagasDep) -> OrderPublic:
    """Read an order: its status, the reason it ended so, and its saga's step log."""
    return OrderPublic.of(await sagas.state(order_id))


@router.post("/{order_id}/cancel", response_model=OrderPublic, responses=REFUSED)
async def cancel_order(
    order_id: str, sagas: SagasDep, request: CancelRequest | None = None
) -> OrderPublic:
    """Cancel an order before it is approved; refused (409) once it is."""
    reason = (request or CancelRequest()).reason
    return OrderPublic.of(await sagas.cancel(order_id, reason))


@router.post("/{order_id}/retry-compensation", response_model=OrderPublic, responses=REFUSED)
async def retry_compensation(order_id: str, sagas: SagasDep) -> OrderPublic:
    """Operator: retry the step of an order that NEEDS_ATTENTION."""
    return OrderPublic.of(await sagas.retry_compensation(order_id))
