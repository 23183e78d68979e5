"""Where one workflow's time goes, read off its recorded history: the figures that show where a
saga run one at a time spends what floor A (the same shape with no-op steps) does not.

Each phase is a median over the workflows given, in ms, by the server's event times:

- `queued`: started until its first workflow task is picked up;
- `first_task`: that task, with the local steps it runs (the saga's create, reserve, authorize
  and approve);
- `regular_steps`: from then until the last regular activity completed (capture and commit);
- `last_tasks`: from then until the workflow completed (complete and notify, and a task
  between the two regular activities when they complete apart);
- `total`: started until completed.
"""

import statistics
from collections.abc import Sequence
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

PHASES = ("queued", "first_task", "regular_steps", "last_tasks", "total")


def timeline_figures(histories: Sequence[Sequence[HistoryEvent]]) -> dict[str, float]:
    """The median of each phase over `histories` (fetched by histories.py's `histories_of`)."""
    phases = [found for events in histories if (found := phases_of(events)) is not None]
    if not phases:
        return {}
    return {
        f"{name}_ms": round(statistics.median(p[name] for p in phases) * 1000, 1) for name in PHASES
    }


def phases_of(events: Sequence[HistoryEvent]) -> dict[str, float] | None:
    """One history's phases in seconds; None for a workflow that did not complete."""
    at: dict[str, float] = {}
    for event in events:
        when = event.event_time.ToDatetime().timestamp()
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            at["started"] = when
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            at.setdefault("first_task_started", when)
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            at.setdefault("first_task_done", when)
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            at["regular_done"] = when
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            at["completed"] = when
    if not {"started", "first_task_started", "first_task_done", "completed"} <= at.keys():
        return None
    regular_done = at.get("regular_done", at["first_task_done"])
    return _phases(at, regular_done)


def _phases(at: dict[str, Any], regular_done: float) -> dict[str, float]:
    return {
        "queued": at["first_task_started"] - at["started"],
        "first_task": at["first_task_done"] - at["first_task_started"],
        "regular_steps": regular_done - at["first_task_done"],
        "last_tasks": at["completed"] - regular_done,
        "total": at["completed"] - at["started"],
    }
