"""The orders database as the host serves it to readers: no commands (the saga's activities
write it, `repository.py`), but its feed, head and Snapshot like every service. The worker
answers these queries; it owns the database."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.orders import OrderLine
from ordersaga.contracts.snapshots import OrderRecord, OrdersState
from ordersaga.services.host.service import Service
from ordersaga.services.orders import MIGRATIONS
from ordersaga.services.orders.models import Base, Order


async def orders_state(session: AsyncSession) -> OrdersState:
    """Every order, tombstones included (a closed order with no items)."""
    orders = await session.scalars(select(Order).order_by(Order.order_id))
    return OrdersState(
        orders=[
            OrderRecord(
                order_id=o.order_id,
                customer_id=o.customer_id,
                status=o.status,
                reason=o.reason,
                items=[OrderLine.model_validate(line) for line in o.items],
                total_cents=o.total_cents,
                created_at=o.created_at,
                updated_at=o.updated_at,
            )
            for o in orders
        ]
    )


ORDERS = Service(
    name="orders",
    tables=Base.metadata,
    migrations=MIGRATIONS,
    rules={},
    state=orders_state,
)
