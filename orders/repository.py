"""Changes to an order, each in one transaction with the event it produces.

Each change is idempotent by the order's state, so a retried activity repeats nothing: creating
an order that exists, approving an approved one or closing a closed one does nothing.
"""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.events import OrderApproved, OrderClosed, OrderPlaced
from contracts.saga import PlaceOrder
from orders.models import TABLES, Order
from persistence.event_log import append_events

Sessions = async_sessionmaker[AsyncSession]


async def create_pending(sessions: Sessions, order: PlaceOrder) -> bool:
    async with sessions() as session, session.begin():
        if await session.get(Order, order.order_id) is not None:
            return False
        now = datetime.now(UTC)
        session.add(
            Order(
                order_id=order.order_id,
                customer_id=order.customer_id,
                status="PENDING",
                items=[line.model_dump() for line in order.items],
                payment_method=order.payment_method,
                created_at=now,
                updated_at=now,
            )
        )
        await append_events(
            session,
            TABLES,
            [
                OrderPlaced(
                    order_id=order.order_id,
                    customer_id=order.customer_id,
                    items=order.items,
                    payment_method=order.payment_method,
                )
            ],
        )
        return True


async def approve(sessions: Sessions, order_id: str, total_cents: int) -> bool:
    async with sessions() as session, session.begin():
        order = await _load(session, order_id)
        if order.status == "APPROVED":
            return False
        if order.status != "PENDING":
            raise ValueError(f"order {order_id} is {order.status}; only PENDING can be approved")
        _set(order, "APPROVED", None)
        order.total_cents = total_cents
        await append_events(
            session, TABLES, [OrderApproved(order_id=order_id, total_cents=total_cents)]
        )
        return True


async def close(sessions: Sessions, order_id: str, status: str, reason: str) -> bool:
    """Mark an order REJECTED or CANCELLED; the compensation of creating it."""
    async with sessions() as session, session.begin():
        order = await session.get(Order, order_id)
        if order is None or order.status in ("REJECTED", "CANCELLED"):
            return False
        _set(order, status, reason)
        await append_events(
            session,
            TABLES,
            [OrderClosed(order_id=order_id, status=status, reason=reason)],
        )
        return True


async def _load(session: AsyncSession, order_id: str) -> Order:
    order = await session.get(Order, order_id)
    if order is None:
        raise LookupError(f"order {order_id} does not exist")
    return order


def _set(order: Order, status: str, reason: str | None) -> None:
    order.status = status
    order.reason = reason
    order.updated_at = datetime.now(UTC)
