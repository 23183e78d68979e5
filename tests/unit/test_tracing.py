"""Tracing's setup: off installs nothing; on, the instrumentations come and go with it, and only
the system's entry points start traces."""

from collections.abc import Iterator

import pytest
from aio_pika import Exchange, Queue
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from ordersaga.telemetry import tracing
from ordersaga.telemetry.settings import TelemetrySettings


def wrapped() -> list[bool]:
    """Whether aio-pika's publish and consume are wrapped by its instrumentation."""
    methods = (Exchange.__dict__["publish"], Queue.__dict__["consume"])
    return [hasattr(method, "__wrapped__") for method in methods]


@pytest.fixture
def traced() -> Iterator[tuple[InMemorySpanExporter, TracerProvider]]:
    """Tracing on, with a provider of the test's own (not the global one) and its spans kept."""
    exporter = InMemorySpanExporter()
    provider = tracing.tracer_provider("test", SimpleSpanProcessor(exporter))
    assert tracing.setup_tracing(TelemetrySettings(), "test", provider=provider) is provider
    try:
        yield exporter, provider
    finally:
        tracing.stop_tracing()


def test_off_by_default_installs_nothing() -> None:
    settings = TelemetrySettings()
    assert settings.tracing == "off"
    assert tracing.setup_tracing(settings, "test") is None
    assert not tracing.tracing_on()
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)
    assert wrapped() == [False, False]
    assert tracing.temporal_interceptors() == []
    app = FastAPI()
    tracing.instrument_app(app)
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)
    assert tracing.current_trace_context() is None
    with tracing.resumed(
        '{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}'
    ):
        assert not trace.get_current_span().get_span_context().is_valid
    tracing.stop_tracing()  # nothing to stop


def test_a_given_provider_turns_the_instrumentations_on_until_stopped(
    traced: tuple[InMemorySpanExporter, TracerProvider],
) -> None:
    assert tracing.tracing_on() and wrapped() == [True, True]
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)
    assert len(tracing.temporal_interceptors()) == 1
    with pytest.raises(RuntimeError, match="already set up"):
        tracing.setup_tracing(TelemetrySettings(), "test")
    tracing.stop_tracing()
    assert not tracing.tracing_on() and wrapped() == [False, False]


def test_only_a_server_span_starts_a_trace_and_its_children_follow(
    traced: tuple[InMemorySpanExporter, TracerProvider],
) -> None:
    spans, provider = traced
    ours = provider.get_tracer("test")
    with ours.start_as_current_span("a relay's poll", kind=SpanKind.CLIENT):
        pass
    with ours.start_as_current_span("POST /orders", kind=SpanKind.SERVER):
        with ours.start_as_current_span("INSERT", kind=SpanKind.CLIENT):
            stored = tracing.current_trace_context()
    assert [span.name for span in spans.get_finished_spans()] == ["INSERT", "POST /orders"]
    assert stored is not None and "traceparent" in stored
    with tracing.resumed(stored):
        with ours.start_as_current_span("publish", kind=SpanKind.PRODUCER) as published:
            pass
    (insert, *_) = spans.get_finished_spans()
    assert published.get_span_context().trace_id == insert.context.trace_id


def test_the_console_prints_a_span_on_one_line(
    traced: tuple[InMemorySpanExporter, TracerProvider],
) -> None:
    spans, provider = traced
    with provider.get_tracer("test").start_as_current_span("POST /orders", kind=SpanKind.SERVER):
        pass
    (span,) = spans.get_finished_spans()
    line = tracing.one_line(span)
    assert line.endswith("service=test name=POST /orders\n") and line.count("\n") == 1
    assert "parent=- " in line
