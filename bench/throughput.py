"""`python -m bench.throughput --cases N --concurrency C`: what nrmflow costs on top of the engine.

Drives N cases, C at a time, through open -> Stage 1 positive -> every provision and assessment owed fulfilled ->
Stage 2 positive, and N baseline workflows with the same updates, timers and activities (bench.baseline), each
side on a dev server and a worker process of its own, in alternating rounds. Reports cases per second, update
round trips, history events per case, worker peak RSS and server database bytes per case, and the ratios
nrmflow/baseline.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHistory

from bench import report
from bench.histories import event_counts
from bench.phase import Side, drive_both, sides
from bench.run import comparison_parser, main, out, where


def _figures(side: Side, cases: int, histories: list[WorkflowHistory]) -> dict[str, Any]:
    return {
        "cases": cases,
        "wall_seconds": round(side.wall_seconds, 3),
        "cases_per_second": round(cases / side.wall_seconds, 3),
        "start_latency_ms": report.latency_ms(side.timings.start),
        "update_latency_ms": report.latency_ms(side.timings.update),
        "first_update_latency_ms": report.latency_ms(side.timings.first_update),
        "updates_per_case": len(side.timings.update) / cases,
        "history": event_counts(histories),
        "worker_peak_rss_bytes": side.worker.peak_rss_bytes,
        "db_bytes_per_case": round(side.db_growth_bytes / cases) if side.db_growth_bytes is not None else None,
        "cpu_ms_per_case": {
            name: round(1000 * used / cases, 1)
            for name, used in {**side.cpu_seconds, "total": sum(side.cpu_seconds.values())}.items()
        },
    }


def _ratios(n: dict[str, Any], b: dict[str, Any]) -> dict[str, float | None]:
    return {
        "cases_per_second": report.ratio(n["cases_per_second"], b["cases_per_second"]),
        **{
            f"update_{p}": report.ratio(n["update_latency_ms"][p], b["update_latency_ms"][p])
            for p in ("p50", "p95", "p99")
        },
        "first_update_p50": report.ratio(n["first_update_latency_ms"]["p50"], b["first_update_latency_ms"]["p50"]),
        "events_per_case": report.ratio(n["history"]["events_per_case"], b["history"]["events_per_case"]),
        "billable_actions_per_case": report.ratio(
            n["history"]["billable_actions_per_case"], b["history"]["billable_actions_per_case"]
        ),
        "worker_peak_rss": report.ratio(n["worker_peak_rss_bytes"], b["worker_peak_rss_bytes"]),
        "db_bytes_per_case": report.ratio(n["db_bytes_per_case"], b["db_bytes_per_case"]),
        **{
            f"cpu_{name}": report.ratio(used, b["cpu_ms_per_case"].get(name))
            for name, used in n["cpu_ms_per_case"].items()
        },
    }


def _mib(n: int | None) -> float | None:
    return round(n / 2**20, 1) if n is not None else None


def _table(n: dict[str, Any], b: dict[str, Any], r: dict[str, Any]) -> None:
    rows = [
        ("cases per second", n["cases_per_second"], b["cases_per_second"], r["cases_per_second"]),
        *[
            (f"update {p} (ms)", n["update_latency_ms"][p], b["update_latency_ms"][p], r[f"update_{p}"])
            for p in ("p50", "p95", "p99")
        ],
        (
            "first update after start p50 (ms)",
            n["first_update_latency_ms"]["p50"],
            b["first_update_latency_ms"]["p50"],
            r["first_update_p50"],
        ),
        (
            "history events per case",
            n["history"]["events_per_case"],
            b["history"]["events_per_case"],
            r["events_per_case"],
        ),
        (
            "billable actions per case",
            n["history"]["billable_actions_per_case"],
            b["history"]["billable_actions_per_case"],
            r["billable_actions_per_case"],
        ),
        (
            "worker peak RSS (MiB)",
            _mib(n["worker_peak_rss_bytes"]),
            _mib(b["worker_peak_rss_bytes"]),
            r["worker_peak_rss"],
        ),
        ("server db bytes per case", n["db_bytes_per_case"], b["db_bytes_per_case"], r["db_bytes_per_case"]),
        *[
            (f"CPU ms per case: {name}", used, b["cpu_ms_per_case"].get(name), r[f"cpu_{name}"])
            for name, used in n["cpu_ms_per_case"].items()
        ],
    ]
    report.table("throughput", ("", "nrmflow", "baseline", "nrmflow/baseline"), rows, out)


async def throughput(args: argparse.Namespace, scratch: Path) -> Path:
    machine = report.machine()
    async with sides(args, scratch) as (n, b, plan):
        await drive_both(n, b, args.cases, args.concurrency, warmup=args.warmup, rounds=args.rounds)
        n_histories, b_histories = await n.histories(args.history_sample), await b.histories(args.history_sample)
    nrmflow, baseline = _figures(n, args.cases, n_histories), _figures(b, args.cases, b_histories)
    ratios = _ratios(nrmflow, baseline)
    _table(nrmflow, baseline, ratios)
    parameters = {
        "cases": args.cases,
        "concurrency": args.concurrency,
        "warmup": args.warmup,
        "rounds": args.rounds,
        "policy": Path(args.policy).name,
        "baseline_upserts": args.baseline_upserts,
        "history_sample": args.history_sample,
        "address": where(args),
        "baseline_plan": [step.model_dump(mode="json") for step in plan],
    }
    return report.write(
        "throughput", machine, parameters, {"nrmflow": nrmflow, "baseline": baseline, "ratios": ratios}, args.out
    )


def cli() -> None:
    p = comparison_parser("bench.throughput", __doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=200, help="cases (and baseline workflows) to drive")
    p.add_argument("--warmup", type=int, default=20, help="untimed cases first, on the fresh worker")
    p.add_argument("--history-sample", type=int, default=100, help="histories read to count events per case")
    main(throughput, p.parse_args())


if __name__ == "__main__":
    cli()
