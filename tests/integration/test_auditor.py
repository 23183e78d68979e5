"""The auditor reads every service through its interfaces: a clean run of mixed orders shows
no violation, and violations planted by hand in the services' databases are each found."""

from datetime import UTC, datetime

from sqlalchemy import update

from ordersaga.auditor import Audit, temporal_sagas
from ordersaga.projector.wiring import connected_feeds
from ordersaga.services.inventory.models import Reservation
from ordersaga.services.orders.models import Order
from ordersaga.services.payment.models import Account
from ordersaga.settings import ProcessSettings
from tests.support.system import SagaSystem

MIXED = [
    {"customer": "alice", "items": {"SKU-42": 2}},
    {"customer": "mallory", "items": {"SKU-42": 1}},
    {"customer": "bob", "items": {"SKU-GONE": 1}},
    {"customer": "carol", "items": {"SKU-7": 1}},
]


def _settings(system: SagaSystem) -> ProcessSettings:
    return ProcessSettings(rabbitmq_url=system.urls["rabbitmq"], bus_prefix=system.topology.prefix)


async def test_a_clean_run_shows_no_violation_and_planted_ones_are_each_found(
    system: SagaSystem,
) -> None:
    async with connected_feeds(_settings(system), "audit-test") as feeds:
        audit = Audit(feeds, temporal_sagas(system.client, system.task_queue))
        before = await audit.baseline()
        placed = [await system.place(**order) for order in MIXED]
        assert await audit.run(before) == []

        completed = placed[0].order_id
        async with system._sessions("inventory")() as session, session.begin():
            await session.execute(
                update(Reservation)
                .where(Reservation.order_id == completed)
                .values(status="RESERVED")
            )
        async with system._sessions("payment")() as session, session.begin():
            bob = Account.customer_id == "bob"
            await session.execute(
                update(Account).where(bob).values(held_cents=Account.held_cents + 100)
            )
        now = datetime.now(UTC)
        async with system._sessions("orders")() as session, session.begin():
            session.add(Order(order_id="no-saga", customer_id="dave", status="COMPLETED",
                              items=[], payment_method="card", total_cents=100,
                              created_at=now, updated_at=now))  # fmt: skip
        found = {(v.rule, v.subject) for v in await audit.run(before)}
    assert found == {
        ("completed-sold", completed),
        ("stock-reserved", "SKU-42"),  # 2 reserved by a reservation, 0 on the SKU
        ("stock-on-hand", "SKU-42"),  # on hand fell by 2 with no sale to show for it
        ("money-held", "bob"),
        ("order-without-saga", "no-saga"),
        ("completed-sold", "no-saga"),
        ("completed-charged", "no-saga"),
    }
