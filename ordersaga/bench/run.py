"""`ordersaga bench`: the saga measured against Temporal's own floor, in one run, on one server.

The phases, each against the same scratch system (system.py):

1. warm-up: a few of each, not counted;
2. floor B, floor A and the saga, each `sequential` one after another, then `orders` with
   `concurrency` in flight (the saga's concurrent run mixes in rejections and cancels), with the
   CPU and peak memory of every process, and the read model's lag while the sagas run; and before
   floor A, on its worker, the saga's own workflow with its steps stubbed, one at a time
   (`saga_code`);
3. `POST /orders` (no wait) at 80 % of the saga's concurrent throughput: the API's latency;
   and again at 20 %, where the CPUs are not busy;
4. the histories of the saga's runs: events and workflow tasks per saga, the longest workflow
   task, step attempts that timed out; and where a saga and floor A run one at a time spend
   their time (timeline.py);
5. one hop of a step alone, one round trip at a time: the bus, a query, a command (hops.py);
6. with `soak_orders`, the worker's memory after 1,000 orders and after `soak_orders`;
7. the read model's catch-up of a backlog (scratch sources, as `ordersaga projector bench`).
"""

import asyncio
import platform
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import psutil
from temporalio.client import Client

from ordersaga import temporal
from ordersaga.bench import read_model
from ordersaga.bench.floor_load import FloorA, FloorB, StubbedSaga, eager_worker
from ordersaga.bench.histories import histories_of, history_figures
from ordersaga.bench.hops import hop_figures
from ordersaga.bench.live_lag import LagWatch, lag_figures
from ordersaga.bench.load import One, Run, Tick, at_rate, concurrent, sequential
from ordersaga.bench.orders import OPERATOR, Mix, OrderLoad, Via
from ordersaga.bench.processes import busy_share, rss_mib, watching
from ordersaga.bench.progress import Progress
from ordersaga.bench.seeding import Catalog, seed
from ordersaga.bench.system import System, running_system
from ordersaga.bench.timeline import timeline_figures
from ordersaga.settings import DEV_BROKER_URL, TemporalSettings, WorkerSettings

WARM_UP = 5
OPEN_LOOP_SHARE = 0.8
LIGHT_SHARE = 0.2
"""POST /orders is also timed at a fifth of the peak: its latency when the CPUs are not busy."""
SOAK_CHECKPOINT = 1000


@dataclass(frozen=True)
class Options:
    orders: int = 200
    sequential: int = 30
    concurrency: int = 40
    via: Via = "client"
    reject_share: float = 0.1
    cancel_share: float = 0.1
    open_loop_seconds: float = 10.0
    catch_up_events: int = 20_000
    soak_orders: int = 0
    hops: int = 200
    rabbitmq_url: str = DEV_BROKER_URL


async def bench(options: Options, progress: Progress) -> dict[str, Any]:
    figures: dict[str, Any] = {"options": asdict(options), "machine": _machine()}
    async with running_system(options.rabbitmq_url) as system:
        figures["bus_prefix"] = system.bus_prefix  # its queues are deleted when it stops
        settings = TemporalSettings(temporal_address=system.temporal_address)
        client = await temporal.connect(settings)
        async with (
            httpx.AsyncClient(base_url=system.api_url, timeout=90) as http,
            eager_worker(client, WorkerSettings()),
        ):
            catalog = await seed(http)
            floor_a, floor_b, stubbed = FloorA(client), FloorB(client), StubbedSaga(client)
            orders = OrderLoad(client, http, system.task_queue, catalog, options.via)
            await _warm_up([floor_b.one, floor_a.one, stubbed.one, orders.one], progress)
            stubbed.workflow_ids.clear()
            figures["floor_b"] = await _measure("floor B", floor_b.one, options, system, progress)
            # The saga with its steps stubbed runs on floor A's worker, before floor A's own
            # runs: both one at a time on a worker that has run only the warm-up.
            tick = progress.phase("saga, steps stubbed: one at a time", options.sequential)
            figures["saga_code"] = {
                "sequential": (await sequential(stubbed.one, options.sequential, tick)).figures()
            }
            one_by_one = len(floor_a.workflow_ids)  # the next `sequential` ids run one at a time
            figures["floor_a"] = await _measure("floor A", floor_a.one, options, system, progress)
            orders.workflow_ids.clear()
            watch = LagWatch(system.env["ORDERSAGA_PROJECTOR_DB_URL"])
            mixed = OrderLoad(client, http, system.task_queue, catalog, options.via,
                              Mix(options.reject_share, options.cancel_share))  # fmt: skip
            async with watch.watching():
                figures["saga"] = await _measure(
                    "saga", orders.one, options, system, progress, concurrent_one=mixed.one
                )
            figures["read_model_live_lag"] = await lag_figures(
                watch, options.rabbitmq_url, system.bus_prefix
            )
            await watch.close()
            # Each history fetched once: the figures of a phase, and the timeline of its runs
            # one at a time (orders.one ran only one at a time; the concurrent run was mixed's).
            sagas = await histories_of(client, orders.workflow_ids + mixed.workflow_ids)
            floors = await histories_of(client, floor_a.workflow_ids)
            stubs = await histories_of(client, stubbed.workflow_ids)
            figures["saga"]["histories"] = history_figures(sagas)
            figures["floor_a"]["histories"] = history_figures(floors)
            alone = {"saga": sagas[: len(orders.workflow_ids)], "saga_code": stubs,
                     "floor_a": floors[one_by_one : one_by_one + options.sequential]}  # fmt: skip
            for key, histories in alone.items():
                figures[key]["sequential"]["timeline"] = timeline_figures(histories)
            peak = figures["saga"]["concurrent"]["throughput_per_s"]
            figures["api_post"] = await _open_loop(
                http, client, catalog, peak * OPEN_LOOP_SHARE, options, progress
            )
            figures["api_post_light"] = await _open_loop(
                http, client, catalog, peak * LIGHT_SHARE, options, progress
            )
            figures["hops"] = await hop_figures(
                system, catalog, options.rabbitmq_url, options.hops, progress
            )
            if options.soak_orders:
                figures["soak"] = await _soak(orders, system, options, progress)
    figures["read_model_catch_up"] = await _catch_up(options, progress)
    figures.update(_ratios(figures))
    return figures


async def _warm_up(ones: list[One], progress: Progress) -> None:
    tick = progress.phase("warm-up", WARM_UP * len(ones))
    for one in ones:
        await sequential(one, WARM_UP, tick)


async def _measure(
    name: str,
    one: One,
    options: Options,
    system: System,
    progress: Progress,
    concurrent_one: One | None = None,
) -> dict[str, Any]:
    tick = progress.phase(f"{name}: one at a time", options.sequential)
    async with watching(system.processes) as seq_cpu:
        one_by_one = await sequential(one, options.sequential, tick)
    tick = progress.phase(f"{name}: {options.concurrency} at once", options.orders)
    async with watching(system.processes) as con_cpu:
        at_once = await concurrent(concurrent_one or one, options.orders, options.concurrency, tick)
    return {
        "sequential": {**one_by_one.figures(), "processes": _per_run(seq_cpu, one_by_one)},
        "concurrent": {**at_once.figures(), "processes": _per_run(con_cpu, at_once)},
    }


def _per_run(processes: dict[str, dict[str, Any]], run: Run) -> dict[str, Any]:
    done = max(1, len(run.latencies))
    total = sum(figures["cpu_s"] for figures in processes.values())
    return {**processes, "cpu_ms_per_request": round(total * 1000 / done, 1)}


async def _open_loop(
    http: httpx.AsyncClient,
    client: Client,
    catalog: Catalog,
    rate: float,
    options: Options,
    progress: Progress,
) -> dict[str, Any]:
    """POST /orders with no wait at `rate` per second (a share of the saga's peak), and how busy
    the machine's CPUs were meanwhile; then the sagas are let end."""
    rate = max(1.0, rate)
    posted: list[str] = []

    async def post(n: int) -> None:
        body = {"customer_id": catalog.customer(n), "payment_method": catalog.payment_method,
                "items": [{"sku": catalog.sku(n), "quantity": 1}]}  # fmt: skip
        answer = await http.post("/orders", json=body, headers=OPERATOR)
        if answer.status_code != 202:
            raise RuntimeError(f"POST /orders answered {answer.status_code}: {answer.text[:200]}")
        posted.append(answer.json()["order_id"])

    count = max(1, int(rate * options.open_loop_seconds))
    tick = progress.phase(f"POST /orders at {rate:.1f}/s", count)
    before = psutil.cpu_times()
    run = await at_rate(post, rate, options.open_loop_seconds, tick)
    busy = busy_share(before, psutil.cpu_times())
    await _settle(client, posted, progress)
    return {"rate_per_s": round(rate, 2), **run.figures(), "cpu_busy_share": busy}


async def _settle(client: Client, order_ids: list[str], progress: Progress) -> None:
    tick = progress.phase("letting those sagas end", len(order_ids))

    async def settled(order_id: str) -> None:
        await client.get_workflow_handle(temporal.workflow_id(order_id)).result()
        tick()

    await asyncio.gather(*(settled(order_id) for order_id in order_ids))


async def _soak(
    orders: OrderLoad, system: System, options: Options, progress: Progress
) -> dict[str, Any]:
    worker = system.processes()["worker"]
    tick: Tick = progress.phase("soak", options.soak_orders)
    await concurrent(orders.one, SOAK_CHECKPOINT, options.concurrency, tick)
    after_first = rss_mib(worker)
    await concurrent(orders.one, options.soak_orders - SOAK_CHECKPOINT, options.concurrency, tick)
    after_all = rss_mib(worker)
    return {"orders": options.soak_orders, "worker_rss_mib_after_1000": after_first,
            f"worker_rss_mib_after_{options.soak_orders}": after_all,
            "growth": round(after_all / after_first - 1, 3)}  # fmt: skip


async def _catch_up(options: Options, progress: Progress) -> dict[str, Any]:
    progress.phase(f"read model: catch-up of {options.catch_up_events} events", 0)
    return await read_model.catch_up_only(
        read_model.Options(events=options.catch_up_events, rabbitmq_url=options.rabbitmq_url)
    )


def _ratios(figures: dict[str, Any]) -> dict[str, float]:
    saga, floor_a, floor_b = figures["saga"], figures["floor_a"], figures["floor_b"]

    def ratio(a: float, b: float) -> float:
        return round(a / b, 3) if b else 0.0

    throughput = saga["concurrent"]["throughput_per_s"]
    p50 = saga["sequential"]["p50_ms"]
    return {
        "throughput_ratio": ratio(throughput, floor_a["concurrent"]["throughput_per_s"]),
        "sequential_p50_ratio": ratio(p50, floor_a["sequential"]["p50_ms"]),
        "throughput_ratio_b": ratio(throughput, floor_b["concurrent"]["throughput_per_s"]),
        "sequential_p50_ratio_b": ratio(p50, floor_b["sequential"]["p50_ms"]),
    }


def _machine() -> dict[str, Any]:
    return {
        "cpus": psutil.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / (1 << 30), 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
