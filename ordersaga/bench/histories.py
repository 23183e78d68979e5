"""What the recorded histories of a phase's workflows say: events per workflow, workflow tasks
and the longest one, and step attempts that ran past their timeout (a timed-out activity, or a
local activity's marker that recorded a timeout)."""

import asyncio
import statistics
from collections.abc import Sequence
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

SLOW_TASK_SECONDS = 1.0
AT_ONCE = 16

TASK_ENDS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
}


async def histories_of(client: Client, workflow_ids: Sequence[str]) -> list[list[HistoryEvent]]:
    """Each workflow's recorded events, fetched `AT_ONCE` at a time."""
    gate = asyncio.Semaphore(AT_ONCE)

    async def events_of(workflow_id: str) -> list[HistoryEvent]:
        async with gate:
            history = await client.get_workflow_handle(workflow_id).fetch_history()
            return list(history.events)

    return await asyncio.gather(*(events_of(id_) for id_ in workflow_ids))


def history_figures(histories: Sequence[list[HistoryEvent]]) -> dict[str, Any]:
    tasks = [seconds for events in histories for seconds in _task_seconds(events)]
    return {
        "workflows": len(histories),
        "events_per_workflow": round(statistics.mean(map(len, histories)), 1) if histories else 0,
        "workflow_tasks_per_workflow": round(len(tasks) / len(histories), 1) if histories else 0,
        "longest_workflow_task_ms": round(max(tasks, default=0.0) * 1000, 1),
        "workflow_tasks_over_1s": sum(seconds > SLOW_TASK_SECONDS for seconds in tasks),
        "timed_out_step_attempts": sum(_timed_out(events) for events in histories),
    }


def _task_seconds(events: list[HistoryEvent]) -> list[float]:
    """Each workflow task's time from started to its end, as the server recorded them."""
    started: float | None = None
    found = []
    for event in events:
        at = event.event_time.ToDatetime().timestamp()
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            started = at
        elif event.event_type in TASK_ENDS and started is not None:
            found.append(at - started)
            started = None
    return found


def _timed_out(events: list[HistoryEvent]) -> int:
    count = 0
    for event in events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            count += 1
        elif event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            failure = event.marker_recorded_event_attributes.failure
            count += _is_timeout(failure)
    return count


def _is_timeout(failure: Any) -> bool:
    while failure is not None and failure.ByteSize():
        if failure.HasField("timeout_failure_info"):
            return True
        failure = failure.cause if failure.HasField("cause") else None
    return False
