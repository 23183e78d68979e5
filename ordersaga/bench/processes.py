"""CPU seconds and peak memory of each process of the system, over one phase of a benchmark.

CPU is user + system time the process spent during the phase (its threads included). Peak RSS
is the largest resident set seen while sampling every `SAMPLE_SECONDS` during the phase.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import psutil

SAMPLE_SECONDS = 0.25
MIB = 1 << 20


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


@contextlib.asynccontextmanager
async def watching(
    processes: Callable[[], dict[str, psutil.Process]],
) -> AsyncIterator[dict[str, dict[str, Any]]]:
    """Yields a dict filled on exit: per role, `cpu_s` and `peak_rss_mib` over the block."""
    figures: dict[str, dict[str, Any]] = {}
    watched = processes()
    began = {role: _cpu(process) for role, process in watched.items()}
    peak = dict.fromkeys(watched, 0)
    stop = asyncio.Event()

    async def sample() -> None:
        while not stop.is_set():
            for role, process in watched.items():
                with contextlib.suppress(psutil.Error):
                    peak[role] = max(peak[role], process.memory_info().rss)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE_SECONDS)

    sampler = asyncio.create_task(sample())
    try:
        yield figures
    finally:
        stop.set()
        await sampler
        for role, process in watched.items():
            with contextlib.suppress(psutil.Error):
                figures[role] = {
                    "cpu_s": round(_cpu(process) - began[role], 2),
                    "peak_rss_mib": round(peak[role] / MIB, 1),
                }


def rss_mib(process: psutil.Process) -> float:
    return round(process.memory_info().rss / MIB, 1)


def busy_share(before: Any, after: Any) -> float:
    """How busy the machine's CPUs were between two `psutil.cpu_times()` readings, 0 to 1, as
    psutil's `cpu_percent` counts it: idle and I/O wait are not busy, and a guest's time is
    already in `user` and `nice`, so it is not counted twice."""

    def delta(keys: tuple[str, ...]) -> float:
        return sum(getattr(after, key, 0.0) - getattr(before, key, 0.0) for key in keys)

    total = sum(after) - sum(before) - delta(("guest", "guest_nice"))
    idle = delta(("idle", "iowait"))
    return round(1 - idle / total, 2) if total > 0 else 0.0
