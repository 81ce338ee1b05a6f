"""`python -m faults concurrent-decisions`: two competent authorities decide the same case at the same moment.

Rounds cycle through four ways of deciding at once: two authorities under one request id (different acts: one is
applied, the other refused with `Refused`), one act sent twice under one request id (one applied, one answered
`repeated`), two authorities each under a request id of their own, and both without one (one applied, the other
refused at the wrong stage). Counts the rounds that did not end in exactly one decision, and every caller told
something other than what happened to its own act.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import report
from bench.drive import AUTHORITY, Timings, open_case, run_many
from bench.histories import fetch
from bench.run import progress_console
from bench.server import site
from bench.worker_process import WorkerProcess
from domain.case import Outcome
from domain.reference import workflow_id
from domain.requests import DecisionRequest
from domain.roles import Actor, Role
from faults import results
from faults.histories import failed_workflow_tasks, keep
from starter.actors import add_actor
from starter.client import NrmClient, Refused

POLICY = "osce-model"  # no timer falls due during a round
SECOND_AUTHORITY = Actor(role=Role.COMPETENT_AUTHORITY, id="competent-authority-2")
MODES = ("same-id-two-authorities", "same-act-twice", "own-ids", "no-ids")


@dataclass
class Caller:
    request: DecisionRequest
    request_id: str | None
    answer: str = ""


def callers(mode: str, ref: str) -> tuple[Caller, Caller]:
    def decision(actor: Actor, who: str) -> DecisionRequest:
        return DecisionRequest(actor=actor, outcome=Outcome.POSITIVE, reasons=f"faults: decided by {who}")

    first = decision(AUTHORITY, "first")
    if mode == "same-act-twice":
        return Caller(first, f"{ref}/s1"), Caller(first, f"{ref}/s1")
    second = decision(SECOND_AUTHORITY, "second")
    ids = {
        "same-id-two-authorities": (f"{ref}/s1", f"{ref}/s1"),
        "own-ids": (f"{ref}/a", f"{ref}/b"),
        "no-ids": (None, None),
    }[mode]
    return Caller(first, ids[0]), Caller(second, ids[1])


async def _decide(nrm: NrmClient, ref: str, caller: Caller) -> None:
    try:
        result = await nrm.decide_stage1(ref, caller.request, caller.request_id)
        caller.answer = "repeated" if result.repeated else "applied"
    except Refused:
        caller.answer = "refused"
    except Exception as exc:
        caller.answer = f"error: {type(exc).__name__}"


async def one_round(nrm: NrmClient, policy: str, mode: str) -> dict[str, Any]:
    ref = await open_case(nrm, policy, Timings())
    a, b = callers(mode, ref)
    await asyncio.gather(_decide(nrm, ref, a), _decide(nrm, ref, b))
    recorded = [d for d in (await nrm.status(ref)).decisions if d.act == "stage1_decision"]
    return {
        "reference": ref,
        "mode": mode,
        "answers": [a.answer, b.answer],
        "decisions": len(recorded),
        "wrongly_told": _wrongly_told(a, b, recorded[0].reasons if len(recorded) == 1 else None),
    }


def _wrongly_told(a: Caller, b: Caller, recorded_reasons: str | None) -> int:
    """Callers told other than what became of their own act: `applied` for an act not recorded, `repeated`
    for an act other than the recorded one, `refused` for the recorded act itself (unless the other caller,
    sending the very same act, was told it applied), or an error."""
    wrong = 0
    for me, other in ((a, b), (b, a)):
        mine = me.request.reasons == recorded_reasons
        same_act = me.request == other.request and me.request_id == other.request_id
        if me.answer == "applied":
            wrong += not mine or (same_act and other.answer == "applied")
        elif me.answer == "repeated":
            wrong += not (mine and same_act and other.answer == "applied")
        elif me.answer == "refused":
            wrong += mine and not (same_act and other.answer in {"applied", "repeated"})
        else:
            wrong += 1
    return wrong


async def concurrent_decisions(args: argparse.Namespace, scratch: Path) -> Path:
    machine = report.machine()
    async with site(scratch, "faults") as where:
        add_actor(where.settings, SECOND_AUTHORITY)
        nrm = NrmClient(where.client, where.settings)
        modes = iter([MODES[i % len(MODES)] for i in range(args.rounds)])
        async with WorkerProcess("nrmflow", where.settings, scratch / "worker.log"):
            rounds, wall = await run_many(
                "rounds",
                args.rounds,
                args.concurrency,
                lambda: one_round(nrm, args.policy, next(modes)),
                progress_console,
            )
            histories = await fetch(where.client, [workflow_id(r["reference"]) for r in rounds])
            failed = failed_workflow_tasks(histories)
            bad = [r for r in rounds if r["decisions"] != 1 or r["wrongly_told"]]
            kept = await keep(
                where.client,
                [workflow_id(r["reference"]) for r in bad] + list(failed),
                results.histories_dir(args, "concurrent-decisions"),
                where.settings.key_path,
            )
    by_mode = {
        mode: {
            "rounds": sum(r["mode"] == mode for r in rounds),
            "not_exactly_one_decision": sum(r["mode"] == mode and r["decisions"] != 1 for r in rounds),
            "callers_wrongly_told": sum(r["wrongly_told"] for r in rounds if r["mode"] == mode),
            "answers": dict(Counter(" + ".join(sorted(r["answers"])) for r in rounds if r["mode"] == mode)),
        }
        for mode in MODES
    }
    figures = {
        "rounds": len(rounds),
        "wall_seconds": round(wall, 1),
        "by_mode": by_mode,
        "not_exactly_one_decision": sum(m["not_exactly_one_decision"] for m in by_mode.values()),
        "callers_wrongly_told": sum(m["callers_wrongly_told"] for m in by_mode.values()),
        "failed_workflow_tasks": {"cases": len(failed), "events": sum(failed.values())},
        "unexpected_rounds": bad,
        "kept_histories": kept,
    }
    rows = [
        ("rounds", len(rounds)),
        *[
            (
                f"{m}: rounds / not one decision / wrongly told",
                f"{v['rounds']} / {v['not_exactly_one_decision']} / {v['callers_wrongly_told']}",
            )
            for m, v in by_mode.items()
        ],
        ("failed workflow tasks", sum(failed.values())),
    ]
    parameters = {"rounds": args.rounds, "concurrency": args.concurrency, "policy": Path(args.policy).name}
    return results.write("concurrent-decisions", machine, parameters, figures, rows, args)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rounds", type=int, default=100)
    p.add_argument("--concurrency", type=int, default=4, help="rounds at once (each round is one case)")
