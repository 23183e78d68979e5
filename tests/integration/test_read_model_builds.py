"""Builds of the read model: a rebuild backfilled from the data the services hold equals the
build that followed every event, and the switch to it fails no read; reconcile finds drift
and repairs it; a standby projector takes over from a dead one."""

import asyncio
from typing import Any

from sqlalchemy import select, update

from ordersaga.projector import catalog
from ordersaga.projector.reconcile import reconcile
from ordersaga.projector.views import views
from tests.support.read_model import ProjectorHarness
from tests.support.system import SagaSystem
from tests.support.waiting import eventually

SHAPES = [
    {"customer": "alice", "items": {"SKU-42": 2}},
    {"customer": "mallory", "items": {"SKU-7": 1}},
    {"customer": "bob", "items": {"SKU-GONE": 1}},
    {"customer": "carol", "items": {"SKU-7": 1}},
]
MOMENTS = ("updated_at", "placed_at")


async def test_a_rebuild_from_existing_data_equals_the_incremental_build_and_switches_under_reads(
    system: SagaSystem, projector: ProjectorHarness
) -> None:
    for order in SHAPES:
        await system.place(**order)
    await projector.caught_up()
    order_id = (await system.place()).order_id
    reads = Reads(projector, order_id)
    reading = asyncio.create_task(reads.run())
    async with projector.writer() as session, session.begin():
        build = await catalog.request_build(session)
    for order in SHAPES:  # orders go on during the rebuild
        await system.place(**order)

    async def switched() -> bool:
        async with projector.sessions() as session:
            return await catalog.serving_build(session) == build

    await eventually(switched)
    await projector.caught_up()
    reads.done = True
    await reading
    assert reads.failures == [] and reads.count > 0
    assert reads.went_backwards == []
    assert await _rows(projector, 1) == await _rows(projector, build)


async def test_reconcile_finds_drift_planted_by_hand_and_repair_removes_it(
    system: SagaSystem, projector: ProjectorHarness
) -> None:
    placed = [await system.place(**order) for order in SHAPES]
    await projector.caught_up()
    v = await projector.serving()
    async with projector.sessions() as session, session.begin():
        await session.execute(
            update(v.products).where(v.products.c.sku == "SKU-42").values(on_hand=5)
        )
        first = v.orders.c.order_id == placed[0].order_id
        await session.execute(update(v.orders).where(first).values(status="PENDING", payment=None))
    async with projector.feeds() as feeds:
        drift = await reconcile(projector.writer, feeds)
        found = {(d.table, d.key, d.column) for d in drift}
        assert found == {
            ("products", "SKU-42", "on_hand"),
            ("orders", placed[0].order_id, "status"),
            ("orders", placed[0].order_id, "payment"),
        }
        assert await reconcile(projector.writer, feeds, repair=True) == []
        assert await reconcile(projector.writer, feeds) == []
    view = await projector.read_model().order(placed[0].order_id)
    assert view is not None and (view.status, view.payment) == ("COMPLETED", "CAPTURED")


async def test_a_standby_projector_takes_over_when_the_active_one_stops(
    system: SagaSystem, projector: ProjectorHarness
) -> None:
    await projector.caught_up()
    standby = ProjectorHarness(system)
    await standby.start(lease_seconds=1.0)
    try:
        await projector.stop()  # its lease (3 s) runs out; the standby takes it
        placed = await system.place()

        async def shown() -> bool:
            view = await projector.read_model().order(placed.order_id)
            return view is not None and view.status == "COMPLETED"

        await eventually(shown, seconds=15)
    finally:
        await standby.close()


class Reads:
    """Reads an order and the products until told to stop; records what failed and whether a
    position ever went backwards."""

    def __init__(self, projector: ProjectorHarness, order_id: str) -> None:
        self.read_model, self.order_id = projector.read_model(), order_id
        self.failures: list[str] = []
        self.went_backwards: list[tuple[dict[str, int], dict[str, int]]] = []
        self.count, self.done = 0, False

    async def run(self) -> None:
        last: dict[str, int] = {}
        while not self.done:
            try:
                order = await self.read_model.order(self.order_id)
                products = await self.read_model.products()
            except Exception as error:  # noqa: BLE001 - any failure is the finding
                self.failures.append(repr(error))
                continue
            if order is None or not products.products:
                self.failures.append("an order or the products went missing")
            now = products.as_of.positions
            if any(now.get(s, 0) < n for s, n in last.items()):
                self.went_backwards.append((last, now))
            last, self.count = now, self.count + 1
            await asyncio.sleep(0.005)


async def _rows(projector: ProjectorHarness, build: int) -> dict[str, Any]:
    v = views(build)
    found = {}
    async with projector.sessions() as session:
        for table in (v.orders, v.products, v.customers, v.order_skus, v.timeline):
            rows = (await session.execute(select(table))).mappings().all()
            found[table.name.split("_", 1)[1]] = sorted(
                ({k: val for k, val in r.items() if k not in MOMENTS} for r in rows), key=repr
            )
    return found
