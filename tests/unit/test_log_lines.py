"""The processes' log lines (ordersaga/telemetry/logs.py): JSON when the settings ask, with the
ids of the order a line is about; text, as always, by default."""

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from ordersaga.telemetry.logs import bind_order, configure_logging, order_context
from ordersaga.telemetry.settings import TelemetrySettings

log = logging.getLogger("ordersaga.tests.lines")


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """Where configure_logging's handler writes, for the test; the root logger as it was after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = io.StringIO()
    yield out
    root.handlers[:] = handlers
    root.setLevel(level)


def configured(out: io.StringIO, log_format: str) -> None:
    settings = TelemetrySettings.model_validate({"log_format": log_format, "log_level": "DEBUG"})
    handler = configure_logging(settings, "inventory")
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)


def json_lines(out: io.StringIO) -> list[dict[str, Any]]:
    """The test's own lines (asyncio, say, logs at DEBUG too)."""
    parsed = [json.loads(line) for line in out.getvalue().splitlines()]
    return [line for line in parsed if line["logger"] == log.name]


def test_a_json_line_carries_the_command_being_handled_and_the_process(
    lines: io.StringIO,
) -> None:
    configured(lines, "json")

    with order_context(order_id="o-1", command_id="order-o-1:run:reserve-stock"):
        log.info("reserved %d units", 2)
    log.info("nothing to do with an order")

    about, other = json_lines(lines)
    assert list(about)[:5] == ["timestamp", "level", "logger", "message", "process"]
    assert about["timestamp"].endswith("+00:00")
    assert {k: v for k, v in about.items() if k != "timestamp"} == {
        "level": "INFO",
        "logger": "ordersaga.tests.lines",
        "message": "reserved 2 units",
        "process": "inventory",
        "order_id": "o-1",
        "command_id": "order-o-1:run:reserve-stock",
    }
    assert "order_id" not in other and "command_id" not in other and "trace_id" not in other


def test_contexts_nest_and_unset_ids_keep_the_outer_ones(lines: io.StringIO) -> None:
    configured(lines, "json")

    with order_context(order_id="o-2", workflow_id="order-o-2"):
        with order_context(command_id="c-9", order_id=None):
            log.warning("inner")
        log.warning("outer")

    inner, outer = json_lines(lines)
    assert (inner["order_id"], inner["workflow_id"], inner["command_id"]) == (
        "o-2",
        "order-o-2",
        "c-9",
    )
    assert "command_id" not in outer


def test_temporals_workflow_details_are_flattened_to_the_workflow_and_order_ids(
    lines: io.StringIO,
) -> None:
    configured(lines, "json")

    details = {"workflow_id": "order-o-3", "activity_type": "reserve_stock", "attempt": 1}
    log.info("activity log", extra={"temporal_activity": details})

    (line,) = json_lines(lines)
    assert (line["workflow_id"], line["order_id"]) == ("order-o-3", "o-3")
    assert line["temporal_activity"]["activity_type"] == "reserve_stock"


def test_the_current_spans_trace_id_is_on_the_line_in_hex(lines: io.StringIO) -> None:
    configured(lines, "json")
    context = SpanContext(
        trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736,
        span_id=0x00F067AA0BA902B7,
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )

    with trace.use_span(NonRecordingSpan(context)), order_context(order_id="o-4"):
        log.info("traced")

    (line,) = json_lines(lines)
    assert line["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_an_exception_is_one_json_line_with_its_traceback(lines: io.StringIO) -> None:
    configured(lines, "json")

    try:
        raise ValueError("the rule cannot take this")
    except ValueError:
        with order_context(order_id="o-5"):
            log.exception("handler failed")

    (line,) = lines.getvalue().splitlines()
    parsed = json.loads(line)
    assert parsed["level"] == "ERROR" and parsed["order_id"] == "o-5"
    assert "ValueError: the rule cannot take this" in parsed["exc_info"]


def test_bind_order_holds_for_the_rest_of_the_task(lines: io.StringIO) -> None:
    configured(lines, "json")

    async def request() -> None:
        bind_order(order_id="o-6")
        log.info("placing")

    asyncio.run(request())
    log.info("after the request")

    placing, after = json_lines(lines)
    assert placing["order_id"] == "o-6" and "order_id" not in after


def test_text_lines_keep_their_format_and_configuring_again_replaces_the_handler(
    lines: io.StringIO,
) -> None:
    configured(lines, "json")
    configured(lines, "text")

    with order_context(order_id="o-7"):
        log.info("placed")

    ours = [h for h in logging.getLogger().handlers if h.get_name() == "ordersaga"]
    assert len(ours) == 1
    (line,) = lines.getvalue().splitlines()
    assert line.endswith(" INFO ordersaga.tests.lines placed")
