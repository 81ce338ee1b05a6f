"""What every benchmark writes: the machine, the versions, the parameters and the figures as one JSON file under
bench/results/ (or `--out`), and the same figures as a table on the terminal."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from starter.up import temporal_binary

RESULTS = Path(__file__).parent / "results"
REPO = Path(__file__).parents[1]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    return {
        "system": f"{platform.system()} {platform.release()}",
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        "load_average": os.getloadavg(),  # call it before the run: the machine may be shared with other work
        "python": platform.python_version(),
    }


def _package(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _command(*args: str) -> str | None:
    try:
        return subprocess.run(args, capture_output=True, text=True, check=True, cwd=REPO).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def versions() -> dict[str, Any]:
    return {
        **{name: _package(name) for name in ("nrmflow", "temporalio", "pydantic", "cryptography")},
        "temporal_cli": _command(temporal_binary(), "--version"),
        "git_commit": _command("git", "rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_command("git", "status", "--porcelain", "--untracked-files=no")),
    }


def latency_ms(seconds: list[float]) -> dict[str, float | int]:
    """p50/p95/p99 and mean of round trips, in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    if len(ms) < 2:
        ms = ms * 2 or [0.0, 0.0]
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {
        "n": len(seconds),
        "p50": round(cuts[49], 2),
        "p95": round(cuts[94], 2),
        "p99": round(cuts[98], 2),
        "mean": round(statistics.fmean(ms), 2),
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def write(
    bench: str, machine_before: dict[str, Any], parameters: dict[str, Any], figures: dict[str, Any], out: Path | None
) -> Path:
    directory = out or RESULTS
    directory.mkdir(parents=True, exist_ok=True)
    finished = datetime.now(UTC)
    path = directory / f"{bench}-{finished.strftime('%Y%m%dT%H%M%SZ')}.json"
    body = {
        "benchmark": bench,
        "finished_at": finished.isoformat(),
        "machine": machine_before,
        "versions": versions(),
        "parameters": parameters,
        "figures": figures,
    }
    path.write_text(json.dumps(body, indent=2) + "\n")
    return path


def table(title: str, header: tuple[str, ...], rows: list[tuple[Any, ...]], console: Console) -> None:
    t = Table(title=title)
    for i, name in enumerate(header):
        t.add_column(name, justify="left" if i == 0 else "right")
    for row in rows:
        t.add_row(
            *(
                "-" if v is None else f"{v:,.3f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)
                for v in row
            )
        )
    console.print(t)
