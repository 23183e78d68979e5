"""The benchmark's own arithmetic: the order mix, percentiles and ratios."""

from collections import Counter

from ordersaga.bench.load import Run
from ordersaga.bench.orders import Mix
from ordersaga.bench.run import _ratios


def test_the_mix_spreads_rejections_and_cancels_evenly_in_their_shares() -> None:
    kinds = [Mix(reject_share=0.1, cancel_share=0.2).kind(n) for n in range(1000)]
    counted = Counter(kinds)
    assert abs(counted["reject"] - 100) <= 2 and abs(counted["cancel"] - 200) <= 2
    first_hundred = Counter(kinds[:100])
    assert abs(first_hundred["reject"] - 10) <= 2 and abs(first_hundred["cancel"] - 20) <= 2
    assert {Mix().kind(n) for n in range(100)} == {"happy"}


def test_a_run_reports_throughput_over_its_wall_time_and_counts_failures() -> None:
    run = Run(latencies=[0.1] * 98 + [0.5, 1.0], seconds=4.0, failures=["Boom"])
    figures = run.figures()
    assert figures["requests"] == 101 and figures["failed"] == 1
    assert figures["throughput_per_s"] == 25.0
    assert figures["p50_ms"] == 100.0 and figures["p99_ms"] == 500.0


def test_ratios_put_the_saga_over_each_floor() -> None:
    def kind(per_s: float, p50: float) -> dict:  # type: ignore[type-arg]
        return {"concurrent": {"throughput_per_s": per_s}, "sequential": {"p50_ms": p50}}

    ratios = _ratios({"saga": kind(8, 130), "floor_a": kind(10, 100), "floor_b": kind(16, 65)})
    assert ratios == {
        "throughput_ratio": 0.8,
        "sequential_p50_ratio": 1.3,
        "throughput_ratio_b": 0.5,
        "sequential_p50_ratio_b": 2.0,
    }
