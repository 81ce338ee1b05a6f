"""`python -m faults fuzz-acts`: fuzzed acts (faults.fuzz_inputs) against a pool of cases, through the client
library and raw through the Temporal client (dicts, wrong types, texts of MBs, control characters, absurd and
naive dates, unknown kinds, wrong roles and stages, unsigned and wrongly signed acts).

One lane per case sends its acts one after another, so each refused act's history length before and after is its
own. Counts acts wrongly accepted (by the oracle in faults.fuzz_inputs), events written by refusals, failed
workflow tasks, and cases that cannot take a valid act afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextvars
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import monotonic
from typing import Any

from pydantic import BaseModel, ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowUpdateInput,
    WorkflowUpdateFailedError,
)
from temporalio.service import RPCError

from bench import report
from bench.drive import bench_actor, referral
from bench.histories import fetch
from bench.server import site
from bench.worker_process import WorkerProcess
from domain.actors import ActorAssertion, act_digest
from domain.permit_records import PermitAction, PermitGround
from domain.reference import workflow_id
from domain.requests import (
    AppealRequest,
    AssessRequest,
    ConsentRequest,
    DecisionRequest,
    ExtendRRRequest,
    JudgmentRequest,
    PermitRequest,
    ProvideRequest,
    ReconsiderationRequest,
    ReviewRequest,
)
from domain.roles import Actor, Role
from faults import results
from faults.fuzz_inputs import Attempt, Case, draws, materialize
from faults.histories import failed_workflow_tasks, keep
from plumbing.settings import Settings
from starter.actors import load_private_key
from starter.client import NrmClient, Refused
from workflows.actor_check import ASSERTION_HEADER, assertion_header

POLICY = "osce-model"  # no timer falls due during the run: a history grows only by what the acts write
MODELS: dict[str, type[BaseModel]] = {
    "record_consent": ConsentRequest,
    "stage1_decision": DecisionRequest,
    "stage2_decision": DecisionRequest,
    "extend_rr": ExtendRRRequest,
    "provide": ProvideRequest,
    "record_assessment": AssessRequest,
    "request_reconsideration": ReconsiderationRequest,
    "record_review": ReviewRequest,
    "lodge_appeal": AppealRequest,
    "record_judgment": JudgmentRequest,
    "permit_decision": PermitRequest,
}
ACT_TIMEOUT = 15.0  # seconds; an act unanswered this long means the case is stuck (e.g. a failing workflow task)
_header: contextvars.ContextVar[Payload | None] = contextvars.ContextVar("fuzz_header", default=None)


class _RawHeader(Interceptor):
    """Puts the assertion the fuzzer made (or none) in a raw Update's header."""

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        class _Put(OutboundInterceptor):
            async def start_workflow_update(self, input: StartWorkflowUpdateInput):  # type: ignore[no-untyped-def]
                header = _header.get()
                if header is not None:
                    input.headers = {**input.headers, ASSERTION_HEADER: header}
                return await super().start_workflow_update(input)

        return _Put(next)


def _assertion(settings: Settings, attempt: Attempt, wid: str, now: datetime) -> Payload | None:
    """The header for the attempt's way of signing: valid, or unsigned, forged (another actor's key), for another
    actor, stale (10 minutes old), or over other arguments."""
    if attempt.signing == "unsigned":
        return None
    actor: Actor = attempt.actor
    try:
        decoded = MODELS[attempt.act].model_validate_json(json.dumps(attempt.payload))
        digest = act_digest(wid, attempt.act, decoded)
    except (ValidationError, TypeError, ValueError):
        digest = "0" * 64  # the worker cannot decode it either: any digest
    other = bench_actor(Role.AUDITOR if actor.role is not Role.AUDITOR else Role.COORDINATOR)
    signer, claimed = (other, actor) if attempt.signing == "forged" else (actor, actor)
    if attempt.signing == "other_actor":
        signer = claimed = other
    issued = now - timedelta(minutes=10) if attempt.signing == "stale" else now
    if attempt.signing == "tampered":
        digest = act_digest(wid, attempt.act, ConsentRequest(actor=actor, note="other arguments"))
    assertion = ActorAssertion(actor_id=claimed.id, role=claimed.role, issued_at=issued, digest=digest)
    assertion.signature = base64.b64encode(
        load_private_key(settings, signer.id).sign(assertion.signed_bytes())
    ).decode()
    return assertion_header(assertion)


async def _send(nrm: NrmClient, raw: Client, attempt: Attempt, ref: str) -> tuple[str, dict[str, Any] | None]:
    """(outcome, the case in brief if accepted): accepted, refused (by the case), refused by the client library
    before sending, refused by the server (e.g. a payload over its size limit), or an error."""
    try:
        if attempt.path == "client":
            try:
                request = MODELS[attempt.act].model_validate(attempt.payload)
            except ValidationError:
                return "refused by the client library", None
            method = {
                "record_consent": nrm.record_consent,
                "stage1_decision": nrm.decide_stage1,
                "stage2_decision": nrm.decide_stage2,
                "extend_rr": nrm.extend_rr,
                "provide": nrm.provide,
                "record_assessment": nrm.assess,
                "request_reconsideration": nrm.request_reconsideration,
                "record_review": nrm.record_review,
                "lodge_appeal": nrm.lodge_appeal,
                "record_judgment": nrm.record_judgment,
                "permit_decision": nrm.permit_decision,
            }[attempt.act]
            result = await asyncio.wait_for(method(ref, request), ACT_TIMEOUT)  # type: ignore[operator]
            return "accepted", result.model_dump(mode="json")
        _header.set(_assertion(nrm.settings, attempt, workflow_id(ref), datetime.now(UTC)))
        answer = await asyncio.wait_for(
            raw.get_workflow_handle(workflow_id(ref)).execute_update(attempt.act, attempt.payload, result_type=dict),
            ACT_TIMEOUT,
        )
        return "accepted", answer
    except (Refused, WorkflowUpdateFailedError):
        return "refused", None
    except RPCError as exc:
        return f"refused by the server ({exc.status.name})", None
    except Exception as exc:
        return f"error: {type(exc).__name__}", None


async def _length(client: Client, ref: str) -> int:
    return (
        await client.get_workflow_handle(workflow_id(ref)).describe()
    ).raw_description.workflow_execution_info.history_length


async def _quiet(client: Client, ref: str, timeout: float = 10.0) -> None:
    """Until the deliveries an accepted act started have finished and no workflow task is pending."""
    began = monotonic()
    while monotonic() - began < timeout:
        raw = (await client.get_workflow_handle(workflow_id(ref)).describe()).raw_description
        if not raw.pending_activities and not raw.HasField("pending_workflow_task"):
            return
        await asyncio.sleep(0.1)


async def _lane(nrm: NrmClient, raw: Client, case: Case, attempts: list, delegated: bool, tally: dict) -> None:
    length = await _length(raw, case.reference)
    for n, draw in enumerate(attempts):
        attempt = materialize(draw, case, delegated, datetime.now(UTC))
        outcome, brief = await _send(nrm, raw, attempt, case.reference)
        tally["outcomes"][f"{attempt.path}: {outcome}"] += 1
        if outcome == "error: TimeoutError":
            tally["stuck"].append(
                {"case": case.reference, "after_act": attempt.act, "acts_not_sent": len(attempts) - n - 1}
            )
            return
        if outcome == "accepted" and brief is not None:
            case.stage = brief["stage"]
            case.open = [(d["kind"], d["owner_role"]) for d in brief["open_deadlines"]]
            if attempt.must_refuse:
                tally["wrongly_accepted"].append(
                    {"case": case.reference, "act": attempt.act, "path": attempt.path, "why": attempt.must_refuse}
                )
                tally["wrong_by_reason"].update(set(attempt.must_refuse))
            await _quiet(raw, case.reference)
            length = await _length(raw, case.reference)
            continue
        after = await _length(raw, case.reference)
        if after != length:
            tally["refusals_that_wrote"].append(
                {"case": case.reference, "act": attempt.act, "outcome": outcome, "events": after - length}
            )
        length = after


async def _valid_act(nrm: NrmClient, ref: str) -> str:
    """A valid act for the case as it stands (accepted, refused, or none known), by the client library."""
    ca = bench_actor(Role.COMPETENT_AUTHORITY)
    try:
        status = await nrm.status(ref)
        if status.stage.value == "stage1_pending":
            await nrm.decide_stage1(ref, DecisionRequest(actor=ca, outcome="positive", reasons="faults: valid"))
        elif status.stage.value == "presumed_victim":
            await nrm.extend_rr(ref, ExtendRRRequest(actor=ca, reasons="faults: valid", extend_by=timedelta(days=1)))
        elif status.stage.value == "outside_nrm":
            await nrm.record_consent(ref, ConsentRequest(actor=bench_actor(Role.FIRST_RESPONDER)))
        else:
            owed = next((d for d in status.open_deadlines if d.kind in _PROVISIONS), None)
            kinds = {d.kind for d in status.open_deadlines}
            if owed is not None:
                await nrm.provide(
                    ref,
                    ProvideRequest(actor=bench_actor(Role(owed.owner_role)), kind=owed.kind, evidence="faults: valid"),
                )
            elif "reconsideration_request" in kinds:
                await nrm.request_reconsideration(
                    ref, ReconsiderationRequest(actor=bench_actor(Role.SUPPORT_PROVIDER), reasons="faults: valid")
                )
            elif "residence_permit" in kinds or "interim_permit" in kinds:
                await nrm.permit_decision(
                    ref,
                    PermitRequest(
                        actor=bench_actor(Role.IMMIGRATION_AUTHORITY),
                        action=PermitAction.GRANT,
                        grounds=[PermitGround.COOPERATION],
                        valid_until=datetime.now(UTC) + timedelta(days=365),
                    ),
                )
            else:
                return "no valid act known"
    except Exception as exc:
        return f"refused: {type(exc).__name__}"
    return "accepted"


_PROVISIONS = {
    "nrm_referral",
    "independent_advocate",
    "urgent_healthcare",
    "emergency_kit",
    "accommodation",
    "legal_advice",
    "rr_granted",
}


async def fuzz_acts(args: argparse.Namespace, scratch: Path) -> Path:
    machine = report.machine()
    planned = draws(args.acts, args.seed)
    async with site(scratch, "faults") as where:
        nrm = NrmClient(where.client, where.settings)
        config = where.client.config()
        raw = Client(**{**config, "interceptors": [*config["interceptors"], _RawHeader()]})
        delegated = nrm.policy(args.policy).stage1.delegated_to_first_responders
        async with WorkerProcess("nrmflow", where.settings, scratch / "worker.log"):
            cases = []
            for i in range(args.cases):  # every fifth person declined referral: consent is an act to fuzz
                ref = await nrm.open_case(
                    {**referral(), "consent_to_referral": i % 5 != 4},
                    bench_actor(Role.FIRST_RESPONDER),
                    policy=args.policy,
                )
                cases.append(Case(ref, "stage1_pending" if i % 5 != 4 else "outside_nrm"))
            tally: dict[str, Any] = {
                "outcomes": Counter(),
                "wrongly_accepted": [],
                "wrong_by_reason": Counter(),
                "refusals_that_wrote": [],
                "stuck": [],
            }
            began = monotonic()
            await asyncio.gather(
                *(_lane(nrm, raw, c, planned[i :: len(cases)], delegated, tally) for i, c in enumerate(cases))
            )
            wall = monotonic() - began
            valid = {c.reference: await _valid_act(nrm, c.reference) for c in cases}
            histories = await fetch(where.client, [workflow_id(c.reference) for c in cases], concurrency=2)
            failed = failed_workflow_tasks(histories)
            unable = [ref for ref, outcome in valid.items() if outcome != "accepted"]
            unexpected = (
                set(failed)
                | {workflow_id(r) for r in unable}
                | {workflow_id(w["case"]) for w in tally["wrongly_accepted"] + tally["refusals_that_wrote"]}
            )
            kept = await keep(
                where.client,
                sorted(unexpected)[: args.keep],
                results.histories_dir(args, "fuzz-acts"),
                where.settings.key_path,
            )
    figures = {
        "acts": len(planned),
        "cases": len(cases),
        "wall_seconds": round(wall, 1),
        "outcomes": dict(sorted(tally["outcomes"].items())),
        "wrongly_accepted": {
            "count": len(tally["wrongly_accepted"]),
            "by_reason": dict(tally["wrong_by_reason"]),
            "examples": tally["wrongly_accepted"][:50],
        },
        "refusals_that_wrote_events": {
            "count": len(tally["refusals_that_wrote"]),
            "events": sum(r["events"] for r in tally["refusals_that_wrote"]),
            "examples": tally["refusals_that_wrote"][:50],
        },
        "failed_workflow_tasks": {"cases": len(failed), "events": sum(failed.values())},
        "stuck_cases": tally["stuck"],
        "valid_act_afterwards": dict(Counter(valid.values())),
        "unable_afterwards": unable,
        "kept_histories": kept,
    }
    rows = [
        ("acts", len(planned)),
        ("cases", len(cases)),
        ("accepted", sum(v for k, v in tally["outcomes"].items() if k.endswith(": accepted"))),
        ("wrongly accepted", len(tally["wrongly_accepted"])),
        *[(f"  {why}", n) for why, n in tally["wrong_by_reason"].most_common()],
        ("refusals that wrote events", len(tally["refusals_that_wrote"])),
        ("failed workflow tasks", sum(failed.values())),
        ("cases stuck (an act unanswered)", len(tally["stuck"])),
        ("cases unable to act afterwards", len(unable)),
    ]
    parameters = {"acts": args.acts, "cases": args.cases, "seed": args.seed, "policy": Path(args.policy).name}
    return results.write("fuzz-acts", machine, parameters, figures, rows, args)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--acts", type=int, default=10_000)
    p.add_argument("--cases", type=int, default=16, help="cases in the pool, one lane of acts each")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", type=int, default=20, help="at most this many unexpected histories kept")
