"""Percentiles and the printed table of a benchmark's figures."""

import json
import math
from pathlib import Path
from typing import Any


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))
    return ordered[rank]


def spread(values: list[float]) -> dict[str, float]:
    """p50, p99 and max, in milliseconds, of values in seconds."""
    return {
        "p50_ms": round(percentile(values, 0.50) * 1000, 1),
        "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        "max_ms": round(max(values, default=0.0) * 1000, 1),
        "samples": len(values),
    }


def report(figures: dict[str, Any], json_path: Path | None) -> None:
    for section, values in figures.items():
        print(f"{section}:")
        for name, value in values.items():
            print(f"  {name:<28} {value}")
    if json_path is not None:
        json_path.write_text(json.dumps(figures, indent=2))
        print(f"written to {json_path}")
