"""`python -m bench.batch --acts N`: acts per second through `nrm batch`, against the baseline's raw update rate.

What a script that records many acts gets: N cases are opened beforehand (untimed), then one JSON Lines file of N
Stage 1 decisions, one per case, each with its request id, is carried out by `nrm batch FILE --concurrency C` as a
process of its own, timed from its start to its end (interpreter start, imports and connection included). The
baseline side (bench.phase, each side on its own server with its own worker) starts N baseline workflows and sends
each the same step as a raw Update from this process at the same concurrency (bench/baseline.py: the same
activities and alarm work a Stage 1 decision makes a case do). Beside them, the same acts sent by the client
library from this process (`NrmClient.decide_stage1`), which tells the command's own cost from the case's. The
three run in alternating rounds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import uuid
from collections.abc import Awaitable
from pathlib import Path
from time import perf_counter
from typing import Any

from temporalio.client import WorkflowHandle

from bench import report
from bench.baseline import BaselineWorkflow
from bench.drive import AUTHORITY, Timings, decide_stage1, open_case, run_many
from bench.phase import Side, sides
from bench.plan import BaselineAct, BaselineStatus
from bench.run import comparison_parser, main, out, progress_console, where
from bench.server import NRM
from domain.status import ActResult
from starter.client import NrmClient


def _acts_file(path: Path, references: list[str]) -> None:
    with path.open("w") as f:
        for ref in references:
            line = {
                "act": "decide",
                "stage": "stage1",
                "reference": ref,
                "outcome": "positive",
                "reasons": "bench: indicators present",
                "evidence": "bench interview",
                "as": f"{AUTHORITY.role.value}:{AUTHORITY.id}",
                "request-id": f"bench-{ref}",
            }
            f.write(json.dumps(line) + "\n")


async def _cases(nrm: NrmClient, policy: str, count: int, concurrency: int) -> list[str]:
    references, _ = await run_many(
        "nrmflow cases to decide", count, concurrency, lambda: open_case(nrm, policy, Timings()), progress_console
    )
    return references


async def _library_round(side: Side, policy: str, count: int, concurrency: int) -> float:
    """Open `count` cases, then decide them all by the client library in this process; the acts' wall seconds."""
    nrm = NrmClient(side.site.client, side.site.settings)
    references = await _cases(nrm, policy, count, concurrency)

    def act() -> Awaitable[ActResult]:
        return decide_stage1(nrm, references.pop(), Timings())

    _, wall = await run_many("client library acts", count, concurrency, act, progress_console)
    return wall


async def _batch_round(side: Side, policy: str, count: int, concurrency: int, scratch: Path) -> float:
    """Open `count` cases, then decide them all with one `nrm batch`; its wall seconds."""
    references = await _cases(NrmClient(side.site.client, side.site.settings), policy, count, concurrency)
    acts = scratch / f"acts-{uuid.uuid4().hex[:8]}.jsonl"
    _acts_file(acts, references)
    began = perf_counter()
    run = subprocess.run(
        [NRM, "batch", str(acts), "--concurrency", str(concurrency), "--json"],
        env=side.site.cli_environment(),
        capture_output=True,
        text=True,
    )
    wall = perf_counter() - began
    summary = json.loads(run.stdout) if run.stdout else {}
    if run.returncode != 0 or summary.get("done") != count:
        raise RuntimeError(f"nrm batch exited {run.returncode}: {run.stderr.strip()[-500:]}")
    return wall


async def _baseline_round(side: Side, plan: list[BaselineAct], count: int, concurrency: int) -> float:
    """Start `count` baseline workflows, then send each the step of a Stage 1 decision; the updates' wall seconds."""
    client, queue = side.site.client, side.site.settings.task_queue

    async def start() -> WorkflowHandle[Any, Any]:
        return await client.start_workflow(
            BaselineWorkflow.run, plan[0], id=f"baseline-{uuid.uuid4().hex}", task_queue=queue
        )

    handles, _ = await run_many("baseline workflows", count, concurrency, start, progress_console)

    async def update() -> BaselineStatus:
        return await handles.pop().execute_update(BaselineWorkflow.act, plan[1], result_type=BaselineStatus)

    _, wall = await run_many("baseline updates", count, concurrency, update, progress_console)
    return wall


async def batch(args: argparse.Namespace, scratch: Path) -> Path:
    machine = report.machine()
    seconds = {"nrmflow": 0.0, "library": 0.0, "baseline": 0.0}
    async with sides(args, scratch) as (nrmflow, baseline, plan):
        rounds = max(1, min(args.rounds, args.acts))
        for r in range(rounds):
            count = args.acts * (r + 1) // rounds - args.acts * r // rounds
            for kind in ("nrmflow", "library", "baseline")[:: 1 if r % 2 == 0 else -1]:
                if kind == "nrmflow":
                    seconds[kind] += await _batch_round(nrmflow, args.policy, count, args.concurrency, scratch)
                elif kind == "library":
                    seconds[kind] += await _library_round(nrmflow, args.policy, count, args.concurrency)
                else:
                    seconds[kind] += await _baseline_round(baseline, plan, count, args.concurrency)
    rate = {kind: round(args.acts / s, 2) for kind, s in seconds.items()}
    ratio = report.ratio(rate["nrmflow"], rate["baseline"])
    report.table(
        "batch",
        ("", "nrm batch", "client library, in process", "baseline raw updates", "nrm batch / baseline"),
        [("updates per second", rate["nrmflow"], rate["library"], rate["baseline"], ratio)],
        out,
    )
    parameters = {
        "acts": args.acts,
        "concurrency": args.concurrency,
        "rounds": rounds,
        "policy": Path(args.policy).name,
        "baseline_upserts": args.baseline_upserts,
        "address": where(args),
    }
    figures = {
        "nrmflow": {"updates_per_second": rate["nrmflow"], "seconds": round(seconds["nrmflow"], 3)},
        "library": {"updates_per_second": rate["library"], "seconds": round(seconds["library"], 3)},
        "baseline": {"updates_per_second": rate["baseline"], "seconds": round(seconds["baseline"], 3)},
        "ratios": {
            "updates_per_second": ratio,
            "batch_over_library": report.ratio(rate["nrmflow"], rate["library"]),
            "library_over_baseline": report.ratio(rate["library"], rate["baseline"]),
        },
    }
    return report.write("batch", machine, parameters, figures, args.out)


def cli() -> None:
    p = comparison_parser("bench.batch", __doc__.splitlines()[0])
    p.add_argument("--acts", type=int, default=500, help="acts in the batch (one Stage 1 decision per case)")
    main(batch, p.parse_args())


if __name__ == "__main__":
    cli()
