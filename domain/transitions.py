"""What each human act requires (`check_*`, run by the Update validators) and what it changes (`apply_*`).

`check_*` must refuse everything that `apply_*` cannot carry out, with a message fit for the command line, so
that a refused act writes nothing to the case history.
"""

from __future__ import annotations

from datetime import datetime

from domain.case import (
    CaseState,
    DecisionRecord,
    ObligationKind,
    Outcome,
    RecoveryReflection,
    RRExtension,
    Stage,
)
from domain.deadlines import move_due, new_obligation
from domain.errors import InvalidRequest, WrongStage
from domain.requests import ConsentRequest, DecisionRequest, ExtendRRRequest, OpenCase
from domain.roles import Act, Actor, Role, authorize


def _authorize(state: CaseState, act: Act, actor: Actor) -> None:
    authorize(act, actor, stage1_delegated=state.policy.stage1.delegated_to_first_responders)


def _require_stage(state: CaseState, what: str, *allowed: Stage) -> None:
    if state.stage not in allowed:
        needed = " or ".join(s.value for s in allowed)
        raise WrongStage(f"{what} is not possible: case {state.reference} is {state.stage.value} (needs {needed})")


def _require_reasons(reasons: str, what: str) -> None:
    if not reasons.strip():
        raise InvalidRequest(f"{what} needs written reasons")


def open_case(request: OpenCase, now: datetime) -> CaseState:
    referral = request.referral
    state = CaseState(
        reference=request.reference,
        policy=request.policy,
        referral=referral,
        is_child=referral.is_child,
        opened_at=now,
        opened_by=request.opened_by,
        stage=Stage.OUTSIDE_NRM,
    )
    if referral.enters_nrm:
        _refer(state, now)
    return state


def _refer(state: CaseState, now: datetime) -> None:
    state.stage = Stage.STAGE1_PENDING
    state.referred_at = now
    owner = Role.COMPETENT_AUTHORITY
    state.obligations[ObligationKind.STAGE1_DECISION.value] = new_obligation(
        ObligationKind.STAGE1_DECISION, owner, start=now, due=now + state.stage1_due_after()
    )


def check_consent(state: CaseState, request: ConsentRequest) -> None:
    _authorize(state, Act.RECORD_CONSENT, request.actor)
    _require_stage(state, "recording consent to referral", Stage.OUTSIDE_NRM)


def apply_consent(state: CaseState, request: ConsentRequest, now: datetime) -> None:
    state.decisions.append(
        DecisionRecord(act=Act.RECORD_CONSENT.value, outcome="consent given", actor=request.actor, at=now,
                       reasons=request.note)
    )
    _refer(state, now)


def _check_decision(state: CaseState, act: Act, request: DecisionRequest, what: str, pending: Stage) -> None:
    _authorize(state, act, request.actor)
    _require_stage(state, what, pending)
    _require_reasons(request.reasons, what)


def _record_decision(state: CaseState, act: Act, request: DecisionRequest, now: datetime) -> None:
    state.decisions.append(
        DecisionRecord(
            act=act.value,
            outcome=request.outcome.value,
            actor=request.actor,
            at=now,
            reasons=request.reasons.strip(),
            evidence=request.evidence.strip(),
            informed_in=request.informed_in or state.referral.language,
        )
    )


def _fulfil(state: CaseState, kind: ObligationKind, actor: Actor, now: datetime) -> None:
    ob = state.obligations[kind.value]
    ob.fulfilled_at = now
    ob.fulfilled_by = actor


def check_stage1(state: CaseState, request: DecisionRequest) -> None:
    _check_decision(state, Act.STAGE1_DECISION, request, "a Stage 1 decision", Stage.STAGE1_PENDING)


def apply_stage1(state: CaseState, request: DecisionRequest, now: datetime) -> None:
    _record_decision(state, Act.STAGE1_DECISION, request, now)
    _fulfil(state, ObligationKind.STAGE1_DECISION, request.actor, now)
    if request.outcome is Outcome.NEGATIVE:
        state.stage = Stage.STAGE1_NEGATIVE
        return
    state.stage = Stage.PRESUMED_VICTIM
    state.removal_suspended = True
    end = now + state.policy.rr.period
    state.rr = RecoveryReflection(start=now, end=end)
    state.obligations[ObligationKind.STAGE2_DECISION.value] = new_obligation(
        ObligationKind.STAGE2_DECISION, Role.COMPETENT_AUTHORITY, start=now, due=end
    )


def check_stage2(state: CaseState, request: DecisionRequest) -> None:
    _check_decision(state, Act.STAGE2_DECISION, request, "a Stage 2 decision", Stage.PRESUMED_VICTIM)


def apply_stage2(state: CaseState, request: DecisionRequest, now: datetime) -> None:
    _record_decision(state, Act.STAGE2_DECISION, request, now)
    _fulfil(state, ObligationKind.STAGE2_DECISION, request.actor, now)
    state.stage = Stage.CONFIRMED_VICTIM if request.outcome is Outcome.POSITIVE else Stage.STAGE2_NEGATIVE


def check_extend_rr(state: CaseState, request: ExtendRRRequest) -> None:
    _authorize(state, Act.EXTEND_RR, request.actor)
    _require_stage(state, "extending the R&R period", Stage.PRESUMED_VICTIM)
    _require_reasons(request.reasons, "an R&R extension")
    if (request.new_end is None) == (request.extend_by is None):
        raise InvalidRequest("an R&R extension needs either a new end date or a duration to extend by, not both")
    if request.new_end is not None and request.new_end.tzinfo is None:
        raise InvalidRequest("the new R&R end needs a time zone (e.g. 2026-12-31T00:00:00Z)")
    assert state.rr is not None
    new_end = extended_end(state, request)
    if new_end <= state.rr.end:
        raise InvalidRequest(
            f"the new R&R end {new_end.isoformat()} is not after the current end {state.rr.end.isoformat()}"
        )


def extended_end(state: CaseState, request: ExtendRRRequest) -> datetime:
    assert state.rr is not None
    if request.new_end is not None:
        return request.new_end
    assert request.extend_by is not None
    return state.rr.end + request.extend_by


def apply_extend_rr(state: CaseState, request: ExtendRRRequest, now: datetime) -> None:
    rr = state.rr
    assert rr is not None
    new_end = extended_end(state, request)
    rr.extensions.append(
        RRExtension(previous_end=rr.end, new_end=new_end, at=now, automatic=False, actor=request.actor,
                    reasons=request.reasons.strip())
    )
    rr.end = new_end
    move_due(state.obligations[ObligationKind.STAGE2_DECISION.value], new_end, from_time=now)
