"""Every process serves /metrics on its ORDERSAGA_METRICS_PORT, and the counters move as orders
go through the whole system: the API, the worker (the Temporal SDK's metrics and the saga's, on
its runtime's endpoint), inventory and payment, and the projector, all in-process and each on a
free port of its own.

inventory, payment, the API and the projector share this process's prometheus_client registry
(in production each is a process of its own), so their figures are read as what moved during
the test; the worker's runtime is the test's own.
"""

import asyncio
import contextlib
import socket
import urllib.request
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from temporalio.testing import WorkflowEnvironment

import worker
from ordersaga.contracts.commands import ReserveStock
from ordersaga.contracts.orders import OrderLine
from ordersaga.projector.running import run as run_projector
from ordersaga.rabbitmq.topology import Topology
from ordersaga.services.host.hosting import Hosted, hosting
from ordersaga.settings import ServiceSettings
from ordersaga.telemetry.prometheus_meter import serving_metrics
from tests.support.http_api import real_api
from tests.support.read_model import ProjectorHarness
from tests.support.system import SERVICES, SagaSystem
from tests.support.waiting import eventually

PROCESSES = ("api", "worker", "inventory", "payment", "projector")
Samples = list[tuple[str, dict[str, str], float]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def scrape(port: int) -> Samples:
    def get() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            return str(answer.read().decode())

    text = await asyncio.to_thread(get)
    return [
        (sample.name, dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    return sum(
        value
        for sample, have, value in samples
        if sample == name and all(have.get(k) == v for k, v in labels.items())
    )


def named(samples: Samples, prefix: str) -> set[str]:
    return {name for name, _, _ in samples if name.startswith(prefix)}


@contextlib.asynccontextmanager
async def participant(system: SagaSystem, name: str, port: int) -> AsyncIterator[Hosted]:
    """What `ordersaga inventory` / `payment` runs (hosting.serve), minus the signal."""
    settings = ServiceSettings(
        rabbitmq_url=system.urls["rabbitmq"],
        bus_prefix=system.topology.prefix,
        inventory_db_url=system.urls["inventory"],
        payment_db_url=system.urls["payment"],
        metrics_port=port,
    )
    async with serving_metrics(settings) as meter, hosting(SERVICES[name], settings, meter) as it:
        yield it


@contextlib.asynccontextmanager
async def projector(system: SagaSystem, port: int) -> AsyncIterator[None]:
    """What `ordersaga projector` runs, minus the signal."""
    settings = ProjectorHarness(system).settings(metrics_port=port)
    stop = asyncio.Event()
    async with serving_metrics(settings):
        task = asyncio.create_task(run_projector(settings, stop))
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)


async def place(http: httpx.AsyncClient, customer: str, sku: str) -> str:
    body = {"customer_id": customer, "items": [{"sku": sku, "quantity": 1}]}
    answer = await http.post(
        "/orders?wait=true",
        json=body | {"payment_method": "card-4242"},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])


async def test_every_process_serves_metrics_that_move_with_orders(
    temporal_dev: WorkflowEnvironment, topology: Topology, rabbitmq_url: str, tmp_path: Path
) -> None:
    urls = {
        name: f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"
        for name in ("orders", "inventory", "payment", "projector")
    }
    system = SagaSystem(temporal_dev.client, topology, {**urls, "rabbitmq": rabbitmq_url})
    port = {name: free_port() for name in PROCESSES}
    worker_settings = system.worker_settings(
        temporal_address=temporal_dev.client.service_client.config.target_host,
        metrics_port=port["worker"],
    )
    async with contextlib.AsyncExitStack() as stack:
        inventory = await stack.enter_async_context(
            participant(system, "inventory", port["inventory"])
        )
        await stack.enter_async_context(participant(system, "payment", port["payment"]))
        await stack.enter_async_context(worker.running(worker_settings))  # connects its own
        await stack.enter_async_context(projector(system, port["projector"]))
        http = await stack.enter_async_context(
            real_api(system, max_wait=30, metrics_port=port["api"])
        )
        before = await scrape(port["api"])

        assert await place(http, "alice", "SKU-42") == "COMPLETED"
        assert await place(http, "alice", "SKU-GONE") == "REJECTED"  # out of stock
        assert await place(http, "mallory", "SKU-42") == "REJECTED"  # always declined
        again = ReserveStock(
            command_id=f"metrics-test:{uuid.uuid4().hex}",
            order_id=uuid.uuid4().hex,
            items=[OrderLine(sku="SKU-42", quantity=1)],
        )
        await inventory.handle(again)
        await inventory.handle(again)  # seen before: answered from the stored reply

        async def worker_counted() -> bool:
            samples = await scrape(port["worker"])
            return (
                total(samples, "ordersaga_orders_started_total") == 3
                and total(samples, "ordersaga_orders_completed_total") == 1
                and total(samples, "ordersaga_orders_rejected_total") == 2
                # the SDK's temporal_workflow_completed (the parser adds `_total`)
                and total(samples, "temporal_workflow_completed_total") >= 3
            )

        await eventually(worker_counted)
        saga = await scrape(port["worker"])
        assert total(saga, "ordersaga_orders_rejected_total", reason="OutOfStock") == 1
        assert total(saga, "ordersaga_orders_rejected_total", reason="PaymentDeclined") == 1
        reserve = {"step": "reserve-stock", "outcome": "done"}
        assert total(saga, "ordersaga_saga_step_seconds_count", **reserve) == 2
        assert total(saga, "ordersaga_saga_step_seconds_count", step="notify-customer") == 1
        # the declined card rolls back: the stock reserved for it is released
        assert total(saga, "ordersaga_compensations_total", step="reserve-stock") >= 1
        sdk = {"temporal_workflow_completed_total", "temporal_request_total"}
        assert named(saga, "temporal_") >= sdk

        async def backlog_reported() -> bool:
            samples = await scrape(port["worker"])
            return total(samples, "ordersaga_outbox_backlog", service="orders") == 0 and any(
                name == "ordersaga_outbox_backlog" for name, _, _ in samples
            )

        await eventually(backlog_reported)

        after = {name: await scrape(port[name]) for name in ("api", "inventory", "payment")}

        def moved(process: str, name: str, **labels: str) -> float:
            return total(after[process], name, **labels) - total(before, name, **labels)

        handled = "ordersaga_commands_handled_total"
        assert moved("inventory", handled, service="inventory", outcome="accepted") >= 2
        assert moved("inventory", handled, command="ReserveStock", outcome="rejected") == 1
        deduplicated = {"service": "inventory", "command": "ReserveStock"}
        assert moved("inventory", "ordersaga_commands_deduplicated_total", **deduplicated) == 1
        assert moved("payment", handled, service="payment", outcome="rejected") == 1
        posted = {"method": "POST", "route": "/orders", "status": "200"}
        assert moved("api", "ordersaga_http_requests_total", **posted) == 3

        async def lag_reported() -> bool:
            samples = await scrape(port["projector"])
            sources = {
                labels.get("source")
                for name, labels, _ in samples
                if name == "ordersaga_projector_lag_events"
            }
            return {"orders", "inventory", "payment"} <= sources

        await eventually(lag_reported)
