"""How each kind of saga step runs, decided once because it shapes every recorded history.

- Forward steps are local activities: each is a short command round trip (a few ms), and a
  local activity is recorded as a marker in the workflow task that ran it, which saves the
  activity-task dispatch of a regular activity. They are retried by the worker within the
  step's deadline (`schedule_to_close`); past it the saga compensates.
- Compensations are regular activities: they may have to wait out a participant outage, so they
  run on the server's timers, appear as pending activities with their attempt count in the UI,
  and do not hold a workflow task while they wait.
- Business rejections are never retried.
"""

from datetime import timedelta
from typing import Any

from temporalio.common import RetryPolicy

from contracts.rejections import RejectionCode
from contracts.saga import SagaTimeouts

NON_RETRYABLE = [code.value for code in RejectionCode] + ["UnexpectedReply"]


def forward_step(timeouts: SagaTimeouts) -> dict[str, Any]:
    return {
        "start_to_close_timeout": timeouts.attempt,
        "schedule_to_close_timeout": timeouts.step,
        "retry_policy": RetryPolicy(
            initial_interval=timedelta(milliseconds=200),
            maximum_interval=timedelta(seconds=2),
            non_retryable_error_types=NON_RETRYABLE,
        ),
    }


def after_pivot(timeouts: SagaTimeouts) -> dict[str, Any]:
    """Approve and capture: retried until they succeed or the window runs out."""
    return {
        "start_to_close_timeout": timeouts.attempt,
        "schedule_to_close_timeout": timeouts.compensation,
        "retry_policy": RetryPolicy(
            initial_interval=timedelta(milliseconds=200),
            maximum_interval=timedelta(seconds=10),
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
