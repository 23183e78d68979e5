"""Placing, cancelling and repairing orders, and reading an order's live saga. Every write answer
carries a consistency token (the X-Consistency-Token header and `consistency_token`)."""

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response

from api.auth import AUTH_ERRORS, Caller, Operator, customer_of
from api.deps import OrdersDep, PositionsDep, SettingsDep
from api.errors import OrderNotFound, Refused
from api.positions import PositionsGateway, stamp
from api.sagas import OrderGateway, Outcome
from api.schemas import OrderCancel, OrderCreate, OrderPublic, Problem
from ordersaga.access import Principal
from ordersaga.contracts.rejections import RejectionCode
from ordersaga.contracts.saga import PlaceOrder
from ordersaga.telemetry.logs import bind_order
from ordersaga.temporal import workflow_id

router = APIRouter(prefix="/orders", tags=["orders"])


# Fixed, so an Idempotency-Key maps to the same order id in every API process, forever.
IDEMPOTENCY_NAMESPACE = uuid.UUID("7d3c4a52-5f0e-4b5e-9a6c-2f1e8d9b0c11")

IdempotencyKey = Annotated[
    str | None,
    Header(min_length=1, max_length=200, description="a retry with the same key is one order"),
]
OrderId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,100}$")]
Wait = Annotated[bool, Query(description="answer with the outcome when it comes in time")]
Timeout = Annotated[float | None, Query(gt=0, description="seconds to wait at most")]

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    404: {"model": Problem},
    503: {"model": Problem},
}
UNREADABLE: dict[str, Any] = {"model": Problem, "description": "the body is not JSON text"}
REFUSED: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    202: {"model": OrderPublic, "description": "accepted; still settling"},
    400: UNREADABLE,
    404: {"model": Problem},
    409: {"model": Problem},
    413: {"model": Problem},
    503: {"model": Problem},
}


def order_id_for(customer_id: str, idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return uuid.uuid4().hex
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{customer_id}:{idempotency_key}").hex


LINKS = {
    name: {"operationId": name, "parameters": {"order_id": "$response.body#/order_id"}}
    for name in ("readOrder", "readSaga", "cancelOrder")
}
"""What a client (and schemathesis' stateful run) can do next with the order it placed."""


@router.post(
    "",
    summary="Place an order",
    operation_id="placeOrder",
    status_code=202,
    response_model=OrderPublic,
    responses={
        200: {"model": OrderPublic, "description": "the outcome", "links": LINKS},
        202: {"description": "accepted; the saga runs", "links": LINKS},
        400: UNREADABLE,
        **AUTH_ERRORS,
        409: {"model": Problem},
        413: {"model": Problem},
        503: {"model": Problem},
    },
)
async def create_order(
    order: OrderCreate,
    caller: Caller,
    response: Response,
    orders: OrdersDep,
    settings: SettingsDep,
    positions: PositionsDep,
    idempotency_key: IdempotencyKey = None,
    wait: Wait = False,
    timeout: Timeout = None,
) -> OrderPublic:
    """Start the order's saga (once per Idempotency-Key): 202, or 200 with the outcome. The
    order is the caller's own (an operator names the customer)."""
    customer = customer_of(caller, order.customer_id)
    order = order.model_copy(update={"customer_id": customer})
    order_id = order_id_for(customer, idempotency_key)
    bind_order(order_id=order_id, workflow_id=workflow_id(order_id))
    place = PlaceOrder(order_id=order_id, timeouts=settings.saga_timeouts, **order.model_dump())
    starting = orders.start(place, order.fingerprint(), may_exist=idempotency_key is not None)
    response.headers["Location"] = f"/orders/{order_id}"
    if not wait:
        # Starting a saga commits nothing to the sources: the token of what they hold is read
        # while it starts, not after (the answer waits for the slower of the two, not both).
        state, token = await asyncio.gather(starting, stamp(response, positions))
        return OrderPublic.of(state).model_copy(update={"consistency_token": token})
    await starting
    seconds = min(timeout or settings.max_wait_seconds, settings.max_wait_seconds)
    outcome = await orders.wait(order_id, seconds)
    if outcome.state.reason_code == RejectionCode.DUPLICATE_ORDER:
        # Temporal forgot the first saga (retention); the orders database did not.
        raise Refused(outcome.state.reason or "this Idempotency-Key was used for another order")
    return await _tokened(response, positions, _answer(response, outcome))


@router.get(
    "/{order_id}/saga",
    summary="Read an order's saga",
    operation_id="readSaga",
    response_model=OrderPublic,
    responses=NOT_FOUND,
)
async def read_saga(order_id: OrderId, orders: OrdersDep, caller: Caller) -> OrderPublic:
    """The saga's live state: its status, the reason it ended so, its total and its step log."""
    bind_order(order_id=order_id, workflow_id=workflow_id(order_id))
    state = await orders.state(order_id)
    if not caller.may_see(state.customer_id):
        raise OrderNotFound(order_id)  # another customer's order is not theirs to know of
    return OrderPublic.of(state)


@router.post(
    "/{order_id}/cancel",
    summary="Cancel an order",
    operation_id="cancelOrder",
    response_model=OrderPublic,
    responses=REFUSED,
)
async def cancel_order(
    order_id: OrderId,
    response: Response,
    orders: OrdersDep,
    settings: SettingsDep,
    positions: PositionsDep,
    caller: Caller,
    body: OrderCancel | None = None,
) -> OrderPublic:
    """Cancel an order before it is approved (its steps are undone); 409 once it is."""
    bind_order(order_id=order_id, workflow_id=workflow_id(order_id))
    await _own(orders, caller, order_id)
    reason = (body or OrderCancel()).reason
    outcome = await orders.cancel(order_id, reason, settings.max_wait_seconds)
    return await _tokened(response, positions, _answer(response, outcome))


@router.post(
    "/{order_id}/retry-compensation",
    summary="Retry a stuck compensation",
    operation_id="retryCompensation",
    response_model=OrderPublic,
    responses=REFUSED,
)
async def retry_compensation(
    order_id: OrderId,
    response: Response,
    orders: OrdersDep,
    settings: SettingsDep,
    positions: PositionsDep,
    _: Operator,
) -> OrderPublic:
    """Operator: retry the compensation of an order that NEEDS_ATTENTION; 409 otherwise."""
    bind_order(order_id=order_id, workflow_id=workflow_id(order_id))
    outcome = await orders.retry_compensation(order_id, settings.max_wait_seconds)
    return await _tokened(response, positions, _answer(response, outcome))


async def _own(orders: OrderGateway, caller: Principal, order_id: str) -> None:
    """Refuse, as not found, another customer's order (an operator may act on any)."""
    if not caller.is_operator and not caller.may_see(await orders.customer_of(order_id)):
        raise OrderNotFound(order_id)


async def _tokened(
    response: Response, positions: PositionsGateway, answer: OrderPublic
) -> OrderPublic:
    """Add the consistency token: a read that sends it back sees this write's effects."""
    return answer.model_copy(update={"consistency_token": await stamp(response, positions)})


def _answer(response: Response, outcome: Outcome) -> OrderPublic:
    """200 when the saga finished what was asked in time; 202 with how far it got if not."""
    response.status_code = 200 if outcome.settled else 202
    return OrderPublic.of(outcome.state)
