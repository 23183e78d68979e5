"""Traces: one per order, from `POST /orders` through the saga's workflow and activities, each
command's round trip over RabbitMQ, the participant's transaction, the outbox publish and the
projector's apply.

`setup_tracing(settings, process_name)` installs a TracerProvider whose spans go to the console
or to an OTLP/HTTP collector (`ORDERSAGA_TRACING=console|otlp`), and turns on the maintained
instrumentations: aio-pika's (a span per publish and per delivery, the trace context carried in
the message headers), SQLAlchemy's (a span per statement of every engine made by
`ordersaga.database.engine`). The processes ask this module for the rest: the Temporal client's
`TracingInterceptor` (`temporal_interceptors`) and FastAPI's instrumentation (`instrument_app`).
Off, the default, installs nothing: no provider, no instrumentation, no interceptor, and the
helpers below do nothing.

A trace starts only where a request enters the system (a span of kind SERVER: an HTTP request,
or an activity of a saga whose start was not traced); every other span joins the trace of its
parent or is dropped, so the relays' polls and the projector's head checks make no traces.

Tests pass their own provider (the global one can be set only once per process):
`setup_tracing(settings, "test", provider=tracer_provider("test", processor))`, and
`stop_tracing()` afterwards.
"""

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry import context, propagate, trace

from ordersaga.telemetry.settings import TelemetrySettings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from temporalio.client import Interceptor

EXCLUDED_URLS = "/health/"
"""Probes are not traced: the supervisor and load balancers ask every few seconds."""


@dataclass(frozen=True)
class _Tracing:
    provider: "TracerProvider"
    owned: bool  # made from the settings: shut down (and flushed) by stop_tracing


_current: _Tracing | None = None


def setup_tracing(
    settings: TelemetrySettings, process_name: str, provider: "TracerProvider | None" = None
) -> "TracerProvider | None":
    """Trace this process as the settings say; returns the provider, None when tracing is off.

    A `provider` given (tests) is used whatever `settings.tracing` says, and is not made the
    global one; otherwise the provider is made from the settings and made global, with
    `service.name` = `settings.service_name` or `process_name`."""
    global _current
    if _current is not None:
        raise RuntimeError("tracing is already set up in this process (stop_tracing() first)")
    owned = provider is None
    if provider is None:
        if settings.tracing == "off":
            return None
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        name = settings.service_name or process_name
        provider = tracer_provider(name, BatchSpanProcessor(_exporter(settings)))
        trace.set_tracer_provider(provider)
    from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    AioPikaInstrumentor().instrument(tracer_provider=provider)
    # Its package declares SQLAlchemy < 2.1; the engine events it listens to are the same in 2.1
    # (tests/integration/test_tracing.py sees the statements' spans).
    SQLAlchemyInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)
    _current = _Tracing(provider, owned)
    return provider


def stop_tracing() -> None:
    """Undo `setup_tracing`: the instrumentations are removed and the spans at hand exported
    (a provider made from the settings is shut down; a given one is only flushed)."""
    global _current
    if _current is None:
        return
    from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    AioPikaInstrumentor().uninstrument()
    SQLAlchemyInstrumentor().uninstrument()
    if _current.owned:
        _current.provider.shutdown()
    else:
        _current.provider.force_flush()
    _current = None


def tracer_provider(service_name: str, *processors: "SpanProcessor") -> "TracerProvider":
    """A provider that starts traces only at the system's entry points (module docstring)."""
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ParentBased

    from ordersaga.telemetry.sampling import EntryPoints

    provider = TracerProvider(
        sampler=ParentBased(root=EntryPoints()),
        resource=Resource.create({SERVICE_NAME: service_name}),
    )
    for processor in processors:
        provider.add_span_processor(processor)
    return provider


def _exporter(settings: TelemetrySettings) -> "SpanExporter":
    if settings.tracing == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter(formatter=one_line)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=f"{settings.otlp_endpoint.rstrip('/')}/v1/traces")


def one_line(span: "ReadableSpan") -> str:
    """A span as the console exporter prints it: ids, parent, duration, name, process."""
    ctx, parent = span.get_span_context(), span.parent
    assert ctx is not None
    took = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
    return (
        f"span trace={ctx.trace_id:032x} id={ctx.span_id:016x} "
        f"parent={f'{parent.span_id:016x}' if parent else '-'} ms={took:.1f} "
        f"service={span.resource.attributes.get('service.name', '?')} name={span.name}\n"
    )


def tracing_on() -> bool:
    return _current is not None


def temporal_interceptors() -> list["Interceptor"]:
    """For `Client.connect(interceptors=...)`: temporalio's TracingInterceptor when tracing is
    on (a worker built on the client uses it too), none when it is off."""
    if _current is None:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor(_current.provider.get_tracer("temporalio.contrib.opentelemetry"))]


def instrument_app(app: "FastAPI") -> None:
    """A server span per HTTP request (not the probes) when tracing is on."""
    if _current is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=_current.provider,
        excluded_urls=EXCLUDED_URLS,
        exclude_spans=["receive", "send"],
    )


def current_trace_context() -> str | None:
    """The current span's context as stored beside an event (W3C trace context, JSON), so the
    relay publishes the event in the trace of the transaction that recorded it; None when
    tracing is off or no span is current."""
    if _current is None:
        return None
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return json.dumps(carrier) if carrier else None


@contextmanager
def resumed(stored: str | None) -> Iterator[None]:
    """Make a context stored by `current_trace_context` current (nothing when there is none)."""
    if stored is None or _current is None:
        yield
        return
    token = context.attach(propagate.extract(json.loads(stored)))
    try:
        yield
    finally:
        context.detach(token)


@contextmanager
def span_of_messages(
    name: str, headers: Sequence[Mapping[str, Any] | None], attributes: Mapping[str, Any]
) -> Iterator[None]:
    """A span for work done on a batch of messages: a child of the first message's trace
    context and linked to every message's (one span per batch, not per message)."""
    if _current is None:
        yield
        return
    found = [trace.get_current_span(propagate.extract(h or {})).get_span_context() for h in headers]
    contexts = [c for c in found if c.is_valid]
    parent = trace.set_span_in_context(trace.NonRecordingSpan(contexts[0])) if contexts else None
    tracer = _current.provider.get_tracer("ordersaga")
    with tracer.start_as_current_span(
        name, context=parent, links=[trace.Link(c) for c in contexts], attributes=dict(attributes)
    ):
        yield
