"""The replay tests guard something: changed workflow code fails to replay the histories."""

from pathlib import Path

import pytest
from temporalio.workflow import NondeterminismError

from ordersaga.replay import load_history, make_replayer, replay_file
from tests.replay.drifted_workflows import (
    AuthorizeBeforeReserve,
    FraudCheckWithoutPatch,
    NotifyPatchDeprecated,
    NotifyWithoutPatch,
)

HISTORIES = Path(__file__).parent / "histories"
STEMS = {path.stem for path in HISTORIES.glob("*.json")}
COMPLETED = ("happy-path", "cancel-refused-after-pivot", "capture-retried")
"""The paths that reach the notify-customer step."""
PATCHED_NOTIFY = ("v1", "v2", "v3")
"""The versions whose notification sits behind the `notify-customer` patch (v4 notifies always)."""


async def test_a_step_added_without_a_patch_fails_every_history_with_nondeterminism() -> None:
    report = await replay_file(HISTORIES, make_replayer([FraudCheckWithoutPatch]))
    assert report.replayed == len(STEMS) > 0
    assert {failure.workflow_id for failure in report.failures} == STEMS
    assert all(failure.nondeterminism for failure in report.failures), report.summary()
    assert all("TMPRL1100" in failure.message for failure in report.failures)


async def test_the_replayer_raises_nondeterminism_error() -> None:
    history = load_history(HISTORIES / "v1-happy-path.json")
    with pytest.raises(NondeterminismError):
        await make_replayer([FraudCheckWithoutPatch]).replay_workflow(history)


async def test_reordered_steps_fail_every_history() -> None:
    """Swapping two local activities fails either on the marker's activity type
    (nondeterminism) or, when the recorded result is handed over first, on decoding it as the
    other step's result: both fail the workflow task, and both count as replay failures."""
    report = await replay_file(HISTORIES, make_replayer([AuthorizeBeforeReserve]))
    stops_at_create = {stem for stem in STEMS if stem.endswith("duplicate-order")}
    assert {failure.workflow_id for failure in report.failures} == STEMS - stops_at_create
    assert any(failure.nondeterminism for failure in report.failures)


async def test_the_notification_without_its_patch_guard_breaks_the_completed_histories() -> None:
    report = await replay_file(HISTORIES, make_replayer([NotifyWithoutPatch]))
    failed = {failure.workflow_id for failure in report.failures}
    assert failed == {f"{version}-{path}" for version in PATCHED_NOTIFY for path in COMPLETED}
    assert all(failure.nondeterminism for failure in report.failures), report.summary()


async def test_deprecating_the_patch_is_safe_only_once_v1_executions_are_gone() -> None:
    """`deprecate_patch` replays every v2 history, and none of the v1 ones that notify."""
    report = await replay_file(HISTORIES, make_replayer([NotifyPatchDeprecated]))
    failed = {failure.workflow_id for failure in report.failures}
    assert failed == {f"v1-{path}" for path in COMPLETED}
    assert all(failure.nondeterminism for failure in report.failures), report.summary()
