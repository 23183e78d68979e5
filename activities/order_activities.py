"""Activities that write the orders database: create, approve, complete, close."""

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.rejections import rejected
from ordersaga.contracts.rejections import Rejected
from ordersaga.services.orders import repository
from ordersaga.services.orders.commands import ApproveOrder, CloseOrder, CompleteOrder, CreateOrder


class OrderActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], on_commit: Callable[[], None]
    ) -> None:
        """`on_commit` wakes the outbox relay after a change committed."""
        self._sessions = sessions
        self._on_commit = on_commit

    @activity.defn(name="create_order")
    async def create_order(self, order: CreateOrder) -> None:
        await self._change(order.order_id, repository.create_pending(self._sessions, order))

    @activity.defn(name="approve_order")
    async def approve_order(self, request: ApproveOrder) -> None:
        approval = repository.approve(self._sessions, request.order_id, request.total_cents)
        await self._change(request.order_id, approval)

    @activity.defn(name="complete_order")
    async def complete_order(self, request: CompleteOrder) -> None:
        await self._change(request.order_id, repository.complete(self._sessions, request.order_id))

    @activity.defn(name="close_order")
    async def close_order(self, request: CloseOrder) -> None:
        await self._change(request.order_id, repository.close(self._sessions, request))

    async def _change(self, order_id: str, change: Awaitable[bool]) -> None:
        try:
            changed = await change
        except Rejected as rejection:
            raise rejected(order_id, rejection.code, rejection.reason) from None
        if changed:
            self._on_commit()
