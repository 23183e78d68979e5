"""The benchmark's own arithmetic: the order mix, percentiles and ratios."""

from collections import Counter
from typing import NamedTuple

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from ordersaga.bench.load import Run
from ordersaga.bench.orders import Mix
from ordersaga.bench.processes import busy_share
from ordersaga.bench.run import _ratios
from ordersaga.bench.timeline import phases_of


def test_the_mix_spreads_rejections_and_cancels_evenly_in_their_shares() -> None:
    kinds = [Mix(reject_share=0.1, cancel_share=0.2).kind(n) for n in range(1000)]
    counted = Counter(kinds)
    assert abs(counted["reject"] - 100) <= 2 and abs(counted["cancel"] - 200) <= 2
    first_hundred = Counter(kinds[:100])
    assert abs(first_hundred["reject"] - 10) <= 2 and abs(first_hundred["cancel"] - 20) <= 2
    assert {Mix().kind(n) for n in range(100)} == {"happy"}


class CpuTimes(NamedTuple):
    user: float
    system: float
    idle: float
    iowait: float


def test_the_cpus_busy_share_counts_idle_and_io_wait_as_not_busy() -> None:
    before = CpuTimes(user=10.0, system=5.0, idle=80.0, iowait=5.0)
    after = CpuTimes(user=16.0, system=7.0, idle=90.0, iowait=7.0)
    assert busy_share(before, after) == 0.4  # 8 busy of 20 seconds
    assert busy_share(before, before) == 0.0


class GuestCpuTimes(NamedTuple):
    user: float
    idle: float
    guest: float


def test_the_cpus_busy_share_does_not_count_a_guests_time_twice() -> None:
    before = GuestCpuTimes(user=0.0, idle=0.0, guest=0.0)
    after = GuestCpuTimes(user=5.0, idle=5.0, guest=5.0)  # the guest's 5 s are within user's
    assert busy_share(before, after) == 0.5


def test_a_run_reports_throughput_over_its_wall_time_and_counts_failures() -> None:
    run = Run(latencies=[0.1] * 98 + [0.5, 1.0], seconds=4.0, failures=["Boom"])
    figures = run.figures()
    assert figures["requests"] == 101 and figures["failed"] == 1
    assert figures["throughput_per_s"] == 25.0
    assert figures["p50_ms"] == 100.0 and figures["p99_ms"] == 500.0


def test_ratios_put_the_saga_over_each_floor() -> None:
    def kind(per_s: float, p50: float) -> dict:  # type: ignore[type-arg]
        return {"concurrent": {"throughput_per_s": per_s}, "sequential": {"p50_ms": p50}}

    ratios = _ratios({"saga": kind(8, 130), "floor_a": kind(10, 100), "floor_b": kind(16, 65)})
    assert ratios == {
        "throughput_ratio": 0.8,
        "sequential_p50_ratio": 1.3,
        "throughput_ratio_b": 0.5,
        "sequential_p50_ratio_b": 2.0,
    }


def _event(kind: "EventType.ValueType", at_ms: int) -> HistoryEvent:
    event = HistoryEvent(event_type=kind)
    event.event_time.FromMilliseconds(1_700_000_000_000 + at_ms)
    return event


def test_a_timeline_splits_a_history_at_its_first_task_and_last_regular_activity() -> None:
    history = [
        _event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 0),
        _event(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 0),
        _event(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, 5),
        _event(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 65),
        _event(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 80),
        _event(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, 83),
        _event(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 90),
        _event(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 95),
        _event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 120),
    ]
    phases = phases_of(history)
    assert phases is not None
    assert {name: round(seconds * 1000) for name, seconds in phases.items()} == {
        "queued": 5, "first_task": 60, "regular_steps": 30, "last_tasks": 25, "total": 120
    }  # fmt: skip
    assert phases_of(history[:-1]) is None  # still running: not a figure
