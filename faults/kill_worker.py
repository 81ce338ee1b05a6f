"""`python -m faults kill-worker`: cases driven along their whole path while the worker is killed (SIGKILL) at
random moments and restarted; notifications go to a real SMTP server on loopback that keeps every Message-ID.

Counts lost cases (not at their final stage), lost and doubled acts (each act driven with a request id, against
what the case recorded), missing and duplicated messages (against the messages each history scheduled), with the
seconds between a duplicate's two copies and between its first acceptance and the next kill, and failed
workflow tasks.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from pathlib import Path
from typing import Any

from bench import report
from bench.drive import AUTHORITY, Timings, fulfil, open_case, run_many
from bench.histories import fetch
from bench.run import progress_console
from bench.server import site
from domain.case import Outcome, Stage
from domain.kinds import ObligationKind
from domain.policy import Policy
from domain.reference import workflow_id
from domain.requests import DecisionRequest
from domain.status import CaseStatus
from faults import results
from faults.acts import Driven, drive
from faults.crash import CrashingWorker
from faults.histories import failed_workflow_tasks, keep, scheduled_messages
from faults.mail import compare, received_by_key, smtp_worker_env
from faults.settle import settle
from faults.smtp_server import SmtpServer
from starter.client import NrmClient

FINAL = Stage.CONFIRMED_VICTIM
POLICY = str(Path(__file__).parents[1] / "tests" / "policies" / "fast.toml")  # seconds-scale timers


def decision(act: Driven) -> DecisionRequest:
    return DecisionRequest(actor=AUTHORITY, outcome=Outcome.POSITIVE, reasons=act.note, evidence="faults interview")


async def one_case(nrm: NrmClient, policy: str, rules: Policy, provisions: int, acts: list[Driven]) -> str:
    """Open, Stage 1 positive, `provisions` of the provisions owed given, Stage 2 positive: each act under its own
    request id, sent again after a crash. (Not assessments: a review falls due a minute later, which would make the
    run wait for it.)"""
    ref = await open_case(nrm, policy, Timings())
    stage1 = Driven(ref, "stage1_decision", f"{ref}/stage1", None)
    acts.append(stage1)
    presumed = await drive(stage1, lambda: nrm.decide_stage1(ref, decision(stage1), stage1.request_id))
    if presumed is None:
        return ref
    owed = [
        d
        for d in presumed.open_deadlines
        if not (ObligationKind(d.kind).is_decision or ObligationKind(d.kind).is_assessment)
    ][:provisions]
    for item in owed:
        act = Driven(ref, "provide", f"{ref}/{item.id}", item.id)
        acts.append(act)
        await drive(
            act, lambda item=item, act=act: fulfil(nrm, ref, item, rules, presumed.as_of, act.request_id, act.note)
        )
    stage2 = Driven(ref, "stage2_decision", f"{ref}/stage2", None)
    acts.append(stage2)
    await drive(stage2, lambda: nrm.decide_stage2(ref, decision(stage2), stage2.request_id))
    return ref


def times_recorded(act: Driven, status: CaseStatus) -> int:
    """How many times the case recorded this act: a decision by its reasons, a provision or assessment by the
    evidence (or summary) its obligation records."""
    if act.obligation_id is None:
        return sum(d.reasons == act.note for d in status.decisions)
    return sum(d.evidence == act.note for d in status.deadlines)  # a second assessment would fulfil its review


def act_figures(acts: list[Driven], statuses: dict[str, CaseStatus]) -> dict[str, Any]:
    told_done = {"applied", "repeated"}
    recorded = {id(a): times_recorded(a, statuses[a.reference]) for a in acts if a.reference in statuses}
    lost = [a for a in acts if a.answer in told_done and recorded.get(id(a)) == 0]
    doubled = [a for a in acts if recorded.get(id(a), 0) > 1]
    never_answered = [a for a in acts if a.answer not in told_done]
    return {
        "driven": len(acts),
        "answers": {
            k: sum(a.answer.split(":")[0] == k for a in acts)
            for k in ("applied", "repeated", "refused", "failed", "not sent")
        },
        "resent_after_an_error": sum(a.attempts > 1 for a in acts),
        "lost": [a.request_id for a in lost],
        "doubled": [a.request_id for a in doubled],
        "never_answered": [{"request_id": a.request_id, "answer": a.answer} for a in never_answered],
    }


async def kill_worker(args: argparse.Namespace, scratch: Path) -> Path:
    machine, rng = report.machine(), random.Random(args.seed)
    smtp = SmtpServer()
    smtp.start()
    try:
        async with site(scratch, "faults") as where:
            nrm = NrmClient(where.client, where.settings)
            rules = nrm.policy(args.policy)
            worker = CrashingWorker(where.settings, scratch / "worker.log", smtp_worker_env(smtp))
            await worker.start()
            acts: list[Driven] = []
            killer = asyncio.create_task(worker.kill_at_random(args.kills, args.max_interval, args.pause, rng))
            refs, wall = await run_many(
                "cases",
                args.cases,
                args.concurrency,
                lambda: one_case(nrm, args.policy, rules, args.provisions, acts),
                progress_console,
            )
            await killer
            settled = await settle(nrm, refs, args.settle_timeout)
            statuses = {r: await nrm.status(r) for r in refs}
            histories = await fetch(where.client, [workflow_id(r) for r in refs])
            await worker.stop()
            expected = [m for h in histories for m in await scheduled_messages(where.client, h)]
            received = received_by_key(smtp.recorder.arrivals(), set(refs))
            mail = compare(expected, received)
            duplicates = [
                {"key": key, **d, "kill_after_acceptance_seconds": _next_kill(received[key][0], worker.kills)}
                for key, d in mail.pop("duplicated").items()
            ]
            failed = failed_workflow_tasks(histories)
            lost_cases = [r for r, s in statuses.items() if s.stage is not FINAL]
            acts_seen = act_figures(acts, statuses)
            unexpected = (
                {workflow_id(r) for r in lost_cases}
                | set(failed)
                | {workflow_id(k.split("/")[0]) for k in [*mail["missing"], *(d["key"] for d in duplicates)]}
                | {workflow_id(i.split("/")[0]) for i in acts_seen["lost"] + acts_seen["doubled"]}
            )
            kept = await keep(
                where.client, sorted(unexpected), results.histories_dir(args, "kill-worker"), where.settings.key_path
            )
    finally:
        smtp.stop()
    figures = {
        "cases": len(refs),
        "drive_wall_seconds": round(wall, 1),
        "settled_after_seconds": settled,
        "kills": len(worker.kills),
        "worker_restart_seconds": results.spread(worker.restarts_seconds),
        "lost_cases": lost_cases,
        "acts": acts_seen,
        "messages": {**mail, "duplicated": duplicates},
        "failed_workflow_tasks": {"cases": len(failed), "events": sum(failed.values()), "by_case": failed},
        "kept_histories": kept,
    }
    rows = [
        ("cases", len(refs)),
        ("worker kills", len(worker.kills)),
        ("lost cases", len(lost_cases)),
        ("acts driven", acts_seen["driven"]),
        ("acts lost", len(acts_seen["lost"])),
        ("acts doubled", len(acts_seen["doubled"])),
        ("acts never answered", len(acts_seen["never_answered"])),
        ("messages expected", mail["expected"]),
        ("messages missing", len(mail["missing"])),
        ("messages duplicated", len(duplicates)),
        ("messages unscheduled", len(mail["unscheduled"])),
        ("failed workflow tasks", sum(failed.values())),
    ]
    parameters = {
        k: getattr(args, k)
        for k in ("cases", "concurrency", "kills", "max_interval", "pause", "provisions", "seed", "settle_timeout")
    } | {"policy": Path(args.policy).name}
    return results.write("kill-worker", machine, parameters, figures, rows, args)


def _next_kill(accepted_at: float, kills: list[float]) -> float | None:
    """Seconds from a message's acceptance to the first kill after it (the kill that caused its resend)."""
    after = [k - accepted_at for k in kills if k >= accepted_at]
    return round(min(after), 3) if after else None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cases", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=20)
    p.add_argument("--kills", type=int, default=20, help="SIGKILLs of the worker, at random moments")
    p.add_argument(
        "--max-interval",
        type=float,
        default=4.0,
        help="at most this many seconds between a worker coming up and its kill",
    )
    p.add_argument("--pause", type=float, default=1.0, help="seconds between a kill and the new worker's start")
    p.add_argument("--provisions", type=int, default=3, help="provisions each case gives (the rest fall due)")
    p.add_argument("--settle-timeout", type=float, default=300.0)
    p.add_argument("--seed", type=int, default=1)
