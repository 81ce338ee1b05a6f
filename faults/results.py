"""Where a scenario's figures go: one JSON file under faults/results/ (or `--out`) with the machine, the versions
and the git commit measured (bench.report), and a short table on the terminal."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.run import out

RESULTS = Path(__file__).parent / "results"


def directory(args: Any) -> Path:
    return args.out or RESULTS


def histories_dir(args: Any, scenario: str) -> Path:
    """Where the histories of unexpected cases of this run go: beside its results file."""
    return directory(args) / "histories" / f"{scenario}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"


def spread(values: list[float]) -> dict[str, float | int | None]:
    """Count, median, 95th percentile and maximum, rounded (seconds or milliseconds as given)."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 3),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3),
        "max": round(ordered[-1], 3),
    }


def write(
    scenario: str,
    machine: dict[str, Any],
    parameters: dict[str, Any],
    figures: dict[str, Any],
    rows: list[tuple[str, Any]],
    args: Any,
) -> Path:
    report.table(scenario, ("", "count"), rows, out)
    return report.write(scenario, machine, parameters, figures, directory(args))
