"""Metrics through prometheus_client, and the /metrics endpoint of the processes that use it
(api, inventory, payment, projector): `serving_metrics(settings)` serves the default registry
(the saga's metrics, and the client's process_* and python_* ones) on
ORDERSAGA_METRICS_HOST:ORDERSAGA_METRICS_PORT while it is entered; with no port it serves
nothing and yields NO_METER.
"""

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import start_http_server

from ordersaga.telemetry.metrics import NO_METER, Meter, Metric, check_labels
from ordersaga.telemetry.settings import TelemetrySettings

log = logging.getLogger(__name__)


class PrometheusMeter:
    """A Meter over a prometheus_client registry; each metric is registered on first use."""

    enabled = True

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self._registry = registry
        self._instruments: dict[str, Any] = {}

    def count(self, metric: Metric, amount: int = 1, **labels: str) -> None:
        self._labelled(metric, "counter", labels).inc(amount)

    def set(self, metric: Metric, value: float, **labels: str) -> None:
        self._labelled(metric, "gauge", labels).set(value)

    def observe(self, metric: Metric, value: float, **labels: str) -> None:
        self._labelled(metric, "histogram", labels).observe(value)

    def _labelled(self, metric: Metric, kind: str, labels: dict[str, str]) -> Any:
        if metric.kind != kind:
            raise TypeError(f"{metric.name} is a {metric.kind}, not a {kind}")
        check_labels(metric, labels)
        instrument = self._instruments.get(metric.name)
        if instrument is None:
            instrument = self._instruments[metric.name] = self._register(metric)
        return instrument.labels(**labels) if metric.labels else instrument

    def _register(self, metric: Metric) -> Any:
        common: dict[str, Any] = {"labelnames": metric.labels, "registry": self._registry}
        if metric.kind == "counter":
            return Counter(metric.name, metric.help, **common)
        if metric.kind == "gauge":
            return Gauge(metric.name, metric.help, **common)
        return Histogram(metric.name, metric.help, buckets=metric.buckets, **common)


PROMETHEUS = PrometheusMeter()
"""The process's meter over the default registry, the one `serving_metrics` serves."""


@contextlib.asynccontextmanager
async def serving_metrics(settings: TelemetrySettings) -> AsyncIterator[Meter]:
    """Serve /metrics while entered, when the settings give a port (0: any free one); yields
    the meter to record through (NO_METER when metrics are off)."""
    if settings.metrics_port is None:
        yield NO_METER
        return
    server, thread = start_http_server(settings.metrics_port, settings.metrics_host)
    log.info("metrics on http://%s:%d/metrics", settings.metrics_host, server.server_port)
    try:
        yield PROMETHEUS
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
