"""Mixed orders through the HTTP API while cancels race the sagas and faults of every kind hit
the system (faults.py): processes SIGKILLed (the projector too), the broker's connections closed,
the broker stopped and started, a participant's database locked, the Temporal server restarted,
commands delivered twice and out of order. Every process rides each fault out by itself, and
afterwards nothing leaks: every order is final, the auditor finds no violation (a completed
order sold its stock and was charged once, a rejected or cancelled one holds nothing, stock and
money are conserved, sagas and orders match), nothing was dead-lettered, and the read model
agrees with the services.

A short run is part of the suite; `pytest -m chaos --chaos-orders 300` is the soak.
"""

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.service import RPCError

from ordersaga.auditor import Audit, temporal_sagas
from ordersaga.contracts.orders import OrderLine
from ordersaga.contracts.saga import PlaceOrder
from ordersaga.database.engine import create_engine, session_factory
from ordersaga.projector.feeds import Feeds
from ordersaga.projector.reconcile import reconcile
from ordersaga.projector.wiring import connected_feeds
from ordersaga.rabbitmq.connection import connect
from ordersaga.rabbitmq.dead_letters import DeadLetters
from ordersaga.rabbitmq.topology import Topology
from ordersaga.services.inventory.models import Reservation, StockItem
from ordersaga.services.orders.models import Order
from ordersaga.services.payment.models import Account, Authorization
from ordersaga.settings import TemporalSettings
from ordersaga.temporal import workflow_id
from ordersaga.waiting import wait_until
from tests.chaos.faults import FAULTS, Chaos, answering, chaos
from tests.e2e.conftest import Processes
from tests.support.restartable_dev_server import RestartableDevServer
from workflows.order_saga import OrderSaga

pytestmark = pytest.mark.chaos

KINDS = [  # (weight, customer, items): what a day of orders looks like
    (6, "alice", [("SKU-42", 1)]),
    (2, "bob", [("SKU-42", 2), ("SKU-7", 1)]),
    (1, "mallory", [("SKU-42", 1)]),  # declined
    (1, "alice", [("SKU-GONE", 1)]),  # out of stock
    (1, "carol", [("SKU-7", 1)]),  # insufficient funds
]
FINAL = {"COMPLETED", "REJECTED", "CANCELLED"}
API_KEY = {"Authorization": "Bearer demo-operator"}
"""The demo operator's key (README, "Access control"): it names each order's customer."""
PLACING_SECONDS = 40.0
"""A short run's orders arrive over this long at least, so every kind of fault meets sagas in
flight; a soak's come as fast as they are placed."""


@dataclass
class Run:
    placed: dict[str, PlaceOrder] = field(default_factory=dict)
    faults: Counter[str] = field(default_factory=Counter)
    answers: Counter[int] = field(default_factory=Counter)

    @property
    def orders(self) -> list[str]:
        return list(self.placed)


async def test_nothing_leaks_when_processes_die_and_cancels_race(
    processes: tuple[Processes, str],
    chaos_orders: int,
    chaos_seed: int,
    temporal_client: Client,
    restartable_temporal: RestartableDevServer,
    tmp_path: Path,
) -> None:
    procs, api = processes
    run, rng = Run(), random.Random(chaos_seed)
    print(f"\nchaos: --chaos-orders {chaos_orders} --chaos-seed {chaos_seed}")
    settings = TemporalSettings(
        rabbitmq_url=procs.env["ORDERSAGA_RABBITMQ_URL"],
        bus_prefix=procs.env["ORDERSAGA_BUS_PREFIX"],
        task_queue=procs.env["ORDERSAGA_TASK_QUEUE"],
    )
    async with connected_feeds(settings, "chaos-audit") as feeds:
        auditor = Audit(feeds, temporal_sagas(temporal_client, settings.task_queue))
        baseline = await auditor.baseline()
        # longer than the API's own bound on a wait (ORDERSAGA_MAX_WAIT_SECONDS, 30 s)
        async with (
            httpx.AsyncClient(base_url=api, timeout=60, headers=API_KEY) as http,
            chaos(procs, http, restartable_temporal, tmp_path, run.placed, rng) as faults,
        ):
            placing = asyncio.create_task(place_orders(http, run, rng, chaos_orders))
            injecting = asyncio.create_task(make_chaos(faults, run, placing))
            await placing
            await injecting
            await every_order_final(temporal_client, run.orders, seconds=120 + chaos_orders)
            await faults.until_up()  # the last fault may have been a moment ago
        # and this connection of the test's own, dropped by it too, has come back
        assert await wait_until(lambda: answering(feeds, "orders"), 60)
        violations = await auditor.run(baseline)
        assert violations == [], "\n".join(str(v) for v in violations)
        await views_agree_with_the_services(feeds, tmp_path)
    await every_service_agrees_with_the_saga(temporal_client, tmp_path, run.orders)
    await nothing_dead_lettered(procs)
    print(
        f"\nchaos: {len(run.orders)} orders, faults {dict(run.faults)}, "
        f"{faults.repeated} commands sent twice, answers {dict(run.answers)}"
    )
    assert not [code for code in run.answers if code >= 500 and code != 503]
    assert len(run.orders) == chaos_orders, "a client retrying on 503 gets every order placed"


async def place_orders(http: httpx.AsyncClient, run: Run, rng: random.Random, count: int) -> None:
    async def one() -> None:
        _, customer, items = rng.choices(KINDS, weights=[k[0] for k in KINDS])[0]
        body = {
            "customer_id": customer,
            "items": [{"sku": sku, "quantity": q} for sku, q in items],
            "payment_method": "card-4242",
        }
        key = {"Idempotency-Key": uuid.uuid4().hex}
        placed = await post(http, run, "/orders", body, key)
        if placed.status_code != 202:
            return
        order_id = placed.json()["order_id"]
        lines = [OrderLine(sku=sku, quantity=q) for sku, q in items]
        run.placed[order_id] = PlaceOrder(
            order_id=order_id, customer_id=customer, items=lines, payment_method="card-4242"
        )
        if rng.random() < 0.15:  # a customer who changes their mind at once
            await asyncio.sleep(rng.uniform(0, 0.4))
            await post(http, run, f"/orders/{order_id}/cancel", {"reason": "chaos"})

    gap = max(0.15, PLACING_SECONDS / count)
    pending: set[asyncio.Task[None]] = set()
    for _ in range(count):
        pending.add(asyncio.create_task(one()))
        await asyncio.sleep(rng.uniform(gap / 3, gap * 5 / 3))
    await asyncio.gather(*pending)


async def post(
    http: httpx.AsyncClient, run: Run, url: str, body: object, headers: dict[str, str] | None = None
) -> httpx.Response:
    """As a client does: again, with the same Idempotency-Key, after the Retry-After of a 503
    (Temporal restarting, say), for half a minute."""
    deadline = time.monotonic() + 30
    while True:
        answer = await http.post(url, json=body, headers=headers)
        run.answers[answer.status_code] += 1
        if answer.status_code != 503 or time.monotonic() > deadline:
            return answer
        await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))


async def make_chaos(chaos: Chaos, run: Run, placing: asyncio.Task[None]) -> None:
    """While orders arrive, one fault after another: every kind at least once, in an order the
    run's seed shuffles, then kinds drawn at random until the last order is placed."""
    kinds = list(FAULTS)
    chaos.rng.shuffle(kinds)
    while not placing.done() or kinds:
        await asyncio.sleep(chaos.rng.uniform(1.0, 3.0))
        fault = kinds.pop() if kinds else chaos.rng.choice(FAULTS)
        run.faults[fault] += 1
        await chaos.inject(fault)


async def every_order_final(client: Client, orders: list[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    open_orders = list(orders)
    while open_orders and time.monotonic() < deadline:
        statuses = await asyncio.gather(*(status(client, order) for order in open_orders))
        open_orders = [o for o, s in zip(open_orders, statuses, strict=True) if s not in FINAL]
        await asyncio.sleep(1)
    left = {o: await status(client, o) for o in open_orders}
    assert not left, f"orders not final after {seconds:.0f}s: {left}"


async def status(client: Client, order_id: str) -> str:
    """The saga's status; UNKNOWN while no worker can answer (its last task failed or timed
    out with the worker that was killed, and the retried one has not run yet)."""
    handle = client.get_workflow_handle_for(OrderSaga.run, workflow_id(order_id))
    try:
        return (await handle.query(OrderSaga.state)).status.value
    except RPCError:
        return "UNKNOWN"


async def nothing_dead_lettered(procs: Processes) -> None:
    """Every fault passes: no command was given up on (a database that waited, a broker that
    came back, a duplicate answered from its stored reply)."""
    topology = Topology(procs.env["ORDERSAGA_BUS_PREFIX"])
    async with await connect(procs.env["ORDERSAGA_RABBITMQ_URL"], "chaos-dead-letters") as bus:
        letters = await DeadLetters(bus, topology, ("inventory", "payment")).list()
    assert not letters, "\n".join(str(letter) for letter in letters)


async def views_agree_with_the_services(feeds: Feeds, folder: Path) -> None:
    """The projector, killed along with the others, caught up: its views equal the sources."""
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'projector.db'}")
    drift: list[object] = []

    async def agree() -> bool:
        nonlocal drift
        drift = list(await reconcile(session_factory(engine), feeds))
        return not drift

    try:
        assert await wait_until(agree, 30), "\n".join(str(d) for d in drift)
    finally:
        await engine.dispose()


async def every_service_agrees_with_the_saga(
    client: Client, folder: Path, orders: list[str]
) -> None:
    """Every service's own record of every order, against how its saga ended."""
    rows = {
        "orders": await read_all(folder / "orders.db", Order, "status"),
        "inventory": await read_all(folder / "inventory.db", Reservation, "status"),
        "payment": await read_all(folder / "payment.db", Authorization, "status"),
    }
    expected: dict[str, dict[str, set[str | None]]] = {
        "COMPLETED": {"orders": {"COMPLETED"}, "inventory": {"COMMITTED"}, "payment": {"CAPTURED"}},
        "REJECTED": {
            "orders": {"REJECTED"},
            "inventory": {None, "RELEASED"},
            "payment": {None, "VOIDED"},
        },
        "CANCELLED": {
            "orders": {"CANCELLED"},
            "inventory": {None, "RELEASED"},
            "payment": {None, "VOIDED"},
        },
    }
    leaks = []
    for order_id in orders:
        ended = await status(client, order_id)
        for service, allowed in expected[ended].items():
            if (found := rows[service].get(order_id)) not in allowed:
                leaks.append(f"{order_id} {ended}: {service} is {found}")
    assert not leaks, "\n".join(leaks)
    assert await nothing_held(folder), "stock reserved or money held with no saga running"


async def read_all(path: Path, model: type, column: str) -> dict[str, str]:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with session_factory(engine)() as session:
            result = await session.execute(select(model.order_id, getattr(model, column)))  # type: ignore[attr-defined]
            return {order_id: value for order_id, value in result.all()}  # noqa: C416
    finally:
        await engine.dispose()


async def nothing_held(folder: Path) -> bool:
    stock = await sum_of(folder / "inventory.db", StockItem.reserved)
    held = await sum_of(folder / "payment.db", Account.held_cents)
    return stock == 0 and held == 0


async def sum_of(path: Path, column: object) -> int:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with session_factory(engine)() as session:
            return int(await session.scalar(select(func.sum(column))) or 0)
    finally:
        await engine.dispose()
