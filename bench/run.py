"""What the three benchmarks share: their common options, a scratch directory, and leaving via os._exit."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console

from plumbing.exit import leave

progress_console = Console(stderr=True)
out = Console()


def parser(prog: str, description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m {prog}", description=description)
    p.add_argument(
        "--address",
        help="use this Temporal server (search attributes registered, e.g. by `nrm up`) "
        "instead of starting a dev server per phase; database bytes are then not measured",
    )
    p.add_argument("--out", type=Path, help="directory for the results file (default bench/results/)")
    p.add_argument("--profile", type=Path, help="directory for py-spy profiles of the workers (speedscope JSON)")
    return p


def comparison_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The options of the benchmarks that drive nrmflow cases and baseline workflows side by side."""
    p = parser(prog, description)
    p.add_argument("--concurrency", type=int, default=20, help="cases (and baseline workflows) driven at once")
    p.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="alternating rounds (nrmflow, baseline, baseline, nrmflow, ...) that share the cases out",
    )
    p.add_argument(
        "--policy",
        default="osce-model",
        help="policy name or .toml path; on the default, real policy no timer fires during a run, so both "
        "sides do the same work (with seconds-scale ones, the slower side meets more reminders)",
    )
    p.add_argument(
        "--baseline-upserts",
        action="store_true",
        help="the baseline also makes each step's search-attribute upserts, as many as a case does",
    )
    return p


def where(args: argparse.Namespace) -> str:
    return args.address or "own dev server per phase (SQLite)"


def main(bench: Callable[[argparse.Namespace, Path], Awaitable[Path]], args: argparse.Namespace) -> None:
    """Run one benchmark in a scratch directory (server database, keys, outbox, logs) and leave via os._exit."""
    sys.dont_write_bytecode = False  # as deployed (see bench.worker_process); replay runs workflows in this process
    if getattr(args, "profile", None):
        args.profile.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix="nrm-bench-") as scratch:
            path = asyncio.run(bench(args, Path(scratch)))
        print(f"results: {path}", flush=True)
    except Exception:
        traceback.print_exc()
        leave(1)
    leave(0)


def profile_path(args: argparse.Namespace, name: str) -> Path | None:
    return args.profile / f"{name}.speedscope.json" if args.profile else None
