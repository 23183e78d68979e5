"""Every committed history replays against the current workflow code.

A failure here means a deploy of this code would break executions that took that path: make the
change behind `workflow.patched` (docs/versioning.md) instead of re-recording the history.
"""

from pathlib import Path

import pytest

from ordersaga.replay import load_history, make_replayer
from tests.replay.scenarios import SCENARIOS, VERSION, expected_histories, history_name

HISTORIES = Path(__file__).parent / "histories"
FILES = sorted(HISTORIES.glob("*.json"))


@pytest.mark.parametrize("path", FILES, ids=[file.stem for file in FILES])
async def test_history_replays_against_the_current_code(path: Path) -> None:
    await make_replayer().replay_workflow(load_history(path))  # raises NondeterminismError


def test_every_recorded_path_is_committed() -> None:
    missing = expected_histories() - {file.name for file in FILES}
    assert not missing, f"missing histories (record them, never delete them): {sorted(missing)}"


def test_the_current_version_records_every_path() -> None:
    current = {history_name(VERSION, path) for path in SCENARIOS}
    assert current <= expected_histories(), (
        f"record {VERSION} (python -m tests.replay.record) and list it in RECORDED "
        "(tests/replay/scenarios.py)"
    )
