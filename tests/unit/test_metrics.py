"""Metrics: off unless ORDERSAGA_METRICS_PORT is set, the meters record what the catalogue
declares (and refuse what it does not), and a replayed saga counts nothing."""

import asyncio
import json
import re
import socket
import urllib.request
from pathlib import Path
from typing import Any, cast

import pytest
from prometheus_client import CollectorRegistry
from temporalio.common import MetricMeter
from temporalio.runtime import MetricBuffer, Runtime, TelemetryConfig
from temporalio.worker import Replayer

import worker
from ordersaga import temporal
from ordersaga.database.engine import Sessions
from ordersaga.database.messaging_tables import messaging_tables
from ordersaga.replay import load_history
from ordersaga.services.host.backlog import watching_backlog
from ordersaga.services.inventory.service import INVENTORY
from ordersaga.telemetry import metrics
from ordersaga.telemetry.metrics import NO_METER
from ordersaga.telemetry.prometheus_meter import PROMETHEUS, PrometheusMeter, serving_metrics
from ordersaga.telemetry.settings import TelemetrySettings
from ordersaga.telemetry.temporal_meter import TemporalMeter, metrics_runtime

HISTORIES = Path(__file__).parents[1] / "replay" / "histories"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return str(answer.read().decode())


async def test_metrics_are_off_when_no_port_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORDERSAGA_METRICS_PORT", raising=False)
    settings = TelemetrySettings()
    assert settings.metrics_port is None
    assert metrics_runtime(settings) is None  # the worker keeps the SDK's default runtime
    async with serving_metrics(settings) as meter:
        assert meter is NO_METER and not meter.enabled

    def no_database() -> Any:
        raise AssertionError("the backlog is not counted while metrics are off")

    tables = messaging_tables(INVENTORY.tables)
    sessions = cast(Sessions, no_database)
    async with watching_backlog("inventory", sessions, tables, NO_METER, every=0.01):
        await asyncio.sleep(0.05)


async def test_a_port_serves_the_process_registry_until_the_exit() -> None:
    port = free_port()
    async with serving_metrics(TelemetrySettings(metrics_port=port)) as meter:
        assert meter is PROMETHEUS
        meter.count(metrics.DEAD_LETTERS, service="unit-test")
        text = await asyncio.to_thread(get, port)
        assert 'ordersaga_dead_letters_total{service="unit-test"}' in text
        assert "process_cpu_seconds_total" in text  # prometheus_client's own
    with pytest.raises(OSError):
        await asyncio.to_thread(get, port)


def test_the_prometheus_meter_records_the_declared_metrics() -> None:
    registry = CollectorRegistry()
    meter = PrometheusMeter(registry)
    meter.count(metrics.COMMANDS_HANDLED, service="payment", command="X", outcome="accepted")
    meter.set(metrics.OUTBOX_BACKLOG, 7, service="payment")
    meter.observe(metrics.HTTP_SECONDS, 0.2, method="GET", route="/orders/{order_id}")
    labels = {"service": "payment", "command": "X", "outcome": "accepted"}
    assert registry.get_sample_value("ordersaga_commands_handled_total", labels) == 1
    assert registry.get_sample_value("ordersaga_outbox_backlog", {"service": "payment"}) == 7
    route = {"method": "GET", "route": "/orders/{order_id}", "le": "0.25"}
    assert registry.get_sample_value("ordersaga_http_request_seconds_bucket", route) == 1
    with pytest.raises(ValueError, match="takes labels"):
        meter.count(metrics.DEAD_LETTERS, service="payment", order_id="42")
    with pytest.raises(TypeError, match="is a gauge"):
        meter.count(metrics.OUTBOX_BACKLOG, service="payment")


def test_the_temporal_meter_records_through_the_runtime() -> None:
    buffer = MetricBuffer(1000)
    meter = TemporalMeter(Runtime(telemetry=TelemetryConfig(metrics=buffer)).metric_meter)
    assert meter.enabled and not TemporalMeter(MetricMeter.noop).enabled
    meter.count(metrics.ORDERS_REJECTED, reason="OutOfStock")
    meter.observe(metrics.STEP_SECONDS, 0.1, step="reserve-stock", outcome="done")
    updates = [
        (u.metric.name, u.value, {k: v for k, v in u.attributes.items() if k != "service_name"})
        for u in buffer.retrieve_updates()
    ]
    assert ("ordersaga_orders_rejected_total", 1, {"reason": "OutOfStock"}) in updates
    step = {"step": "reserve-stock", "outcome": "done"}
    assert ("ordersaga_saga_step_seconds", 0.1, step) in updates
    with pytest.raises(ValueError, match="takes labels"):
        meter.count(metrics.ORDERS_COMPLETED, reason="none")


@pytest.mark.parametrize("history", ["v4-happy-path", "v4-payment-declined", "v1-out-of-stock"])
async def test_a_replayed_saga_counts_nothing(history: str) -> None:
    buffer = MetricBuffer(10_000)
    replayer = Replayer(
        workflows=list(worker.WORKFLOWS),
        data_converter=temporal.DATA_CONVERTER,
        runtime=Runtime(telemetry=TelemetryConfig(metrics=buffer)),
    )
    await replayer.replay_workflow(load_history(HISTORIES / f"{history}.json"))
    recorded = {update.metric.name for update in buffer.retrieve_updates()}
    assert not {name for name in recorded if name.startswith("ordersaga_")}


def test_the_dashboard_and_the_scrape_config_name_what_the_processes_serve() -> None:
    deploy = Path(__file__).parents[2] / "deploy"
    dashboard = (deploy / "grafana" / "ordersaga-dashboard.json").read_text()
    exprs = " ".join(
        target["expr"]
        for panel in json.loads(dashboard)["panels"]
        for target in panel.get("targets", [])
    )
    used = {
        re.sub(r"_(bucket|count|sum)$", "", name) for name in re.findall(r"ordersaga_\w+", exprs)
    }
    assert used == {metric.name for metric in metrics.ALL}  # each shown, none misspelt
    scraped = re.findall(r"job_name: (\w+)", (deploy / "prometheus" / "prometheus.yml").read_text())
    assert set(scraped) == {"api", "worker", "inventory", "payment", "projector", "temporal"}
