"""Changes to an order, each in one transaction with the event it produces.

Each change is idempotent by the order's state, so a retried activity repeats nothing: creating
an order its saga created, approving an approved one, completing a completed one or closing a
closed one does nothing. Closing an order that was never created leaves a tombstone, so a
create that arrives late (a stalled attempt) cannot bring it back as PENDING.
"""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.events import OrderApproved, OrderClosed, OrderCompleted, OrderPlaced
from ordersaga.contracts.rejections import Rejected, RejectionCode
from ordersaga.database.engine import Sessions
from ordersaga.database.event_log import append_events
from ordersaga.database.messaging_tables import messaging_tables
from ordersaga.services.orders.commands import CloseOrder, CreateOrder
from ordersaga.services.orders.models import Base, Order

TABLES = messaging_tables(Base.metadata)

CLOSED = ("REJECTED", "CANCELLED")


async def create_pending(sessions: Sessions, order: CreateOrder) -> bool:
    """Insert the order PENDING; False if its saga had already (or a tombstone is there)."""
    async with sessions() as session, session.begin():
        existing = await session.get(Order, order.order_id)
        if existing is not None:
            if order.saga_id is not None and existing.saga_id != order.saga_id:
                raise _placed_before(existing)
            return False
        session.add(_row(order.order_id, order.customer_id, "PENDING", order.saga_id, order))
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
        order = await _load(session, order_id)
        if order.status in ("APPROVED", "COMPLETED"):
            return False
        if order.status != "PENDING":
            raise ValueError(f"order {order_id} is {order.status}; only PENDING can be approved")
        _set(order, "APPROVED", None)
        order.total_cents = total_cents
        await append_events(
            session, TABLES, [OrderApproved(order_id=order_id, total_cents=total_cents)]
        )
        return True


async def complete(sessions: Sessions, order_id: str) -> bool:
    """Mark an APPROVED order COMPLETED: paid for and its stock sold."""
    async with sessions() as session, session.begin():
        order = await _load(session, order_id)
        if order.status == "COMPLETED":
            return False
        if order.status != "APPROVED":
            raise ValueError(f"order {order_id} is {order.status}; only APPROVED can complete")
        _set(order, "COMPLETED", None)
        completed = OrderCompleted(order_id=order_id, total_cents=order.total_cents or 0)
        await append_events(session, TABLES, [completed])
        return True


async def close(sessions: Sessions, request: CloseOrder) -> bool:
    """Mark an order REJECTED or CANCELLED; the compensation of creating it."""
    async with sessions() as session, session.begin():
        order = await session.get(Order, request.order_id)
        if order is not None and order.status in CLOSED:
            return False
        if order is not None and order.status == "COMPLETED":
            raise Rejected(
                RejectionCode.ALREADY_COMMITTED,
                f"order {request.order_id} is COMPLETED and cannot be {request.status}",
            )
        if order is None:
            order = _row(request.order_id, request.customer_id, request.status, request.saga_id)
            session.add(order)
        _set(order, request.status, request.reason)
        closed = OrderClosed(
            order_id=request.order_id, status=request.status, reason=request.reason
        )
        await append_events(session, TABLES, [closed])
        return True


def _placed_before(existing: Order) -> Rejected:
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
) -> Order:
    now = datetime.now(UTC)
    return Order(
        order_id=order_id,
        customer_id=customer_id,
        status=status,
        items=[line.model_dump() for line in order.items] if order else [],
        payment_method=order.payment_method if order else "",
        saga_id=saga_id,
        created_at=now,
        updated_at=now,
    )


async def _load(session: AsyncSession, order_id: str) -> Order:
    order = await session.get(Order, order_id)
    if order is None:
        raise LookupError(f"order {order_id} does not exist")
    return order


def _set(order: Order, status: str, reason: str | None) -> None:
    order.status = status
    order.reason = reason
    order.updated_at = datetime.now(UTC)
