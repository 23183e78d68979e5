"""Metrics through the Temporal SDK, for the worker: `metrics_runtime(settings)` is a Temporal
Runtime whose Prometheus endpoint (ORDERSAGA_METRICS_HOST:ORDERSAGA_METRICS_PORT) serves the
SDK's own metrics (temporal_workflow_completed, temporal_activity_execution_latency, ...) and
everything recorded through its meter; `TemporalMeter` records the saga's metrics
(metrics.py) there, from workflow code (`workflow.metric_meter()`, which records nothing while a
history replays) or from the worker's own code (the runtime's meter).

Workflow code imports this module through the sandbox's passthrough.
"""

import logging

from temporalio.client import Client
from temporalio.common import (
    MetricCounter,
    MetricGaugeFloat,
    MetricHistogramFloat,
    MetricMeter,
)
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from ordersaga.telemetry.metrics import ALL, Metric, check_labels
from ordersaga.telemetry.settings import TelemetrySettings

log = logging.getLogger(__name__)


class TemporalMeter:
    """A Meter over a Temporal MetricMeter; each metric is created on first use."""

    def __init__(self, meter: MetricMeter) -> None:
        self._meter = meter
        self.enabled = meter is not MetricMeter.noop
        self._counters: dict[str, MetricCounter] = {}
        self._gauges: dict[str, MetricGaugeFloat] = {}
        self._histograms: dict[str, MetricHistogramFloat] = {}

    def count(self, metric: Metric, amount: int = 1, **labels: str) -> None:
        _kind(metric, "counter")
        check_labels(metric, labels)
        if (counter := self._counters.get(metric.name)) is None:
            counter = self._counters[metric.name] = self._meter.create_counter(
                metric.name, metric.help
            )
        counter.add(amount, labels)

    def set(self, metric: Metric, value: float, **labels: str) -> None:
        _kind(metric, "gauge")
        check_labels(metric, labels)
        if (gauge := self._gauges.get(metric.name)) is None:
            gauge = self._gauges[metric.name] = self._meter.create_gauge_float(
                metric.name, metric.help
            )
        gauge.set(value, labels)

    def observe(self, metric: Metric, value: float, **labels: str) -> None:
        _kind(metric, "histogram")
        check_labels(metric, labels)
        if (histogram := self._histograms.get(metric.name)) is None:
            histogram = self._histograms[metric.name] = self._meter.create_histogram_float(
                metric.name, metric.help
            )
        histogram.record(value, labels)


def _kind(metric: Metric, kind: str) -> None:
    if metric.kind != kind:
        raise TypeError(f"{metric.name} is a {metric.kind}, not a {kind}")


def metrics_runtime(settings: TelemetrySettings) -> Runtime | None:
    """A runtime serving Prometheus metrics at the settings' address; None when metrics are off
    (ORDERSAGA_METRICS_PORT unset). The SDK's metric names are its defaults (no `_total`
    suffix, durations in milliseconds), as Temporal's own dashboards expect."""
    if settings.metrics_port is None:
        return None
    host = f"[{settings.metrics_host}]" if ":" in settings.metrics_host else settings.metrics_host
    address = f"{host}:{settings.metrics_port}"
    buckets = {metric.name: metric.buckets for metric in ALL if metric.buckets}
    prometheus = PrometheusConfig(bind_address=address, histogram_bucket_overrides=buckets)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=prometheus))
    log.info("metrics on http://%s/metrics", address)
    return runtime


def client_meter(client: Client) -> TemporalMeter:
    """The meter of the runtime the client (and so a worker on it) runs on; it records nothing
    when that runtime has no metrics."""
    runtime = client.service_client.config.runtime or Runtime.default()
    return TemporalMeter(runtime.metric_meter)
