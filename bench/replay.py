"""`python -m bench.replay --histories N`: how fast full-case histories replay, against baseline histories.

Replay is what a worker does whenever a case is not in its cache (after a restart, or once more cases are open
than it caches) and what an audit does. Generates N full cases and N baseline workflows (as bench.throughput
does), exports their histories as JSON, and replays each set with the real workflow code and data converter, each in
the SDK's sandbox as a worker runs it. Then the same histories as the audit replays them (starter.audit.replay,
without the sandbox), the baseline's without the sandbox too (the like-for-like figure), and the whole
`nrm audit replay --all` on the nrmflow side's server, a process of its own (its start and the reading of every
history from the server included).
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from time import perf_counter
from typing import Any

from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.plugin import SimplePlugin
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from bench import report
from bench.baseline import BaselineWorkflow
from bench.drive import bench_actor
from bench.histories import event_counts
from bench.phase import Side, drive_both, sides
from bench.run import comparison_parser, main, out, where
from bench.server import NRM
from domain.roles import Role
from plumbing.connection import data_converter
from starter.audit.history import CaseHistory
from starter.audit.replay import replay as audit_replay
from workflows.plugin import nrm_plugin


def _export(histories: list[WorkflowHistory], path: Path) -> None:
    """One JSON history per line, as `temporal workflow show --output json` would give each."""
    with path.open("w") as f:
        for h in histories:
            f.write(json.dumps({"workflow_id": h.workflow_id, "history": h.to_json_dict()}) + "\n")


def _load(path: Path) -> list[WorkflowHistory]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [WorkflowHistory.from_json(r["workflow_id"], r["history"]) for r in rows]


async def _replay(replayer: Replayer, histories: list[WorkflowHistory]) -> float:
    async def each() -> AsyncIterator[WorkflowHistory]:
        for h in histories:
            yield h

    began = perf_counter()
    results = await replayer.replay_workflows(each())
    elapsed = perf_counter() - began
    if results.replay_failures:
        raise RuntimeError(
            f"{len(results.replay_failures)} histories failed to replay: {next(iter(results.replay_failures.values()))}"
        )
    return elapsed


async def _measure(histories: list[WorkflowHistory], plugin: SimplePlugin, export: Path, warmup: int) -> dict[str, Any]:
    _export(histories, export)
    histories = _load(export)
    replayer = Replayer(workflows=[], plugins=[plugin])
    await _replay(replayer, histories[:warmup])
    seconds = await _replay(replayer, histories)
    return {
        "histories": len(histories),
        "replay_seconds": round(seconds, 3),
        "histories_per_second": round(len(histories) / seconds, 2),
        "export_bytes_per_history": round(export.stat().st_size / len(histories)),
        "history": event_counts(histories),
    }


async def _measure_audit(histories: list[WorkflowHistory], converter: DataConverter, warmup: int) -> dict[str, Any]:
    """The same histories as `nrm audit replay` replays them (starter.audit.replay: each outcome named, a
    divergence described), in this process, after the same warm-up as the others."""
    cases = [CaseHistory(h.workflow_id, (h,)) for h in histories]
    _ = [o async for o in audit_replay(cases[:warmup], converter)]
    began = perf_counter()
    outcomes = [o async for o in audit_replay(cases, converter)]
    seconds = perf_counter() - began
    if not all(o.faithful for o in outcomes):
        raise RuntimeError(f"histories failed to replay: {next(o.divergence for o in outcomes if not o.faithful)}")
    return _rate(len(outcomes), seconds)


def _rate(histories: int, seconds: float) -> dict[str, Any]:
    return {"histories": histories, "seconds": round(seconds, 3), "histories_per_second": round(histories / seconds, 2)}


def _command(side: Side) -> dict[str, Any]:
    """`nrm audit replay --all` as an auditor runs it, a process of its own: start, imports, every history read
    from the server and replayed."""
    auditor = bench_actor(Role.AUDITOR)
    began = perf_counter()
    run = subprocess.run(
        [NRM, "audit", "replay", "--all", "--json", "--as", f"{auditor.role.value}:{auditor.id}"],
        env=side.site.cli_environment(),
        capture_output=True,
        text=True,
    )
    seconds = perf_counter() - began
    if run.returncode != 0:
        raise RuntimeError(f"nrm audit replay --all exited {run.returncode}: {run.stderr.strip()[-500:]}")
    return _rate(len(json.loads(run.stdout)), seconds)


async def replay(args: argparse.Namespace, scratch: Path) -> Path:
    machine = report.machine()
    async with sides(args, scratch) as (n, b, _):
        await drive_both(n, b, args.histories, args.concurrency, warmup=0, rounds=args.rounds)
        n_histories, b_histories = await n.histories(args.histories), await b.histories(args.histories)
        command = _command(n)
    warmup = min(args.warmup, args.histories)
    # nrmflow as `nrm audit replay` replays it (its plugin); the baseline with the same converter
    nrmflow = await _measure(
        n_histories, nrm_plugin(data_converter(n.site.settings)), scratch / "nrmflow.jsonl", warmup
    )
    b_converter = data_converter(b.site.settings)
    baseline = await _measure(
        b_histories,
        SimplePlugin("baseline", data_converter=b_converter, workflows=[BaselineWorkflow]),
        scratch / "baseline.jsonl",
        warmup,
    )
    audit = await _measure_audit(_load(scratch / "nrmflow.jsonl"), data_converter(n.site.settings), warmup)
    unsandboxed = SimplePlugin(
        "baseline",
        data_converter=b_converter,
        workflows=[BaselineWorkflow],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    baseline_unsandboxed = await _measure(b_histories, unsandboxed, scratch / "baseline.jsonl", warmup)
    ratios = {
        "histories_per_second": report.ratio(nrmflow["histories_per_second"], baseline["histories_per_second"]),
        "audit_histories_per_second": report.ratio(audit["histories_per_second"], baseline["histories_per_second"]),
        "audit_to_unsandboxed_baseline": report.ratio(
            audit["histories_per_second"], baseline_unsandboxed["histories_per_second"]
        ),
    }
    rows = [
        (
            "histories per second",
            nrmflow["histories_per_second"],
            baseline["histories_per_second"],
            ratios["histories_per_second"],
        ),
        (
            "histories per second, as the audit replays them",
            audit["histories_per_second"],
            baseline["histories_per_second"],
            ratios["audit_histories_per_second"],
        ),
        (
            "the same against the baseline's without the sandbox",
            audit["histories_per_second"],
            baseline_unsandboxed["histories_per_second"],
            ratios["audit_to_unsandboxed_baseline"],
        ),
        ("`nrm audit replay --all`, histories per second", command["histories_per_second"], None, None),
        (
            "events per history",
            nrmflow["history"]["events_per_case"],
            baseline["history"]["events_per_case"],
            report.ratio(nrmflow["history"]["events_per_case"], baseline["history"]["events_per_case"]),
        ),
        (
            "exported bytes per history",
            nrmflow["export_bytes_per_history"],
            baseline["export_bytes_per_history"],
            report.ratio(nrmflow["export_bytes_per_history"], baseline["export_bytes_per_history"]),
        ),
    ]
    report.table("replay", ("", "nrmflow", "baseline", "nrmflow/baseline"), rows, out)
    parameters = {
        "histories": args.histories,
        "concurrency": args.concurrency,
        "warmup": warmup,
        "policy": Path(args.policy).name,
        "baseline_upserts": args.baseline_upserts,
        "address": where(args),
    }
    return report.write(
        "replay",
        machine,
        parameters,
        {
            "nrmflow": nrmflow,
            "baseline": baseline,
            "audit": audit,
            "baseline_unsandboxed": baseline_unsandboxed,
            "nrm_audit_replay_all": command,
            "ratios": ratios,
        },
        args.out,
    )


def cli() -> None:
    p = comparison_parser("bench.replay", __doc__.splitlines()[0])
    p.add_argument("--histories", type=int, default=200, help="full-case histories (and baseline ones) to replay")
    p.add_argument("--warmup", type=int, default=10, help="histories replayed once, untimed, before the timed run")
    main(replay, p.parse_args())


if __name__ == "__main__":
    cli()
