"""`ordersaga dev`'s supervisor: a child started quiet_when_stopping (the Temporal dev server) is
not heard once stopping began, unless it then fails to exit cleanly; the others always are."""

import asyncio
import sys
import time

import pytest

from ordersaga.cli.supervisor import Supervisor

CHILD = """
import signal, sys, time
def stop(*_):
    print("shutdown noise", flush=True)
    sys.exit({code})
signal.signal(signal.SIGTERM, stop)
print("started", flush=True)
time.sleep(60)
"""


async def output_of_a_stopped_child(
    capsys: pytest.CaptureFixture[str], code: int, quiet: bool
) -> str:
    """Start a child that says `started`, stop it (it says `shutdown noise` and exits with
    `code`); everything the supervisor printed."""
    supervisor, seen = Supervisor(), ""
    argv = [sys.executable, "-c", CHILD.format(code=code)]
    await supervisor.start("temporal", argv, {}, quiet_when_stopping=quiet)
    deadline = time.monotonic() + 20
    while "started" not in seen:
        assert time.monotonic() < deadline, seen
        await asyncio.sleep(0.05)
        seen += capsys.readouterr().out
    await supervisor.stop_all()
    return seen + capsys.readouterr().out


async def test_a_quiet_childs_clean_shutdown_is_not_shown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output = await output_of_a_stopped_child(capsys, code=0, quiet=True)

    assert " temporal | started" in output
    assert "shutdown noise" not in output


async def test_a_quiet_child_that_fails_while_stopping_shows_its_last_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output = await output_of_a_stopped_child(capsys, code=3, quiet=True)

    assert "temporal exited with 3 while stopping; its last lines:" in output
    assert " temporal | shutdown noise" in output


async def test_another_childs_shutdown_is_shown(capsys: pytest.CaptureFixture[str]) -> None:
    output = await output_of_a_stopped_child(capsys, code=0, quiet=False)

    assert " temporal | shutdown noise" in output
