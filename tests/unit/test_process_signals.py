"""`run_until_signalled`: the first SIGTERM asks the process to stop (its work in flight may
finish); a second one stops it at once, with exit code 1."""

import os
import signal
import subprocess
import sys
import time

CHILD = """
import asyncio
from ordersaga.process import run_until_signalled
from ordersaga.telemetry.settings import TelemetrySettings

async def main(stop: asyncio.Event) -> None:
    print("serving", flush=True)
    await stop.wait()
    await asyncio.sleep({drain_seconds})  # work in flight, finishing

run_until_signalled(main, TelemetrySettings(), "child")
"""


def started(drain_seconds: float) -> subprocess.Popen[str]:
    env = {**os.environ, "ORDERSAGA_LOG_FORMAT": "text", "ORDERSAGA_TRACING": "off"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(drain_seconds=drain_seconds)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "serving"
    return child


def test_sigterm_lets_the_work_in_flight_finish_and_exits_0() -> None:
    child = started(drain_seconds=0.5)

    child.send_signal(signal.SIGTERM)
    output, _ = child.communicate(timeout=20)

    assert child.returncode == 0, output
    assert "INFO ordersaga.process SIGTERM: child is stopping" in output
    assert output.rstrip().endswith("INFO ordersaga.process child stopped")


def test_a_second_signal_stops_at_once_with_exit_1() -> None:
    child = started(drain_seconds=60)

    child.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    began = time.monotonic()
    child.send_signal(signal.SIGINT)
    output, _ = child.communicate(timeout=20)

    assert child.returncode == 1, output
    assert time.monotonic() - began < 10
    assert "SIGINT again: child stops now, not waiting for work in flight" in output
    assert "child stopped" not in output
