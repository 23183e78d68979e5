"""The timeouts and retries of each way a saga step's activity runs (step_calls.py runs them),
decided once because they shape every recorded history.

- A step declared local-first is first tried as one local activity attempt: a short command
  round trip (a few ms) recorded as a marker, with no activity-task dispatch through the server.
- A step that gets no quick answer (a service is down or slow) continues as a regular activity
  for the rest of its deadline. A local activity would hold the workflow task open while it
  waits, and with it queries, updates and timers; a regular activity waits on the server's
  timers while the saga stays responsive. Past the deadline the saga compensates.
- Capture and commit are regular activities from the start: nothing irreversible may run in a
  workflow task that can be lost. Compensations are regular activities too: they may have to
  wait out an outage, so they run on the server's timers, appear as pending activities with
  their attempt count in the UI, and do not hold a workflow task while they wait.
- Business rejections are never retried.
"""

from datetime import timedelta
from typing import Any

from temporalio.common import RetryPolicy

from ordersaga.contracts.rejections import RejectionCode
from ordersaga.contracts.saga import SagaTimeouts

NON_RETRYABLE = [code.value for code in RejectionCode] + ["UnexpectedReply"]


def quick_try(timeouts: SagaTimeouts) -> dict[str, Any]:
    """The first try of a step: one local activity attempt, as long as one reply may take."""
    return {
        "start_to_close_timeout": timeouts.attempt,
        "retry_policy": RetryPolicy(maximum_attempts=1),
    }


def patient_try(timeouts: SagaTimeouts, remaining: timedelta) -> dict[str, Any]:
    """The rest of a forward step's deadline, as a regular activity retried by the server."""
    return {
        "start_to_close_timeout": timeouts.attempt,
        "schedule_to_close_timeout": max(remaining, timedelta(seconds=1)),
        "retry_policy": RetryPolicy(
            initial_interval=timedelta(milliseconds=200),
            maximum_interval=timedelta(seconds=2),
            non_retryable_error_types=NON_RETRYABLE,
        ),
    }


def compensation(timeouts: SagaTimeouts) -> dict[str, Any]:
    """Retried until they succeed; past the window the saga asks an operator (NEEDS_ATTENTION)."""
    return {
        "start_to_close_timeout": timeouts.attempt,
        "schedule_to_close_timeout": timeouts.compensation,
        "retry_policy": RetryPolicy(
            initial_interval=timedelta(milliseconds=500),
            maximum_interval=timedelta(seconds=15),
            non_retryable_error_types=NON_RETRYABLE,
        ),
    }
