"""`python -m bench.cli_latency`: how long one `nrm` command takes as a whole process, as a coordinator feels it.

Starts a dev server and the real worker (as bench.throughput does), opens a case for every act timed, then runs
each command `--runs` times as a subprocess of its own: `nrm --help`, `nrm policies list` (no server),
`nrm case show REF` and `nrm case decide stage1 REF ...` (one act end to end: start, imports, connection, the
signed Update, the status shown), with `temporal --help` (the Go CLI) beside them as the floor of a process start.
`--code DIR` (repeatable) times the `nrm` of another checkout (its `PYTHONPATH`), e.g. the main branch before a
change, in alternating rounds with this one, so that both meet the same load of the machine.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

from bench import report
from bench.drive import AUTHORITY, Timings, open_case
from bench.run import main, out, parser, where
from bench.server import CODE, NRM, site
from bench.worker_process import WorkerProcess
from starter.client import NrmClient
from starter.up import temporal_binary

COMMANDS = ("temporal --help", "nrm --help", "nrm policies list", "nrm case show", "nrm case decide")


@dataclass
class Tree:
    """A checkout whose `nrm` is timed: its code comes first on PYTHONPATH."""

    path: Path

    @property
    def commit(self) -> str | None:
        run = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=self.path, capture_output=True, text=True)
        return run.stdout.strip() or None


def _argv(command: str, reference: str) -> list[str]:
    if command == "temporal --help":
        return [temporal_binary(), "--help"]
    if command == "nrm --help":
        return [NRM, "--help"]
    if command == "nrm policies list":
        return [NRM, "policies", "list"]
    if command == "nrm case show":
        return [NRM, "case", "show", reference]
    return [
        *(NRM, "case", "decide", "stage1", reference, "--outcome", "positive"),
        *("--reasons", "bench: indicators present", "--as", f"{AUTHORITY.role.value}:{AUTHORITY.id}"),
    ]


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the command and its children) of one run, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = perf_counter()
    run = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} exited {run.returncode}: {run.stderr.strip()[-300:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _summary(walls: list[float], cpus: list[float]) -> dict[str, Any]:
    return {
        "runs": len(walls),
        "wall_s": {
            "min": round(min(walls), 3),
            "median": round(statistics.median(walls), 3),
            "max": round(max(walls), 3),
        },
        "cpu_s_median": round(statistics.median(cpus), 3),
    }


async def cli_latency(args: argparse.Namespace, scratch: Path) -> Path:
    machine = report.machine()
    trees = [Tree(CODE), *(Tree(p.resolve()) for p in args.code)]
    async with AsyncExitStack() as stack:
        home = await stack.enter_async_context(site(scratch, "cli", args.address))
        await stack.enter_async_context(WorkerProcess("nrmflow", home.settings, scratch / "worker.log"))
        nrm = NrmClient(home.client, home.settings)
        each = args.runs + args.warmup
        references = [await open_case(nrm, "osce-model", Timings()) for _ in range(each * len(trees))]
        samples: dict[tuple[int, str], tuple[list[float], list[float]]] = {}
        for n in range(each):
            # alternating rounds: this tree first in even rounds, the others first in odd ones
            order = list(enumerate(trees)) if n % 2 == 0 else list(enumerate(trees))[::-1]
            for t, tree in order:
                env = home.cli_environment(tree.path)
                for command in COMMANDS:
                    wall, cpu = _timed(_argv(command, references[n * len(trees) + t]), env)
                    if n >= args.warmup:
                        walls, cpus = samples.setdefault((t, command), ([], []))
                        walls.append(wall)
                        cpus.append(cpu)
            out.print(f"round {n + 1} of {each}", highlight=False)
    figures = {
        "trees": [
            {
                "path": str(tree.path),
                "commit": tree.commit,
                "commands": {c: _summary(*samples[(t, c)]) for c in COMMANDS},
            }
            for t, tree in enumerate(trees)
        ]
    }
    header = ("median wall s", *(f"{tree.path.name} ({tree.commit})" for tree in trees))
    rows = [(c, *(round(statistics.median(samples[(t, c)][0]), 3) for t in range(len(trees)))) for c in COMMANDS]
    report.table("one command, whole process", header, rows, out)
    parameters = {"runs": args.runs, "warmup": args.warmup, "address": where(args)}
    return report.write("cli_latency", machine, parameters, figures, args.out)


def cli() -> None:
    p = parser("bench.cli_latency", __doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=10, help="timed runs of each command")
    p.add_argument("--warmup", type=int, default=1, help="runs of each command first, untimed (disk caches, .pyc)")
    p.add_argument(
        "--code",
        type=Path,
        action="append",
        default=[],
        help="another checkout whose `nrm` to time alongside (e.g. /work/main before a change)",
    )
    main(cli_latency, p.parse_args())


if __name__ == "__main__":
    cli()
