"""One phase of a benchmark: N full cases (or N baseline workflows) on a fresh server with a fresh worker.

The nrmflow phase first runs a calibration case, from which the baseline's plan is read, so the baseline phase
(run after it) makes the engine do the same work. Throughput and replay both drive their load this way.
"""

from __future__ import annotations

import argparse
import functools
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import WorkflowHistory

from bench.drive import Timings, baseline_case, calibration_case, full_case, run_many
from bench.histories import fetch
from bench.plan import BaselineAct, baseline_plan
from bench.run import profile_path, progress_console
from bench.server import site
from bench.worker_process import WorkerProcess
from starter.client import NrmClient
from starter.settings import Settings


@dataclass
class Phase:
    kind: str
    plan: list[BaselineAct]
    settings: Settings
    ids: list[str]
    wall_seconds: float
    timings: Timings
    db_growth_bytes: int | None
    histories: list[WorkflowHistory]
    worker_peak_rss_bytes: int | None


async def run_phase(kind: str, args: argparse.Namespace, scratch: Path, plan: list[BaselineAct] | None, *,
                    warmup: int, histories: int) -> Phase:
    """Drive `args.cases` at `args.concurrency` after `warmup` untimed ones; fetch the first `histories`."""
    async with site(scratch, kind, args.address) as where:
        worker = WorkerProcess(kind, where.settings, scratch / f"{kind}-worker.log", profile_path(args, kind))
        async with worker:
            if kind == "nrmflow":
                nrm = NrmClient(where.client, where.settings)
                plan = baseline_plan(await calibration_case(nrm, args.policy), nrm.policy(args.policy))
                one = functools.partial(full_case, nrm, args.policy)
            else:
                assert plan is not None, "the baseline phase follows the nrmflow phase that calibrates it"
                one = functools.partial(baseline_case, where.client, where.settings.task_queue, plan)
            await run_many(f"{kind} warm-up", warmup, args.concurrency, lambda: one(Timings()), progress_console)
            timings = Timings()
            db_before = where.db_bytes()
            ids, wall = await run_many(kind, args.cases, args.concurrency, lambda: one(timings), progress_console)
            db_after = where.db_bytes()
            fetched = await fetch(where.client, ids[:histories])
    return Phase(kind, plan, where.settings, ids, wall, timings,
                 db_after - db_before if db_before is not None and db_after is not None else None,
                 fetched, worker.peak_rss_bytes)
