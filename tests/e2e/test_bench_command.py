"""`ordersaga bench` with a tiny load: it brings its own system up, seeds its own catalog,
measures every phase and writes the JSON the issue asks for. It asserts that it works, never a
speed."""

import json
import subprocess
from pathlib import Path

import aio_pika
import aio_pika.exceptions

from ordersaga.rabbitmq.topology import Topology
from tests.e2e.conftest import ORDERSAGA

TINY = [
    *("--orders", "6", "--sequential", "2", "--concurrency", "3"),
    *("--open-loop-seconds", "1", "--catch-up-events", "300", "--hops", "5", "--quiet"),
]


def run_bench(tmp_path: Path, *args: str) -> dict:  # type: ignore[type-arg]
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [ORDERSAGA, "bench", *TINY, *args, "--json", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=170,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "saga over floor A" in done.stdout
    figures: dict = json.loads(out.read_text())  # type: ignore[type-arg]
    return figures


async def test_bench_measures_the_floors_the_saga_the_api_and_the_read_model(
    rabbitmq_url: str, tmp_path: Path
) -> None:
    figures = run_bench(tmp_path, "--reject-share", "0.34", "--cancel-share", "0.34")
    for kind in ("floor_b", "floor_a", "saga"):
        for run in ("sequential", "concurrent"):
            measured = figures[kind][run]
            assert measured["failed"] == 0, measured["first_failure"]
            assert measured["throughput_per_s"] > 0 and measured["p99_ms"] > 0
            assert measured["processes"]["worker"]["peak_rss_mib"] > 0
    for ratio in ("throughput_ratio", "sequential_p50_ratio", "throughput_ratio_b",
                  "sequential_p50_ratio_b"):  # fmt: skip
        assert figures[ratio] > 0
    assert figures["saga"]["histories"]["workflows"] == 2 + 6  # the warm-up is not counted
    assert figures["saga"]["histories"]["events_per_workflow"] > 10
    assert figures["api_post"]["failed"] == 0 and figures["api_post_light"]["failed"] == 0
    assert 0 < figures["api_post"]["cpu_busy_share"] <= 1
    assert figures["saga_code"]["sequential"]["failed"] == 0  # the saga with its steps stubbed
    for kind in ("saga", "floor_a", "saga_code"):  # where one at a time spends its time
        timeline = figures[kind]["sequential"]["timeline"]
        assert timeline["total_ms"] >= timeline["first_task_ms"] > 0
    assert figures["read_model_catch_up"]["events"] >= 300
    assert figures["read_model_live_lag"]["samples"] > 0
    for hop in ("bus", "query", "command"):
        assert figures["hops"][hop]["failed"] == 0 and figures["hops"][hop]["p50_ms"] > 0
        assert figures["hops"][hop]["cpu_ms_per_round_trip"]["inventory"] >= 0
    assert not await queues_left(rabbitmq_url, figures["bus_prefix"])


async def queues_left(rabbitmq_url: str, prefix: str) -> list[str]:
    """The run's durable queues still on the broker (a passive declare fails for a gone one)."""
    topology, left = Topology(prefix), []
    queues = [topology.command_queue("inventory"), topology.query_queue("orders"),
              topology.projector_queue]  # fmt: skip
    async with await aio_pika.connect(rabbitmq_url) as connection:
        for queue in queues:
            channel = await connection.channel()
            try:
                await channel.declare_queue(queue, passive=True)
                left.append(queue)
            except aio_pika.exceptions.ChannelNotFoundEntity:
                pass
    return left
