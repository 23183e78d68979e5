"""The orders database as the host serves it to readers: no commands (the saga's activities
write it, `repository.py`), but its feed, head and Snapshot like every service. The worker
answers these queries; it owns the database."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ordersaga.contracts.snapshots import OrderRecord, OrdersState
from ordersaga.services.host.service import Service
from ordersaga.services.orders import MIGRATIONS
from ordersaga.services.orders.models import Base, Order


async def orders_state(session: AsyncSession) -> OrdersState:
    """Every order, tombstones included (a closed order with no items)."""
    orders = await session.scalars(select(Order).order_by(Order.order_id))
    return OrdersState(orders=[OrderRecord.model_validate(o, from_attributes=True) for o in orders])


ORDERS = Service(
    name="orders",
    tables=Base.metadata,
    migrations=MIGRATIONS,
    rules={},
    state=orders_state,
)
