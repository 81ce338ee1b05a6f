"""`python -m faults restart-server`: the Temporal dev server stopped and started again on its SQLite file while
cases have timers falling due during the outage.

Cases are brought into R&R on the seconds-scale policy (reminders, deadlines and the R&R end within seconds), then
the server stops for `--outage` seconds. Counts, for the timers due during the outage and for the others, those
that fired (and how late: after their due time, and after the server came back) and those that never fired.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHistory

from bench import report
from bench.drive import Timings, case_in_rr, run_many
from bench.histories import fetch
from bench.run import progress_console
from bench.server import site
from bench.worker_process import WorkerProcess
from domain.reference import workflow_id
from faults import results
from faults.histories import failed_workflow_tasks, keep
from faults.kill_worker import POLICY as POLICY  # the seconds-scale policy, as `--policy` default
from faults.timers import Timer, timers
from starter.client import NrmClient

GRACE = 5.0  # seconds: a timer due this long before the end of the run that has not fired counts as never fired


def _figures(group: list[Timer], back_at: float, end: float) -> dict[str, Any]:
    fired = [t for t in group if t.fired_at is not None]
    never = [t for t in group if t.fired_at is None and not t.cancelled and t.due_at < end - GRACE]
    return {
        "timers": len(group),
        "fired": len(fired),
        "cancelled_before_firing": sum(t.cancelled for t in group),
        "never_fired": [f"{t.workflow_id}: {t.timer_id}" for t in never],
        "late_after_due_seconds": results.spread([t.fired_at - t.due_at for t in fired]),  # type: ignore[operator]
        "late_after_server_back_seconds": results.spread([t.fired_at - max(t.due_at, back_at) for t in fired]),  # type: ignore[operator]
    }


def _all_figures(
    histories: list[WorkflowHistory], stopped_at: float, back_at: float, end: float
) -> tuple[dict[str, Any], list[Timer], list[Timer]]:
    """Timers due by the end of the run (less GRACE), those due during the outage apart from the others."""
    all_timers = [t for h in histories for t in timers(h) if t.due_at < end - GRACE]
    during = [t for t in all_timers if stopped_at <= t.due_at < back_at]
    others = [t for t in all_timers if not stopped_at <= t.due_at < back_at]
    failed = failed_workflow_tasks(histories)
    return (
        {
            "outage_seconds": round(back_at - stopped_at, 2),
            "due_during_outage": _figures(during, back_at, end),
            "due_outside_outage": _figures(others, back_at, end),
            "failed_workflow_tasks": {"cases": len(failed), "events": sum(failed.values())},
        },
        during,
        others,
    )


async def restart_server(args: argparse.Namespace, scratch: Path) -> Path:
    machine = report.machine()
    async with site(scratch, "faults") as where:
        nrm = NrmClient(where.client, where.settings)
        async with WorkerProcess("nrmflow", where.settings, scratch / "worker.log"):
            cases, _ = await run_many(
                "cases into R&R",
                args.cases,
                args.concurrency,
                lambda: case_in_rr(nrm, args.policy, Timings()),
                progress_console,
            )
            await asyncio.sleep(args.stop_after)
            stopped_at = time.time()
            await where.stop_server()
            await asyncio.sleep(args.outage)
            await where.start_server()
            back_at = time.time()
            await asyncio.sleep(args.watch)
            end = time.time()
            histories = await fetch(where.client, [workflow_id(ref) for ref, _ in cases])
            figures, during, others = _all_figures(histories, stopped_at, back_at, end)
            unexpected = {
                n.split(":")[0] for g in ("due_during_outage", "due_outside_outage") for n in figures[g]["never_fired"]
            } | set(failed_workflow_tasks(histories))
            figures["kept_histories"] = await keep(
                where.client, sorted(unexpected), results.histories_dir(args, "restart-server"), where.settings.key_path
            )
    figures["cases"] = len(cases)
    rows = [
        ("cases", len(cases)),
        ("outage (s)", figures["outage_seconds"]),
        ("timers due during the outage", len(during)),
        ("  fired", figures["due_during_outage"]["fired"]),
        ("  never fired", len(figures["due_during_outage"]["never_fired"])),
        ("  late after server back p95 (s)", figures["due_during_outage"]["late_after_server_back_seconds"]["p95"]),
        ("timers due outside it", len(others)),
        ("  never fired", len(figures["due_outside_outage"]["never_fired"])),
        ("  late after due p95 (s)", figures["due_outside_outage"]["late_after_due_seconds"]["p95"]),
        ("failed workflow tasks", figures["failed_workflow_tasks"]["events"]),
    ]
    parameters = {k: getattr(args, k) for k in ("cases", "concurrency", "stop_after", "outage", "watch")} | {
        "policy": Path(args.policy).name
    }
    return results.write("restart-server", machine, parameters, figures, rows, args)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cases", type=int, default=50)
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--stop-after", type=float, default=2.0, help="seconds after the last case entered R&R")
    p.add_argument("--outage", type=float, default=10.0, help="seconds the server is down")
    p.add_argument("--watch", type=float, default=25.0, help="seconds to watch after the server is back")
