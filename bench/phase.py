"""The two sides of a comparison: nrmflow cases and baseline workflows, each on a fresh server with a fresh
worker process, driven in alternating rounds so that whatever else the machine is doing weighs on both alike.

The nrmflow side first runs a calibration case, from which the baseline's plan is read (bench.plan), so the
baseline makes the engine do the same work. Throughput and replay both drive their load this way.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from temporalio.client import WorkflowHistory

from bench.drive import Timings, baseline_case, calibration_case, full_case, run_many
from bench.histories import fetch
from bench.plan import BaselineAct, baseline_plan, work_per_step
from bench.run import profile_path, progress_console
from bench.server import Site, site
from bench.worker_process import WorkerProcess
from starter.client import NrmClient


@dataclass
class Side:
    kind: str
    site: Site
    worker: WorkerProcess
    one: Callable[[Timings], Awaitable[str]]
    timings: Timings = field(default_factory=Timings)
    ids: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    db_growth_bytes: int | None = field(init=False)  # None when the server is not the benchmark's
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # by process: server, worker, client

    def __post_init__(self) -> None:
        self.db_growth_bytes = None if self.site.db is None else 0

    def _cpu(self) -> dict[str, float]:
        """CPU seconds used so far by this side's server (when started here), its worker and this process (the
        client, which drives one side at a time)."""
        processes = {"server": self.site.server, "worker": psutil.Process(self.worker.pid), "client": psutil.Process()}
        return {name: sum(p.cpu_times()[:2]) for name, p in processes.items() if p is not None}

    async def drive(self, count: int, concurrency: int, *, timed: bool = True) -> None:
        """`count` more at `concurrency`; untimed ones (the warm-up) count for nothing."""
        timings = self.timings if timed else Timings()
        before, cpu_before = self.site.db_bytes() or 0, self._cpu()
        ids, wall = await run_many(
            self.kind if timed else f"{self.kind} warm-up",
            count,
            concurrency,
            lambda: self.one(timings),
            progress_console,
        )
        after, cpu_after = self.site.db_bytes() or 0, self._cpu()
        if timed:
            self.ids += ids
            self.wall_seconds += wall
            if self.db_growth_bytes is not None:
                self.db_growth_bytes += after - before
            for name, used in cpu_after.items():
                self.cpu_seconds[name] = self.cpu_seconds.get(name, 0.0) + used - cpu_before[name]

    async def histories(self, count: int) -> list[WorkflowHistory]:
        return await fetch(self.site.client, self.ids[:count])


async def _nrmflow(stack: AsyncExitStack, args: argparse.Namespace, scratch: Path) -> tuple[Side, list[BaselineAct]]:
    where = await stack.enter_async_context(site(scratch, "nrmflow", args.address))
    worker = await stack.enter_async_context(
        WorkerProcess("nrmflow", where.settings, scratch / "nrmflow-worker.log", profile_path(args, "nrmflow"))
    )
    nrm = NrmClient(where.client, where.settings)
    rules = nrm.policy(args.policy)
    calibration, statuses = await calibration_case(nrm, args.policy, rules)
    [history] = await fetch(where.client, [calibration])
    plan = baseline_plan(statuses, work_per_step(history), rules, upserts=args.baseline_upserts)
    return Side("nrmflow", where, worker, functools.partial(full_case, nrm, args.policy, rules)), plan


async def _baseline(stack: AsyncExitStack, args: argparse.Namespace, scratch: Path, plan: list[BaselineAct]) -> Side:
    where = await stack.enter_async_context(site(scratch, "baseline", args.address))
    worker = await stack.enter_async_context(
        WorkerProcess("baseline", where.settings, scratch / "baseline-worker.log", profile_path(args, "baseline"))
    )
    one = functools.partial(baseline_case, where.client, where.settings.task_queue, plan)
    return Side("baseline", where, worker, one)


@asynccontextmanager
async def sides(args: argparse.Namespace, scratch: Path) -> AsyncIterator[tuple[Side, Side, list[BaselineAct]]]:
    """Both sides up (servers, workers, the baseline's plan); on leaving, the workers report their peak RSS."""
    async with AsyncExitStack() as stack:
        nrmflow, plan = await _nrmflow(stack, args, scratch)
        baseline = await _baseline(stack, args, scratch, plan)
        yield nrmflow, baseline, plan


async def drive_both(nrmflow: Side, baseline: Side, cases: int, concurrency: int, *, warmup: int, rounds: int) -> None:
    """Warm both up, then `cases` on each side in `rounds` alternating rounds (nrmflow first in odd rounds)."""
    for side in (nrmflow, baseline):
        await side.drive(warmup, concurrency, timed=False)
    rounds = max(1, min(rounds, cases))
    for r in range(rounds):
        count = cases * (r + 1) // rounds - cases * r // rounds
        for side in (nrmflow, baseline) if r % 2 == 0 else (baseline, nrmflow):
            await side.drive(count, concurrency)
