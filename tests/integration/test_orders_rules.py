"""The orders database's rules on SQLite and PostgreSQL: every final status recorded with its
event, tombstones for orders closed before they were created, and an order id placed once."""

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ordersaga.contracts.orders import OrderLine
from ordersaga.contracts.rejections import Rejected, RejectionCode
from ordersaga.database.migrated import migrated_database
from ordersaga.services.orders import MIGRATIONS, repository
from ordersaga.services.orders.commands import CloseOrder, CreateOrder
from ordersaga.services.orders.models import Order
from ordersaga.services.orders.repository import TABLES
from tests.conftest import DatabaseFactory

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(database_url_factory: DatabaseFactory) -> AsyncIterator[Sessions]:
    async with migrated_database(await database_url_factory.new_url("orders"), MIGRATIONS) as made:
        yield made


def an_order(saga_id: str | None = "saga-1") -> CreateOrder:
    return CreateOrder(
        order_id=uuid.uuid4().hex,
        customer_id="alice",
        items=[OrderLine(sku="SKU-42", quantity=2)],
        payment_method="card-4242",
        saga_id=saga_id,
    )


def closing(order: CreateOrder, status: str = "CANCELLED") -> CloseOrder:
    return CloseOrder.model_validate(
        {**order.model_dump(), "status": status, "reason": "changed my mind"}
    )


async def row(sessions: Sessions, order_id: str) -> Order | None:
    async with sessions() as session:
        return await session.get(Order, order_id)


async def events(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        kinds = await session.scalars(select(TABLES.events.c.kind).order_by(TABLES.events.c.seq))
        return list(kinds)


async def test_an_order_goes_pending_approved_completed_with_an_event_each(
    sessions: Sessions,
) -> None:
    order = an_order()

    await repository.create_pending(sessions, order)
    await repository.approve(sessions, order.order_id, 3780)
    assert await repository.complete(sessions, order.order_id)
    assert not await repository.complete(sessions, order.order_id)  # a retry changes nothing

    stored = await row(sessions, order.order_id)
    assert stored is not None and (stored.status, stored.total_cents) == ("COMPLETED", 3780)
    assert await events(sessions) == ["OrderPlaced", "OrderApproved", "OrderCompleted"]


async def test_closing_an_order_never_created_leaves_a_tombstone_a_late_create_respects(
    sessions: Sessions,
) -> None:
    order = an_order()

    assert await repository.close(sessions, closing(order))
    assert not await repository.create_pending(sessions, order)  # the stalled attempt commits

    stored = await row(sessions, order.order_id)
    assert stored is not None and stored.status == "CANCELLED"
    assert await events(sessions) == ["OrderClosed"]


async def test_the_same_order_id_placed_by_another_saga_is_refused(sessions: Sessions) -> None:
    order = an_order(saga_id="saga-1")
    await repository.create_pending(sessions, order)

    assert not await repository.create_pending(sessions, order)  # its own saga, retried
    with pytest.raises(Rejected) as refused:
        await repository.create_pending(sessions, order.model_copy(update={"saga_id": "saga-2"}))

    assert refused.value.code == RejectionCode.DUPLICATE_ORDER
    assert "already placed" in refused.value.reason
    assert await events(sessions) == ["OrderPlaced"]


async def test_an_order_approved_by_a_lost_task_can_still_be_cancelled(sessions: Sessions) -> None:
    """A lost workflow task may have run the approval; the retried one may take a cancel."""
    order = an_order()
    await repository.create_pending(sessions, order)
    await repository.approve(sessions, order.order_id, 100)

    assert await repository.close(sessions, closing(order))

    stored = await row(sessions, order.order_id)
    assert stored is not None and stored.status == "CANCELLED"


async def test_a_completed_order_cannot_be_closed(sessions: Sessions) -> None:
    order = an_order()
    await repository.create_pending(sessions, order)
    await repository.approve(sessions, order.order_id, 100)
    await repository.complete(sessions, order.order_id)

    with pytest.raises(Rejected) as refused:
        await repository.close(sessions, closing(order, "REJECTED"))

    assert refused.value.code == RejectionCode.ALREADY_COMMITTED
    stored = await row(sessions, order.order_id)
    assert stored is not None and stored.status == "COMPLETED"
