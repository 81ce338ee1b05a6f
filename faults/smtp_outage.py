"""`python -m faults smtp-outage`: the SMTP server down for `--outage` seconds while letters, assessment requests,
reminders and escalations fall due; then back.

Cases are opened and decided (Stage 1 and Stage 2 positive) just after the SMTP server stops, on the
seconds-scale policy, so every provision's two reminders and its escalation fall due during the outage. Counts
messages delivered once, never or twice in the end, the delay of each (from its scheduling to its acceptance),
and the reminders the policy calls for against those the case scheduled.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from bench import report
from bench.drive import POSITIVE, Timings, case_in_rr, run_many
from bench.histories import fetch
from bench.run import progress_console
from bench.server import site
from bench.worker_process import WorkerProcess
from domain.kinds import ObligationKind
from domain.policy import Policy
from domain.reference import workflow_id
from domain.status import CaseStatus
from faults import results
from faults.histories import Scheduled, failed_workflow_tasks, keep, scheduled_messages
from faults.kill_worker import POLICY as POLICY  # the seconds-scale policy, as `--policy` default
from faults.mail import compare, delays, received_by_key, smtp_worker_env
from faults.settle import settle
from faults.smtp_server import SmtpServer
from starter.client import NrmClient


async def decided_case(nrm: NrmClient, policy: str) -> str:
    ref, _ = await case_in_rr(nrm, policy, Timings())
    await nrm.decide_stage2(ref, POSITIVE)
    return ref


def reminders_short(status: CaseStatus, scheduled: list[Scheduled], rules: Policy) -> list[dict[str, Any]]:
    """Obligations that stayed open through their whole window (none moves here) with fewer reminders scheduled
    than the policy's reminder times."""
    wanted = len(rules.reminders.at_fractions)
    short = []
    for d in status.deadlines:
        if ObligationKind(d.kind).is_decision or d.fulfilled_at is not None:
            continue
        got = sum(s.what == "reminder" and s.obligation_id == d.id for s in scheduled)
        if got < wanted:
            short.append({"case": status.reference, "obligation": d.id, "expected": wanted, "scheduled": got})
    return short


async def smtp_outage(args: argparse.Namespace, scratch: Path) -> Path:
    machine = report.machine()
    smtp = SmtpServer()
    smtp.start()
    try:
        async with site(scratch, "faults") as where:
            nrm = NrmClient(where.client, where.settings)
            rules = nrm.policy(args.policy)
            async with WorkerProcess("nrmflow", where.settings, scratch / "worker.log", env=smtp_worker_env(smtp)):
                smtp.stop()
                down = asyncio.get_running_loop().time()
                refs, _ = await run_many(
                    "cases", args.cases, args.concurrency, lambda: decided_case(nrm, args.policy), progress_console
                )
                await asyncio.sleep(max(0.0, args.outage - (asyncio.get_running_loop().time() - down)))
                smtp.start()
                settled = await settle(nrm, refs, args.settle_timeout)
                statuses = {r: await nrm.status(r) for r in refs}
            histories = await fetch(where.client, [workflow_id(r) for r in refs])
            scheduled = {h.workflow_id: await scheduled_messages(where.client, h) for h in histories}
            expected = [m for found in scheduled.values() for m in found]
            received = received_by_key(smtp.recorder.arrivals(), set(refs))
            mail = compare(expected, received)
            late = delays(expected, received)
            short = [s for r in refs for s in reminders_short(statuses[r], scheduled[workflow_id(r)], rules)]
            failed = failed_workflow_tasks(histories)
            unexpected = (
                {workflow_id(k.split("/")[0]) for k in [*mail["missing"], *mail["duplicated"]]}
                | {workflow_id(s["case"]) for s in short}
                | set(failed)
            )
            kept = await keep(
                where.client, sorted(unexpected), results.histories_dir(args, "smtp-outage"), where.settings.key_path
            )
    finally:
        smtp.stop()
    by_what: dict[str, list[float]] = {}
    for s in expected:
        if s.key in late:
            by_what.setdefault(s.what, []).append(late.pop(s.key))
    expected_reminders = sum(
        len(rules.reminders.at_fractions)
        for s in statuses.values()
        for d in s.deadlines
        if not ObligationKind(d.kind).is_decision and d.fulfilled_at is None
    )
    figures = {
        "cases": len(refs),
        "outage_seconds": args.outage,
        "settled_after_seconds": settled,
        "messages": mail,
        "delay_seconds": {what: results.spread(v) for what, v in sorted(by_what.items())},
        "reminders": {
            "expected_by_policy": expected_reminders,
            "scheduled": sum(s.what == "reminder" for s in expected),
            "short": short,
        },
        "failed_workflow_tasks": {"cases": len(failed), "events": sum(failed.values())},
        "kept_histories": kept,
    }
    rows = [
        ("cases", len(refs)),
        ("messages expected", mail["expected"]),
        ("missing", len(mail["missing"])),
        ("duplicated", len(mail["duplicated"])),
        ("unscheduled", len(mail["unscheduled"])),
        ("reminders expected by policy", expected_reminders),
        ("reminders scheduled", figures["reminders"]["scheduled"]),
        ("obligations short of reminders", len(short)),
        *[(f"{what} delay p50 / max (s)", f"{v['p50']} / {v['max']}") for what, v in figures["delay_seconds"].items()],
        ("failed workflow tasks", sum(failed.values())),
    ]
    parameters = {k: getattr(args, k) for k in ("cases", "concurrency", "outage", "settle_timeout")} | {
        "policy": Path(args.policy).name
    }
    return results.write("smtp-outage", machine, parameters, figures, rows, args)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cases", type=int, default=20)
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--outage", type=float, default=60.0, help="seconds the SMTP server is down")
    p.add_argument("--settle-timeout", type=float, default=300.0)
