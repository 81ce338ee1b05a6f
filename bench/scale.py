"""`python -m bench.scale --open-cases N`: N cases waiting in the R&R period on the real OSCE policy.

Opens N cases and records a positive Stage 1 for each (their timers are weeks and months away, their provisions
due within 48 hours, as after a surge), then measures the worker's peak RSS, the client library's
`list_cases(due_within=7 days)` whole and cut to the 1,000 and the 100 cases due soonest, `list_cases(overdue=True)`,
the same list through the `nrm` command (by default the 100 due soonest, and with --all), and the status query of
single cases picked at random (most of them no longer in the worker's cache, so the query replays the case's
history first).
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

from temporalio.client import Client

from bench import report
from bench.drive import Timings, case_in_rr, run_many
from bench.run import main, out, parser, profile_path, progress_console
from bench.server import site
from bench.worker_process import WorkerProcess
from plumbing.settings import Settings
from starter.client import NrmClient
from workflows.digest import DigestRequest

DUE_WITHIN = timedelta(days=7)


async def _timed_lists(nrm: NrmClient, repeat: int, **query: Any) -> dict[str, Any]:
    seconds, rows = [], 0
    for _ in range(repeat):
        began = perf_counter()
        rows = len(await nrm.list_cases(**query))
        seconds.append(perf_counter() - began)
    return {"rows": rows, "latency_ms": report.latency_ms(seconds)}


def _cli_list(settings: Settings, *flags: str) -> dict[str, Any]:
    """`nrm cases list --due-within 7d --json [flags]` as a coordinator runs it, interpreter start included."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NRM_", "TEMPORAL_"))}
    env |= {
        "TEMPORAL_ADDRESS": settings.temporal_address,
        "NRM_HOME": str(settings.home),
        "NRM_TASK_QUEUE": settings.task_queue,
    }
    began = perf_counter()
    command = [str(Path(sys.executable).parent / "nrm"), "cases", "list", "--due-within", "7d", "--json", *flags]
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    return {"seconds": round(perf_counter() - began, 3), "exit_code": done.returncode, "output_bytes": len(done.stdout)}


async def _status_queries(nrm: NrmClient, refs: list[str], count: int) -> dict[str, Any]:
    seconds = []
    for ref in random.Random(7).sample(refs, min(count, len(refs))):
        began = perf_counter()
        await nrm.status(ref)
        seconds.append(perf_counter() - began)
    return report.latency_ms(seconds) | {"max": round(max(seconds) * 1000, 2)}


async def _digest(client: Client, settings: Settings) -> dict[str, Any]:
    """The coordinators' daily digest run once, as its schedule runs it: collecting every due obligation across the
    open cases and sending the list."""
    began = perf_counter()
    rows = await client.execute_workflow(
        "DigestWorkflow",
        DigestRequest(window_hours=48),
        id=f"bench-digest-{uuid.uuid4().hex[:8]}",
        task_queue=settings.task_queue,
        result_type=int,
    )
    return {"seconds": round(perf_counter() - began, 3), "rows": rows}


async def scale(args: argparse.Namespace, scratch: Path) -> Path:
    machine = report.machine()
    async with site(scratch, "scale", args.address) as where:
        worker = WorkerProcess("nrmflow", where.settings, scratch / "scale-worker.log", profile_path(args, "scale"))
        async with worker:
            nrm = NrmClient(where.client, where.settings)
            timings = Timings()
            db_before = where.db_bytes()
            cases, wall = await run_many(
                "opening cases",
                args.open_cases,
                args.concurrency,
                functools.partial(case_in_rr, nrm, args.policy, timings),
                progress_console,
            )
            db_after = where.db_bytes()
            figures = {
                "open_cases": args.open_cases,
                "opened_per_second": round(args.open_cases / wall, 2),
                "stage1_update_latency_ms": report.latency_ms(timings.update),  # each the first after the start
                "list_due_within_7d": await _timed_lists(nrm, args.repeat, due_within=DUE_WITHIN),
                # the same list cut at the 1,000 and the 100 due soonest
                "list_due_within_7d_limit_1000": await _timed_lists(
                    nrm, args.repeat, due_within=DUE_WITHIN, limit=1000
                ),
                "list_due_within_7d_limit_100": await _timed_lists(nrm, args.repeat, due_within=DUE_WITHIN, limit=100),
                "list_overdue": await _timed_lists(nrm, args.repeat, overdue=True),
                "cli_list_due_within_7d": _cli_list(where.settings),  # the 100 due soonest
                "cli_list_due_within_7d_all": _cli_list(where.settings, "--all"),
                "status_query_ms": await _status_queries(nrm, [ref for ref, _ in cases], args.queries),
                "digest": await _digest(where.client, where.settings),
                "db_bytes_per_case": round((db_after - db_before) / args.open_cases) if db_before is not None else None,
            }
    figures["worker_peak_rss_bytes"] = worker.peak_rss_bytes
    rows = [
        ("cases opened into R&R", args.open_cases, f"{figures['opened_per_second']}/s"),
        ("worker peak RSS (MiB)", round(worker.peak_rss_bytes / 2**20, 1), "target < 1024"),
        (
            "list_cases(due_within=7d) p50 (ms)",
            figures["list_due_within_7d"]["latency_ms"]["p50"],
            f"{figures['list_due_within_7d']['rows']} rows",
        ),
        *(
            (
                f"  the same, --limit {n} p50 (ms)",
                figures[f"list_due_within_7d_limit_{n}"]["latency_ms"]["p50"],
                f"{figures[f'list_due_within_7d_limit_{n}']['rows']} rows",
            )
            for n in (1000, 100)
        ),
        (
            "list_cases(overdue=True) p50 (ms)",
            figures["list_overdue"]["latency_ms"]["p50"],
            f"{figures['list_overdue']['rows']} rows",
        ),
        (
            "`nrm cases list --due-within 7d` (ms)",
            round(figures["cli_list_due_within_7d"]["seconds"] * 1000),
            "the 100 due soonest; process start included; target < 1000",
        ),
        ("  the same, --all (ms)", round(figures["cli_list_due_within_7d_all"]["seconds"] * 1000), ""),
        (
            "status query p50 / max (ms)",
            f"{figures['status_query_ms']['p50']} / {figures['status_query_ms']['max']}",
            f"{figures['status_query_ms']['n']} random cases",
        ),
        ("daily digest run (s)", figures["digest"]["seconds"], f"{figures['digest']['rows']} obligations listed"),
        ("server db bytes per case", figures["db_bytes_per_case"], ""),
    ]
    report.table("scale", ("", "value", "note"), rows, out)
    parameters = {
        "open_cases": args.open_cases,
        "concurrency": args.concurrency,
        "policy": args.policy,
        "repeat": args.repeat,
        "queries": args.queries,
        "address": args.address or "own dev server (SQLite)",
    }
    return report.write("scale", machine, parameters, figures, args.out)


def cli() -> None:
    p = parser("bench.scale", __doc__.splitlines()[0])
    p.add_argument("--open-cases", type=int, default=1000, help="cases to open and bring into the R&R period")
    p.add_argument("--concurrency", type=int, default=50, help="cases opened at once")
    p.add_argument("--policy", default="osce-model", help="policy name or .toml path (default: osce-model)")
    p.add_argument("--repeat", type=int, default=5, help="times each list is run")
    p.add_argument("--queries", type=int, default=20, help="status queries, each of a case picked at random")
    main(scale, p.parse_args())


if __name__ == "__main__":
    cli()
