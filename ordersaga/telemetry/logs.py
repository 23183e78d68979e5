"""Every process's log lines: text for people (the default) or one JSON object a line for a log
pipeline (`ORDERSAGA_LOG_FORMAT=json`), each line about an order carrying its ids.

- JSON lines hold `timestamp` (UTC, ISO 8601), `level`, `logger`, `message`, `process` (which
  ordersaga process wrote it), the order's `order_id`, `workflow_id` and `command_id` where
  known, `trace_id` (hex) when an OpenTelemetry span is current, an exception's `exc_info`, and
  whatever a call passed as `extra`.
- The order's ids come from where the order is handled: `order_context(...)` binds them for a
  block (the service host binds a command's while it handles it, the projector an event's
  while it folds it), `bind_order(...)` for the rest of the task (the API, for one request).
  A Temporal activity's lines get the workflow id, and the order id within it, from the
  activity's own info; a workflow's lines from the `temporal_workflow` extra its logger adds.
- Text lines keep the format the processes always had: time, level, logger, message.
"""

import contextlib
import contextvars
import logging
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from opentelemetry import trace
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter
from temporalio import activity

from ordersaga.telemetry.settings import TelemetrySettings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
ORDER_FIELDS = ("order_id", "workflow_id", "command_id", "trace_id")
WORKFLOW_PREFIX = "order-"
"""An order's workflow id is `order-<order_id>` (ordersaga.temporal.workflow_id)."""
SDK_EXTRAS = ("temporal_workflow", "temporal_activity")
"""The dicts Temporal's workflow and activity loggers add to a record's `extra`."""

_NOTHING: Mapping[str, str] = MappingProxyType({})
_bound: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "ordersaga_order_ids", default=_NOTHING
)


@contextlib.contextmanager
def order_context(**ids: str | None) -> Iterator[None]:
    """Log lines written in this block (and in tasks it starts) carry these ids; unset (None)
    ones are left as they were."""
    token = _bound.set(_with(ids))
    try:
        yield
    finally:
        _bound.reset(token)


def bind_order(**ids: str | None) -> None:
    """Like `order_context`, for the rest of the current task (an HTTP request's)."""
    _bound.set(_with(ids))


def _with(ids: Mapping[str, str | None]) -> Mapping[str, str]:
    merged = {**_bound.get(), **{key: value for key, value in ids.items() if value}}
    return MappingProxyType(merged)


def order_ids(record: logging.LogRecord | None = None) -> dict[str, str]:
    """The ids a line written here is about: Temporal's (the record's workflow extras, the
    running activity), then those bound here (they win), then the current trace's id."""
    ids: dict[str, str] = {}
    for name in SDK_EXTRAS:
        details = getattr(record, name, None)
        if isinstance(details, Mapping) and isinstance(details.get("workflow_id"), str):
            ids["workflow_id"] = details["workflow_id"]
    if activity.in_activity() and (running := activity.info().workflow_id):
        ids["workflow_id"] = running
    ids.update(_bound.get())
    workflow_id = ids.get("workflow_id", "")
    if "order_id" not in ids and workflow_id.startswith(WORKFLOW_PREFIX):
        ids["order_id"] = workflow_id.removeprefix(WORKFLOW_PREFIX)
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        ids["trace_id"] = format(span.trace_id, "032x")
    return {key: value for key, value in ids.items() if value}


class OrderContext(logging.Filter):
    """Sets the order's ids (`order_ids`) as attributes of every record that passes; a
    record's own attribute of the same name (an explicit `extra`) is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in order_ids(record).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonLines(JsonFormatter):
    """One JSON object a line, `timestamp` first."""

    def __init__(self, process: str) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            static_fields={"process": process},
            # uvicorn adds a coloured copy of its message; the plain one is enough.
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
            timestamp=True,
        )

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {"timestamp": log_data.pop("timestamp"), **log_data}


def formatter(settings: TelemetrySettings, process: str) -> logging.Formatter:
    if settings.log_format == "json":
        return JsonLines(process)
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(settings: TelemetrySettings, process: str) -> logging.Handler:
    """Send every logger's lines to stderr in the settings' format, at their level, through
    `OrderContext`. Called again, it replaces the handler it installed before (and leaves any
    other, e.g. a test's capture, alone). Returns the handler."""
    handler = logging.StreamHandler()
    handler.set_name("ordersaga")
    handler.addFilter(OrderContext())
    handler.setFormatter(formatter(settings, process))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "ordersaga"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    return handler
