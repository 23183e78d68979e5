"""Reading orders from the read model: one order with its timeline, or a filtered, searchable,
cursor-paged list. Each answer says the positions it reflects; an accepted order the view does
not hold yet is answered from its saga (`as_of.source: saga`), never a 404."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.auth import AUTH_ERRORS, Caller
from api.consistency import CaughtUp
from api.deps import OrdersDep, ReadModelDep
from api.errors import BadRequest, OrderNotFound
from api.routes.orders import OrderId
from api.schemas import Problem
from ordersaga.contracts.orders import OrderStatus
from ordersaga.contracts.saga import SagaState
from ordersaga.contracts.views import AsOf, OrderFilter, OrderPage, OrderView
from ordersaga.projector.reads import BadCursor, NotServing
from ordersaga.telemetry.logs import bind_order

router = APIRouter(prefix="/orders", tags=["orders"])

READ_ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    404: {"model": Problem},
    503: {"model": Problem},
}


@router.get(
    "/{order_id}",
    summary="Read an order",
    operation_id="readOrder",
    response_model=OrderView,
    responses=READ_ERRORS,
)
async def read_order(
    order_id: OrderId, read_model: ReadModelDep, orders: OrdersDep, caller: Caller, _: CaughtUp
) -> OrderView:
    """The order as the read model holds it: status, lines, totals, reservation and payment,
    the reason, and the timeline of every event from every service."""
    bind_order(order_id=order_id)
    try:
        found = await read_model.order(order_id)
    except NotServing:  # the projector is still filling the read model
        found = None
    if found is None:
        found = _from_saga(await orders.state(order_id))  # 404 only if no saga has it either
    if not caller.may_see(found.customer_id):
        raise OrderNotFound(order_id)  # another customer's order is not theirs to know of
    return found


@router.get(
    "",
    summary="List and search orders",
    operation_id="listOrders",
    response_model=OrderPage,
    responses=READ_ERRORS,
)
async def list_orders(
    read_model: ReadModelDep,
    caller: Caller,
    _: CaughtUp,
    customer_id: Annotated[str | None, Query(max_length=100)] = None,
    status: OrderStatus | None = None,
    sku: Annotated[str | None, Query(pattern=r"^[A-Z0-9][A-Z0-9-]{0,63}$")] = None,
    placed_after: datetime | None = None,
    placed_before: datetime | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200, description="full text")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> OrderPage:
    """Newest first. `next_cursor` fetches the next page with the same filters. A customer's key
    lists that customer's orders only."""
    if not caller.is_operator:
        customer_id = caller.customer_id
    found = OrderFilter(
        customer_id=customer_id, status=status.value if status else None, sku=sku,
        placed_after=placed_after, placed_before=placed_before, q=q, limit=limit, cursor=cursor,
    )  # fmt: skip
    try:
        return await read_model.orders(found)
    except BadCursor as error:
        raise BadRequest("query", "cursor", str(error)) from None


def _from_saga(state: SagaState) -> OrderView:
    return OrderView(
        order_id=state.order_id, customer_id=state.customer_id, status=state.status.value,
        reason=state.reason, lines=[], total_cents=state.total_cents, placed_at=None,
        updated_at=None, reservation=None, payment=None, as_of=AsOf(source="saga"),
    )  # fmt: skip
