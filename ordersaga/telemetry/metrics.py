"""Every metric of the saga's own, declared once: its name, what it answers, its labels; and
`Meter`, what the code records through.

Two meters record them. The worker's endpoint is the Temporal runtime's (only it can serve the
SDK's own metrics), so the worker, its workflows and the orders service it hosts record through
`TemporalMeter` (temporal_meter.py); the API, inventory, payment and the projector record
through prometheus_client (`prometheus_meter.py`). The names, help and buckets are these in both,
so the dashboard (deploy/grafana) reads one set of names. No label ever holds an order id.
"""

from dataclasses import dataclass
from typing import Literal, Protocol

Kind = Literal["counter", "gauge", "histogram"]

SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
"""From a local step's milliseconds to a step that waited for an operator."""


@dataclass(frozen=True)
class Metric:
    name: str
    """As Prometheus shows it: counters end in `_total`."""
    help: str
    kind: Kind
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()


class Meter(Protocol):
    """Records the metrics above; `enabled` is False when nothing is collected, so work done
    only to measure (a count query) can be skipped."""

    @property
    def enabled(self) -> bool: ...
    def count(self, metric: Metric, amount: int = 1, **labels: str) -> None: ...
    def set(self, metric: Metric, value: float, **labels: str) -> None: ...
    def observe(self, metric: Metric, value: float, **labels: str) -> None: ...


class NoMeter:
    """Metrics off: records nothing."""

    enabled = False

    def count(self, metric: Metric, amount: int = 1, **labels: str) -> None:
        pass

    def set(self, metric: Metric, value: float, **labels: str) -> None:
        pass

    def observe(self, metric: Metric, value: float, **labels: str) -> None:
        pass


NO_METER = NoMeter()


def check_labels(metric: Metric, labels: dict[str, str]) -> None:
    """Both meters refuse labels a metric does not declare, and a declared one left out."""
    if set(labels) != set(metric.labels):
        raise ValueError(f"{metric.name} takes labels {metric.labels}, not {tuple(labels)}")


# The saga (worker): recorded by the workflow through its replay-safe meter, so a replayed
# history or a saga recovered on another worker never counts twice.
ORDERS_STARTED = Metric("ordersaga_orders_started_total", "sagas started", "counter")
ORDERS_COMPLETED = Metric("ordersaga_orders_completed_total", "orders completed", "counter")
ORDERS_REJECTED = Metric(
    "ordersaga_orders_rejected_total",
    "orders rejected, by reason code (OutOfStock, PaymentDeclined, Timeout, ...)",
    "counter",
    ("reason",),
)
ORDERS_CANCELLED = Metric("ordersaga_orders_cancelled_total", "orders cancelled", "counter")
ORDERS_NEEDING_ATTENTION = Metric(
    "ordersaga_orders_needing_attention_total",
    "times a saga went NEEDS_ATTENTION (a step or an undo ran out of retries)",
    "counter",
)
STEP_SECONDS = Metric(
    "ordersaga_saga_step_seconds",
    "a saga step's time from its start to its first outcome (done or failed), by step",
    "histogram",
    ("step", "outcome"),
    SECONDS,
)
COMPENSATIONS = Metric(
    "ordersaga_compensations_total",
    "undos run by a rollback, by the step undone (outcome: done or failed)",
    "counter",
    ("step", "outcome"),
)

# The service host (inventory, payment; the orders service in the worker).
COMMANDS_HANDLED = Metric(
    "ordersaga_commands_handled_total",
    "commands applied for the first time, by service, command and outcome (accepted, rejected)",
    "counter",
    ("service", "command", "outcome"),
)
COMMANDS_DEDUPLICATED = Metric(
    "ordersaga_commands_deduplicated_total",
    "commands seen before (redelivered or re-sent), answered from the stored reply",
    "counter",
    ("service", "command"),
)
OUTBOX_BACKLOG = Metric(
    "ordersaga_outbox_backlog",
    "committed events the outbox relay has not published yet, by service",
    "gauge",
    ("service",),
)
DEAD_LETTERS = Metric(
    "ordersaga_dead_letters_total",
    "messages the service sent to its dead-letter queue (unparseable, or its handler failed)",
    "counter",
    ("service",),
)

# The projector.
PROJECTOR_LAG = Metric(
    "ordersaga_projector_lag_events",
    "events a source has that the serving build of the read model has not applied, by source",
    "gauge",
    ("source",),
)
PROJECTOR_DEAD_LETTERS = Metric(
    "ordersaga_projector_dead_letters_total",
    "events a build of the read model could not apply (or the source parked), set aside in "
    "its dead letters, by source (a rebuild counts them again)",
    "counter",
    ("source",),
)

# The API.
HTTP_REQUESTS = Metric(
    "ordersaga_http_requests_total",
    "API requests answered, by method, route template and status",
    "counter",
    ("method", "route", "status"),
)
HTTP_SECONDS = Metric(
    "ordersaga_http_request_seconds",
    "API request durations, by method and route template",
    "histogram",
    ("method", "route"),
    SECONDS,
)

ALL = (
    ORDERS_STARTED,
    ORDERS_COMPLETED,
    ORDERS_REJECTED,
    ORDERS_CANCELLED,
    ORDERS_NEEDING_ATTENTION,
    STEP_SECONDS,
    COMPENSATIONS,
    COMMANDS_HANDLED,
    COMMANDS_DEDUPLICATED,
    OUTBOX_BACKLOG,
    DEAD_LETTERS,
    PROJECTOR_LAG,
    PROJECTOR_DEAD_LETTERS,
    HTTP_REQUESTS,
    HTTP_SECONDS,
)
