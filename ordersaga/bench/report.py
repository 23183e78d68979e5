"""The benchmark's figures as a short table to read (the JSON holds all of them)."""

from typing import Any

KINDS = (("floor B", "floor_b"), ("floor A", "floor_a"), ("saga", "saga"))
TIMED = (("floor A", "floor_a"), ("saga, steps stubbed", "saga_code"), ("saga", "saga"))


def summary(figures: dict[str, Any]) -> str:
    rows = [f"{'':<10}{'run':<12}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
            f"{'failed':>8}{'CPU ms/run':>12}"]  # fmt: skip
    for title, key in KINDS:
        for run in ("sequential", "concurrent"):
            f = figures[key][run]
            rows.append(
                f"{title:<10}{run:<12}{f['throughput_per_s']:>8}{f['p50_ms']:>9}{f['p95_ms']:>9}"
                f"{f['p99_ms']:>9}{f['failed']:>8}{f['processes']['cpu_ms_per_request']:>12}"
            )
    saga = figures["saga"]
    history = saga["histories"]
    cpu = saga["concurrent"]["processes"]
    rows += [
        "",
        "saga over floor A: throughput x{throughput_ratio}, "
        "sequential p50 x{sequential_p50_ratio}".format(**figures),
        "saga over floor B: throughput x{throughput_ratio_b}, "
        "sequential p50 x{sequential_p50_ratio_b}".format(**figures),
        "the saga with its steps stubbed (its own workflow code), one at a time: p50 "
        f"{figures['saga_code']['sequential']['p50_ms']} ms",
        f"per saga: {history['events_per_workflow']} history events, "
        f"{history['workflow_tasks_per_workflow']} workflow tasks; longest workflow task "
        f"{history['longest_workflow_task_ms']} ms, {history['workflow_tasks_over_1s']} over 1 s, "
        f"{history['timed_out_step_attempts']} timed-out step attempts",
        "one at a time, median ms (queued / first task / regular steps / last tasks / total): "
        + "; ".join(_timeline(title, figures[key]) for title, key in TIMED),
        "CPU s / peak RSS MiB while sagas ran at once: "
        + ", ".join(
            f"{role} {v['cpu_s']}/{v['peak_rss_mib']}"
            for role, v in cpu.items()
            if isinstance(v, dict)
        ),
        "POST /orders at {rate_per_s}/s (80 % of peak): p50 {p50_ms} ms, p95 {p95_ms} ms, "
        "p99 {p99_ms} ms, {failed} failed, CPUs {cpu_busy_share:.0%} busy".format(
            **figures["api_post"]
        )
        + "; at {rate_per_s}/s (20 %): p50 {p50_ms} ms, p99 {p99_ms} ms, CPUs "
        "{cpu_busy_share:.0%} busy".format(**figures["api_post_light"]),
        "one hop at a time, p50 and CPU ms (bench/inventory/rabbitmq) per round trip: "
        + "; ".join(_hop(name, f) for name, f in figures["hops"].items()),
        "read model: catch-up {events_per_second} events/s; ".format(
            **figures["read_model_catch_up"]
        )
        + "live lag p50 {p50_ms} ms, p99 {p99_ms} ms over {samples} events".format(
            **figures["read_model_live_lag"]
        ),
    ]
    if "soak" in figures:
        rows.append(f"soak: {figures['soak']}")
    return "\n".join(rows)


def _timeline(title: str, figures: dict[str, Any]) -> str:
    phases = figures["sequential"].get("timeline") or {}
    return f"{title} " + " / ".join(str(ms) for ms in phases.values())


def _hop(name: str, figures: dict[str, Any]) -> str:
    cpu = "/".join(str(ms) for ms in figures["cpu_ms_per_round_trip"].values())
    return f"{name} {figures['p50_ms']} ms, {cpu}"
