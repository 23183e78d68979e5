"""One order, one trace: `POST /orders` through the saga, each command's round trip over
RabbitMQ, the participants' transactions, the outbox publishes and the projector's applies, all
recorded by the real instrumentations into an in-memory exporter."""

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from temporalio.testing import WorkflowEnvironment

from ordersaga import temporal
from ordersaga.contracts.orders import OrderStatus
from ordersaga.rabbitmq.topology import Topology
from ordersaga.settings import TemporalSettings
from ordersaga.telemetry.settings import TelemetrySettings
from ordersaga.telemetry.tracing import setup_tracing, stop_tracing, tracer_provider
from ordersaga.waiting import wait_until
from tests.conftest import DatabaseFactory
from tests.support.http_api import real_api
from tests.support.read_model import ProjectorHarness
from tests.support.system import SagaSystem, serving

ORDER = {
    "customer_id": "alice",
    "items": [{"sku": "SKU-42", "quantity": 1}],
    "payment_method": "card-4242",
}


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    """Tracing on in this process, its spans kept in memory; off again afterwards."""
    spans = InMemorySpanExporter()
    provider = tracer_provider("ordersaga-test", SimpleSpanProcessor(spans))
    setup_tracing(TelemetrySettings(), "test", provider=provider)
    try:
        yield spans
    finally:
        stop_tracing()
        provider.shutdown()


@pytest.fixture
async def traced(
    exporter: InMemorySpanExporter,
    temporal_dev: WorkflowEnvironment,
    topology: Topology,
    rabbitmq_url: str,
    tmp_path: Path,
) -> AsyncIterator[tuple[SagaSystem, ProjectorHarness]]:
    """The system and the projector, their clients and engines made with tracing on (the
    worker's Temporal client is `temporal.connect`'s, so it carries the TracingInterceptor)."""
    address = temporal_dev.client.service_client.config.target_host
    client = await temporal.connect(TemporalSettings(temporal_address=address))
    databases = DatabaseFactory("sqlite", tmp_path)
    names = ("orders", "inventory", "payment", "projector")
    urls = {name: await databases.new_url(name) for name in names}
    system = SagaSystem(client, topology, {**urls, "rabbitmq": rabbitmq_url})
    async with serving(system):
        projector = ProjectorHarness(system)
        await projector.start()
        try:
            yield system, projector
        finally:
            await projector.close()


async def test_an_order_is_one_connected_trace(
    traced: tuple[SagaSystem, ProjectorHarness], exporter: InMemorySpanExporter
) -> None:
    system, projector = traced
    prefix = system.topology.prefix
    async with real_api(system, max_wait=20) as http:
        placed = await http.post(
            "/orders?wait=true", json=ORDER, headers={"Idempotency-Key": uuid.uuid4().hex}
        )
    assert placed.status_code == 200, placed.text
    assert placed.json()["status"] == OrderStatus.COMPLETED
    await projector.caught_up()
    expected = {
        "POST /orders",
        "StartWorkflow:OrderSaga",
        "RunWorkflow:OrderSaga",
        *(f"RunActivity:{step}" for step in ("create_order", "approve_order", "complete_order")),
        *(f"RunActivity:{step}" for step in ("reserve_stock", "authorize_payment")),
        *(f"RunActivity:{step}" for step in ("capture_payment", "commit_stock")),
        f",{prefix}.inventory.commands send",  # the command, its context in the headers
        f"{prefix}.inventory.commands receive",  # the service's handling, a child of it
        f",{prefix}.payment.commands send",
        f"{prefix}.payment.commands receive",
        f"{prefix}.events,inventory.StockReserved send",  # the outbox relays
        f"{prefix}.events,payment.PaymentCaptured send",
        f"{prefix}.events,orders.OrderCompleted send",
        f"{prefix}.events receive",
        *(f"projector apply {source}" for source in ("orders", "inventory", "payment")),
    }

    async def ended() -> bool:
        """Every expected span ended, and every parent of an ended span too."""
        spans = exporter.get_finished_spans()
        ids = {_span_id(span) for span in spans}
        parents_ended = all(span.parent.span_id in ids for span in spans if span.parent)
        return expected <= {span.name for span in spans} and parents_ended

    await wait_until(ended, 20)  # then the assertions say what is missing, with the tree
    spans = exporter.get_finished_spans()
    tree = render(spans)
    by_id = {_span_id(span): span for span in spans}
    assert expected <= {span.name for span in spans}, tree
    assert all(span.parent.span_id in by_id for span in spans if span.parent), tree  # connected
    (root,) = [span for span in spans if span.parent is None]
    assert root.name == "POST /orders" and root.kind == SpanKind.SERVER, tree
    assert {_trace_id(span) for span in spans} == {_trace_id(root)}, tree

    def parents(name: str) -> set[str]:
        return {_parent(by_id, s).name for s in spans if s.name == name}

    # The service handles the command in a child of its publish; the transaction's statements
    # are in that handling, and so is the relay's publish of the event it recorded.
    handling = f"{prefix}.inventory.commands receive"
    assert parents(handling) == {f",{prefix}.inventory.commands send"}, tree
    statements = [s for s in spans if "db.system" in (s.attributes or {})]
    assert any(_parent(by_id, s).name == handling for s in statements), tree
    assert parents(f"{prefix}.events,inventory.StockReserved send") == {handling}, tree
    for source in ("orders", "inventory", "payment"):  # applied in the trace of the publish
        published = parents(f"projector apply {source}")
        assert all(name.startswith(f"{prefix}.events,{source}.") for name in published), tree


def render(spans: "tuple[ReadableSpan, ...] | list[ReadableSpan]") -> str:
    """The spans as an indented tree, for a failing assertion's message."""
    children: dict[int | None, list[ReadableSpan]] = {}
    for span in sorted(spans, key=lambda s: s.start_time or 0):
        children.setdefault(span.parent.span_id if span.parent else None, []).append(span)
    lines: list[str] = []

    def walk(parent: int | None, depth: int) -> None:
        for span in children.get(parent, []):
            took = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
            lines.append(f"{'  ' * depth}{span.name} ({took:.1f} ms)")
            walk(_span_id(span), depth + 1)

    walk(None, 0)
    return "\n".join(lines)


def _trace_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return int(span.context.trace_id)


def _span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return int(span.context.span_id)


def _parent(by_id: dict[int, ReadableSpan], span: ReadableSpan) -> ReadableSpan:
    assert span.parent is not None
    return by_id[span.parent.span_id]
