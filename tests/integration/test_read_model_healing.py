"""The read model heals: messages purged or lost only delay it, poison events are set aside,
and a projector killed mid-batch loses and doubles nothing."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from aio_pika import connect

from ordersaga.contracts.events import OrderClosed, OrderPlaced, StockCommitted
from ordersaga.contracts.orders import OrderLine
from ordersaga.projector.status import status
from tests.support.read_model import ProjectorHarness
from tests.support.source_logs import append, append_unreadable, close_unseen_order
from tests.support.system import SagaSystem
from tests.support.waiting import eventually

ORDERSAGA = str(Path(sys.executable).parent / "ordersaga")


async def test_purged_messages_and_a_lost_last_event_only_delay_the_view(
    system: SagaSystem, projector: ProjectorHarness
) -> None:
    await system.place()
    await projector.caught_up()
    await projector.stop()
    missed = [await system.place(customer="bob") for _ in range(2)]
    async with await connect(system.urls["rabbitmq"]) as connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(system.topology.projector_queue, passive=True)
        assert await queue.purge()  # the events of both orders are gone from the bus
    await projector.start()
    await projector.caught_up()
    read = projector.read_model()
    for state in missed:
        view = await read.order(state.order_id)
        assert view is not None and view.status == "COMPLETED"

    lost = uuid.uuid4().hex  # the last event of a burst, never published: no gap reveals it
    started = time.monotonic()
    event = OrderClosed(order_id=lost, status="CANCELLED", reason="lost")
    await close_unseen_order(system, lost, event)

    async def arrived() -> bool:
        view = await read.order(lost)
        return view is not None and view.status == "CANCELLED"

    await eventually(arrived, seconds=5)
    assert time.monotonic() - started < 5  # within a few head checks (0.5 s apart here)


async def test_a_poison_event_is_dead_lettered_and_later_orders_still_appear(
    system: SagaSystem, projector: ProjectorHarness
) -> None:
    await projector.caught_up()
    too_much = StockCommitted(order_id="poison-1", lines=[OrderLine(sku="SKU-42", quantity=900)])
    bad = await append(system, "inventory", [too_much])
    unreadable = await append_unreadable(
        system, "inventory", StockCommitted(order_id="poison-2", lines=[])
    )
    after = await system.place()
    await projector.caught_up()
    view = await projector.read_model().order(after.order_id)
    assert view is not None and view.status == "COMPLETED"
    report = await status(projector.sessions)
    dead = {(d.source, d.seq): d.reason for d in report.dead_letters}
    assert set(dead) == {("inventory", bad), ("inventory", unreadable)}
    assert "900 x SKU-42" in dead[("inventory", bad)]
    assert "parked by inventory" in dead[("inventory", unreadable)]
    assert "dead letter: build" in "\n".join(report.lines())
    product = await projector.read_model().product("SKU-42")
    assert product is not None and product.on_hand == 98  # the poison changed nothing


async def test_a_projector_killed_mid_catch_up_loses_and_doubles_nothing(
    system: SagaSystem, projector: ProjectorHarness, tmp_path: Path
) -> None:
    await projector.caught_up()
    await projector.stop()
    orders = 1500
    for start in range(0, orders, 500):
        await append(system, "orders", [
            event
            for n in range(start, start + 500)
            for event in (
                OrderPlaced(order_id=f"bulk-{n}", customer_id="bulk", payment_method="card",
                            items=[OrderLine(sku="SKU-42", quantity=1)]),
                OrderClosed(order_id=f"bulk-{n}", status="REJECTED", reason="bulk"),
            )
        ], lost=True)  # fmt: skip
    head = (await projector.heads())["orders"]
    before = (await projector.positions())["orders"]
    child = subprocess.Popen(
        [ORDERSAGA, "projector"],
        env=_env(projector, batch="100"),
        stdout=(tmp_path / "projector.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:

        async def mid_catch_up() -> bool:
            return before < (await projector.positions())["orders"] < head

        await eventually(mid_catch_up, seconds=30)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    killed_at = (await projector.positions())["orders"]
    assert killed_at < head, "the catch-up finished before the kill"
    await projector.start()
    await projector.caught_up()
    customer = await projector.read_model().customer("bulk")
    assert customer is not None and customer.orders == orders  # each OrderPlaced applied once
    timeline = await projector.timeline_count("orders")
    assert timeline == head


def _env(projector: ProjectorHarness, batch: str) -> dict[str, str]:
    settings = projector.settings()
    return {
        **os.environ,
        "ORDERSAGA_ENVIRONMENT": "test",
        "ORDERSAGA_PROJECTOR_DB_URL": settings.projector_db_url,
        "ORDERSAGA_RABBITMQ_URL": settings.rabbitmq_url,
        "ORDERSAGA_BUS_PREFIX": settings.bus_prefix,
        "ORDERSAGA_LEASE_SECONDS": "3",
        "ORDERSAGA_BATCH": batch,
    }
