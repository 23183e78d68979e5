"""Running one kind of request many times, one after another or many at once, and what it took.

A request is `one(n)`: it returns when its work is done (a saga's result, a floor's result, an
HTTP answer) and raises if it failed. Latency is per request; throughput is requests over the
wall time of the whole run.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ordersaga.bench.figures import percentile

One = Callable[[int], Awaitable[object]]
Tick = Callable[[], None]


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        done = len(self.latencies)
        return {
            "requests": done + len(self.failures),
            "failed": len(self.failures),
            "first_failure": self.failures[0] if self.failures else None,
            "seconds": round(self.seconds, 2),
            "throughput_per_s": round(done / self.seconds, 2) if self.seconds else 0.0,
            "p50_ms": _ms(percentile(self.latencies, 0.50)),
            "p95_ms": _ms(percentile(self.latencies, 0.95)),
            "p99_ms": _ms(percentile(self.latencies, 0.99)),
        }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def sequential(one: One, count: int, tick: Tick) -> Run:
    run, began = Run(), time.perf_counter()
    for n in range(count):
        await _timed(one, n, run, tick)
    run.seconds = time.perf_counter() - began
    return run


async def concurrent(one: One, count: int, concurrency: int, tick: Tick) -> Run:
    """`count` requests, at most `concurrency` in flight: a closed loop at the system's pace."""
    run, began, gate = Run(), time.perf_counter(), asyncio.Semaphore(concurrency)

    async def gated(n: int) -> None:
        async with gate:
            await _timed(one, n, run, tick)

    await asyncio.gather(*(gated(n) for n in range(count)))
    run.seconds = time.perf_counter() - began
    return run


async def at_rate(one: One, rate: float, seconds: float, tick: Tick) -> Run:
    """An open loop: a request every 1/rate seconds for `seconds`, whatever the answers take."""
    run, began, tasks = Run(), time.perf_counter(), []
    for n in range(max(1, int(rate * seconds))):
        await asyncio.sleep(max(0.0, began + n / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(_timed(one, n, run, tick)))
    await asyncio.gather(*tasks)
    run.seconds = time.perf_counter() - began
    return run


async def _timed(one: One, n: int, run: Run, tick: Tick) -> None:
    began = time.perf_counter()
    try:
        await one(n)
    except Exception as error:  # noqa: BLE001 - a failed request is a figure, not a crash
        run.failures.append(f"{type(error).__name__}: {error}"[:300])
    else:
        run.latencies.append(time.perf_counter() - began)
    tick()
