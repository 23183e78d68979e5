"""Changes to an order, each in one transaction with the event it produces.

Each change is idempotent by the order's state, so a retried activity repeats nothing: creating
an order its saga created, approving an approved one, completing a completed one or closing a
closed one does nothing. Closing an order that was never created leaves a tombstone, so a
create that arrives late (a stalled attempt) cannot bring it back as PENDING.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.events import OrderApproved, OrderClosed, OrderCompleted, OrderPlaced
from ordersaga.contracts.rejections import Rejected, RejectionCode
from ordersaga.database.engine import Sessions
from ordersaga.database.event_log import append_events
from ordersaga.database.messaging_tables import messaging_tables
from ordersaga.services.orders.commands import CloseOrder, CreateOrder
from ordersaga.services.orders.models import Base

TABLES = messaging_tables(Base.metadata)

CLOSED = ("REJECTED", "CANCELLED")

# Built once and bound per call (a saga step's hot path, as in the services' rules): each
# change is one conditional statement, and only a change that finds nothing to do looks again.
_ORDERS = Base.metadata.tables["orders"]
_ORDER_OF = select(_ORDERS).where(_ORDERS.c.order_id == bindparam("of_order"))
_ADD_ORDER = _ORDERS.insert()
_APPROVE = (
    update(_ORDERS)
    .where(_ORDERS.c.order_id == bindparam("of_order"), _ORDERS.c.status == "PENDING")
    .values(
        status="APPROVED", reason=None, total_cents=bindparam("total"), updated_at=bindparam("now")
    )
    .returning(_ORDERS.c.order_id)
)
_COMPLETE = (
    update(_ORDERS)
    .where(_ORDERS.c.order_id == bindparam("of_order"), _ORDERS.c.status == "APPROVED")
    .values(status="COMPLETED", reason=None, updated_at=bindparam("now"))
    .returning(_ORDERS.c.total_cents)
)
_CLOSE = (
    update(_ORDERS)
    .where(_ORDERS.c.order_id == bindparam("of_order"))
    .values(status=bindparam("new_status"), reason=bindparam("why"), updated_at=bindparam("now"))
)


async def create_pending(sessions: Sessions, order: CreateOrder) -> bool:
    """Insert the order PENDING; False if its saga had already (or a tombstone is there)."""
    async with sessions() as session, session.begin():
        existing = await _order_of(session, order.order_id)
        if existing is not None:
            if order.saga_id is not None and existing.saga_id != order.saga_id:
                raise _placed_before(existing)
            return False
        await session.execute(
            _ADD_ORDER, _row(order.order_id, order.customer_id, "PENDING", order.saga_id, order)
        )
        placed = OrderPlaced(
            order_id=order.order_id,
            customer_id=order.customer_id,
            items=order.items,
            payment_method=order.payment_method,
        )
        await append_events(session, TABLES, [placed])
        return True


async def approve(sessions: Sessions, order_id: str, total_cents: int) -> bool:
    async with sessions() as session, session.begin():
        approving = {"of_order": order_id, "total": total_cents, "now": datetime.now(UTC)}
        if (await session.execute(_APPROVE, approving)).one_or_none() is None:
            status = await _status_of(session, order_id)
            if status in ("APPROVED", "COMPLETED"):
                return False
            raise ValueError(f"order {order_id} is {status}; only PENDING can be approved")
        await append_events(
            session, TABLES, [OrderApproved(order_id=order_id, total_cents=total_cents)]
        )
        return True


async def complete(sessions: Sessions, order_id: str) -> bool:
    """Mark an APPROVED order COMPLETED: paid for and its stock sold."""
    async with sessions() as session, session.begin():
        completing = {"of_order": order_id, "now": datetime.now(UTC)}
        done = (await session.execute(_COMPLETE, completing)).one_or_none()
        if done is None:
            status = await _status_of(session, order_id)
            if status == "COMPLETED":
                return False
            raise ValueError(f"order {order_id} is {status}; only APPROVED can complete")
        completed = OrderCompleted(order_id=order_id, total_cents=done.total_cents or 0)
        await append_events(session, TABLES, [completed])
        return True


async def close(sessions: Sessions, request: CloseOrder) -> bool:
    """Mark an order REJECTED or CANCELLED; the compensation of creating it."""
    async with sessions() as session, session.begin():
        order = await _order_of(session, request.order_id)
        if order is not None and order.status in CLOSED:
            return False
        if order is not None and order.status == "COMPLETED":
            raise Rejected(
                RejectionCode.ALREADY_COMMITTED,
                f"order {request.order_id} is COMPLETED and cannot be {request.status}",
            )
        if order is None:
            tombstone = _row(request.order_id, request.customer_id, request.status, request.saga_id)
            await session.execute(_ADD_ORDER, {**tombstone, "reason": request.reason})
        else:
            closing = {"of_order": request.order_id, "new_status": request.status,
                       "why": request.reason, "now": datetime.now(UTC)}  # fmt: skip
            await session.execute(_CLOSE, closing)
        closed = OrderClosed(
            order_id=request.order_id, status=request.status, reason=request.reason
        )
        await append_events(session, TABLES, [closed])
        return True


def _placed_before(existing: Row[Any]) -> Rejected:
    placed = existing.created_at.date().isoformat()
    return Rejected(
        RejectionCode.DUPLICATE_ORDER,
        f"order {existing.order_id} was already placed on {placed} (it is {existing.status}); "
        "an Idempotency-Key names one order for good",
    )


def _row(
    order_id: str,
    customer_id: str,
    status: str,
    saga_id: str | None,
    order: CreateOrder | None = None,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "status": status,
        "reason": None,
        "items": [line.model_dump() for line in order.items] if order else [],
        "payment_method": order.payment_method if order else "",
        "total_cents": None,
        "saga_id": saga_id,
        "created_at": now,
        "updated_at": now,
    }


async def _order_of(session: AsyncSession, order_id: str) -> Row[Any] | None:
    return (await session.execute(_ORDER_OF, {"of_order": order_id})).one_or_none()


async def _status_of(session: AsyncSession, order_id: str) -> str:
    order = await _order_of(session, order_id)
    if order is None:
        raise LookupError(f"order {order_id} does not exist")
    return str(order.status)
