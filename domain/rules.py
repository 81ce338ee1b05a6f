"""What the tracks of a case share (domain.transitions: identification and support; domain.appeals: the
challenge of a negative decision): checks of who acts and in which stage, how a decision is recorded, and the
positive Stage 1 path (a presumed victim's R&R period and provisions), which an overturned negative also takes.
"""

from __future__ import annotations

import re
from datetime import datetime

from domain.case import (
    CaseState,
    DecisionRecord,
    Obligation,
    ObligationKind,
    RecoveryReflection,
    Stage,
)
from domain.consent import ConsentPurpose
from domain.deadlines import new_obligation
from domain.errors import InvalidRequest, WrongStage
from domain.notices import Message, assessment_needed
from domain.roles import Act, Actor, Role, authorize
from domain.text import REASONS_MAX, check_written, quote

LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def authorize_act(state: CaseState, act: Act, actor: Actor, only: frozenset[Role] | None = None) -> None:
    authorize(act, actor, stage1_delegated=state.policy.stage1.delegated_to_first_responders, only=only)


def require_stage(state: CaseState, what: str, *allowed: Stage) -> None:
    if state.stage not in allowed:
        needed = " or ".join(s.value for s in allowed)
        raise WrongStage(f"{what} is not possible: case {state.reference} is {state.stage.value} (needs {needed})")


def require_reasons(reasons: str, what: str) -> None:
    check_written(reasons, "reasons", REASONS_MAX, what)


def check_language(informed_in: str) -> None:
    if informed_in and not LANGUAGE.match(informed_in):
        raise InvalidRequest(f"informed_in {quote(informed_in)} is not a language code (e.g. en, ro, uk)")


def record(state: CaseState, act: Act, outcome: str, actor: Actor, now: datetime, **details: object) -> DecisionRecord:
    """Append who decided what, when, why and on what evidence; the person informed in the referral's language
    unless the decision names another."""
    entry = DecisionRecord.model_validate(
        {
            "act": act.value,
            "outcome": outcome,
            "actor": actor,
            "at": now,
            **details,
            "informed_in": details.get("informed_in") or state.referral.language,
        }
    )
    state.decisions.append(entry)
    return entry


def fulfil(state: CaseState, ob_id: str, actor: Actor, now: datetime) -> None:
    ob = state.obligations[ob_id]
    ob.fulfilled_at = now
    ob.fulfilled_by = actor
    ob.recorded_at = now


def open_decision(state: CaseState, kind: ObligationKind) -> Obligation:
    """The open decision obligation of that kind (a remitted stage owes its decision again, as `kind#2`)."""
    ob = state.open_obligation(kind)
    assert ob is not None, f"no open {kind.value}"
    return ob


def owe(state: CaseState, ob: Obligation, now: datetime) -> list[Message]:
    """Add the obligation; an assessment is requested from its assessor at once, unless the person withdrew
    consent to data sharing (the request goes to another agency's system; the assessment stays owed)."""
    state.obligations[ob.id] = ob
    if not ob.kind.is_assessment or not state.consents_to(ConsentPurpose.DATA_SHARING):
        return []
    ob.requested_at = now
    return [assessment_needed(state, ob)]


def owe_provisions(state: CaseState, now: datetime) -> list[Message]:
    referral = state.referral
    owed = state.policy.provisions_for(
        is_child=state.is_child, unaccompanied=referral.unaccompanied, family_safe=referral.family_safe
    )
    return [
        message
        for item, within in owed
        if state.open_obligation(item.kind) is None  # a provision owed already (an earlier path) is not owed twice
        for message in owe(
            state,
            new_obligation(
                item.kind,
                item.owner,
                start=now,
                due=now + within,
                waivable=item.waivable,
                ob_id=state.next_obligation_id(item.kind),
            ),
            now,
        )
    ]


def presume_victim(state: CaseState, now: datetime) -> list[Message]:
    """The positive Stage 1 path from `now`: presumed victim, R&R starts, Stage 2 due at its end, provisions owed.
    The caller records the decision and sends its letter first."""
    state.stage = Stage.PRESUMED_VICTIM
    state.removal_suspended = True
    state.challenge = None
    end = now + state.policy.rr.period
    state.rr = RecoveryReflection(start=now, end=end)
    stage2 = new_obligation(
        ObligationKind.STAGE2_DECISION,
        Role.COMPETENT_AUTHORITY,
        start=now,
        due=end,
        ob_id=state.next_obligation_id(ObligationKind.STAGE2_DECISION),
    )
    state.obligations[stage2.id] = stage2
    return owe_provisions(state, now)
