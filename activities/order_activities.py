"""Activities that write the orders database: create, approve, close."""

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.inputs import ApproveOrder, CloseOrder
from contracts.saga import PlaceOrder
from orders import repository


class OrderActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], on_commit: Callable[[], None]
    ) -> None:
        """`on_commit` wakes the outbox relay after a change committed."""
        self._sessions = sessions
        self._on_commit = on_commit

    @activity.defn(name="create_order")
    async def create_order(self, order: PlaceOrder) -> None:
        if await repository.create_pending(self._sessions, order):
            self._on_commit()

    @activity.defn(name="approve_order")
    async def approve_order(self, request: ApproveOrder) -> None:
        if await repository.approve(self._sessions, request.order_id, request.total_cents):
            self._on_commit()

    @activity.defn(name="close_order")
    async def close_order(self, request: CloseOrder) -> None:
        if await repository.close(self._sessions, request.order_id, request.status, request.reason):
            self._on_commit()
