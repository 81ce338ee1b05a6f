"""Messages the case sends besides reminders and escalations: decision letters, assessment requests, delivery
failures and the coordinators' digest. Each is built here from the case state and rendered by a template.

Every message has a `key` that is stable across retries and replays: channels use it to never send twice.
A decision letter carries personal content (the reasons) and, for a person, an address: it travels only inside
encrypted payloads and the outgoing message itself. A child's letters go to the guardian, never to the child.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from domain.case import (
    CaseState,
    ChallengeSubject,
    DecisionRecord,
    DeliveryFailure,
    Obligation,
    ObligationKind,
    Outcome,
    Stage,
)
from domain.deadlines import Alert
from domain.permit_records import PermitAction, PermitGround, PermitType
from domain.referral import GuardianRelation
from domain.roles import Act, Role


class Right(str, enum.Enum):
    """What the person may do after a decision; each has a paragraph in the letter templates."""

    RECONSIDERATION = "reconsideration"
    APPEAL = "appeal"
    LEGAL_ADVICE = "legal_advice"
    RECOVERY_REFLECTION = "recovery_reflection"  # R&R period: rest, support, no removal, no duty to cooperate


class Recipients(BaseModel):
    """Role mailboxes (resolved by the notification channel) and, for letters only, personal addresses."""

    roles: list[Role] = Field(default_factory=list)
    addresses: list[str] = Field(default_factory=list)


class DecisionKind(str, enum.Enum):
    """What a decision letter announces: a Stage 1 or 2 decision, an age assessment's result, a review panel's, or a
    court's judgment."""

    STAGE = "stage"
    AGE_ASSESSMENT = "age_assessment"
    REVIEW = "review"
    JUDGMENT = "judgment"


class Letter(BaseModel):
    """What every letter to the person carries: where it goes and how (`letter_recipients`), in which language."""

    key: str
    reference: str
    recipients: Recipients
    language: str
    to_guardian: bool
    by_hand: bool  # no address known: the mailbox's owner hands the letter over


class DecisionLetter(Letter):
    template: Literal["decision_letter"] = "decision_letter"
    stage: int  # 0 for a decision that is not an identification decision (`challenged` says what it is about)
    outcome: Outcome
    decided_at: datetime
    reasons: str
    rights: list[Right]
    rr_end: datetime | None = None
    decision: DecisionKind = DecisionKind.STAGE
    decided_by: Role = Role.COMPETENT_AUTHORITY
    finding: str = ""  # a review's or judgment's outcome: upheld, overturned, dismissed, allowed, remitted
    court: str = ""
    judgment_ref: str = ""
    rights_until: datetime | None = None  # the end of the window to use the first of the rights listed
    redecision_due: datetime | None = None  # remitted: decided again by then; a permit owed again: granted by then
    challenged: ChallengeSubject | None = None  # a review or judgment: what was challenged


class PermitLetter(Letter):
    """The immigration authority's decision on a permit, to the person (a child's to the guardian), in writing
    with reasons; a refusal says how to challenge it."""

    template: Literal["permit_letter"] = "permit_letter"
    action: PermitAction
    permit: PermitType
    renewal: bool  # the decision on renewing a permit held (not on granting one)
    grounds: list[PermitGround]
    valid_from: datetime | None
    valid_until: datetime | None
    decided_at: datetime
    reasons: str
    rights_until: datetime | None = None  # a refusal: the end of the window to request its reconsideration


class ReturnEvent(str, enum.Enum):
    REQUESTED = "requested"  # the person's decision recorded: the risk assessment comes first
    RISK_FOUND = "risk_found"  # no return: protection goes on
    PLANNED = "planned"
    STOPPED = "stopped"  # holds found at the planned departure: the plan is stopped


class ReturnLetter(Letter):
    """Each decision about a person's voluntary return, to the person (a child's to the guardian) in writing, with
    its reasons and the person's right to change their mind; one letter per person, never collective."""

    template: Literal["return_letter"] = "return_letter"
    event: ReturnEvent
    decided_at: datetime
    departure_at: datetime | None = None
    route: str = ""
    escort: str = ""
    reception: str = ""
    reasons: list[str] = Field(default_factory=list)  # the holds that stopped it, or the assessment's finding


class AssessmentNeeded(BaseModel):
    """An assessment request: what is needed, for which case, by when, and how the result comes back."""

    template: Literal["assessment_request"] = "assessment_request"
    key: str
    reference: str
    recipients: Recipients
    kind: ObligationKind
    obligation_id: str
    review: int  # 1 for the first assessment, 2 for its first review, ...
    due_at: datetime
    is_child: bool


class DeliveryFailed(BaseModel):
    template: Literal["delivery_failure"] = "delivery_failure"
    key: str
    reference: str
    recipients: Recipients
    failed_key: str
    what: str
    reason: str


class CaseEventKind(str, enum.Enum):
    MISSING = "missing"  # the person was reported missing (a child's: escalated at once)
    FOUND = "found"
    SUSPENDED = "suspended"  # an adult missing for the policy's period: the case suspended, not closed
    CAME_OF_AGE = "came_of_age"  # adult for new obligations by the date of birth (domain.majority)
    CHILD_SUPPORT_ENDED = "child_support_ended"  # after coming of age: the guardian advocate's handover is owed


class CaseEvent(BaseModel):
    """A change in the life of a case that those responsible must know of at once (domain.lifecycle)."""

    template: Literal["case_event"] = "case_event"
    key: str
    reference: str
    recipients: Recipients
    event: CaseEventKind
    at: datetime
    is_child: bool
    until: datetime | None = None  # coming of age: child-level support continues until then


class DigestRow(BaseModel):
    reference: str
    kind: str
    due_at: datetime
    overdue: bool
    is_child: bool | None = None
    jurisdiction: str | None = None


class Digest(BaseModel):
    template: Literal["digest"] = "digest"
    key: str
    reference: str | None = None
    recipients: Recipients
    as_of: datetime
    window_hours: int
    rows: list[DigestRow]  # the obligations due soonest (a bounded list)
    cases_due: int  # every case with an obligation due within the window (overdue ones included)
    cases_overdue: int


Notice = Annotated[
    DecisionLetter | PermitLetter | ReturnLetter | AssessmentNeeded | DeliveryFailed | CaseEvent | Digest,
    Field(discriminator="template"),
]
# what a case sends
Message = Alert | DecisionLetter | PermitLetter | ReturnLetter | AssessmentNeeded | DeliveryFailed | CaseEvent


def rights_after(outcome: Outcome, stage: int) -> list[Right]:
    if outcome is Outcome.NEGATIVE:
        return [Right.RECONSIDERATION, Right.APPEAL, Right.LEGAL_ADVICE]
    if stage == 1:
        return [Right.RECOVERY_REFLECTION, Right.LEGAL_ADVICE]
    return [Right.LEGAL_ADVICE]


def letter_recipients(state: CaseState) -> tuple[Recipients, str, bool, bool]:
    """(recipients, language, to_guardian, by_hand). A child's letter never goes to the child: to the legal
    guardian, or to a parent only after a positive finding that the family is safe (the family may be the
    exploiter); else to the guardian advocate. An adult without an address gets it from the support provider by
    hand."""
    referral = state.referral
    if state.is_child:
        guardian = referral.guardian
        if guardian and (guardian.relation is GuardianRelation.LEGAL_GUARDIAN or referral.family_safe):
            return Recipients(addresses=[guardian.email]), guardian.language, True, False
        return Recipients(roles=[Role.GUARDIAN_ADVOCATE]), referral.language, True, True
    if referral.person.email:
        return Recipients(addresses=[referral.person.email]), referral.language, False, False
    return Recipients(roles=[Role.SUPPORT_PROVIDER]), referral.language, False, True


_DECISION_KINDS = {
    Act.STAGE1_DECISION.value: DecisionKind.STAGE,
    Act.STAGE2_DECISION.value: DecisionKind.STAGE,
    Act.RECORD_AGE_ASSESSMENT.value: DecisionKind.AGE_ASSESSMENT,
    Act.RECORD_REVIEW.value: DecisionKind.REVIEW,
    Act.RECORD_JUDGMENT.value: DecisionKind.JUDGMENT,
}
_POSITIVE_FINDINGS = {"positive", "overturned", "allowed", "child", "inconclusive"}


def decision_letter(state: CaseState, of: DecisionRecord | None = None) -> DecisionLetter:
    """The letter for the case's latest decision (after the act has changed the case), or for the decision `of`
    (a provisional one the review panel has just confirmed), in the language the person was informed in. A review
    or judgment letter says what it found and what the person may do next; an adult age finding, how to challenge
    it."""
    decision = of or state.decisions[-1]
    kind = _DECISION_KINDS[decision.act]
    subject = ChallengeSubject.AGE if kind is DecisionKind.AGE_ASSESSMENT else decision.challenged
    challenge = state.challenge_of(subject) if subject is not None else state.challenge
    if kind is DecisionKind.STAGE:
        stage = 1 if decision.act == Act.STAGE1_DECISION.value else 2
    else:
        stage = decision.stage or 0
    outcome = Outcome.POSITIVE if decision.outcome in _POSITIVE_FINDINGS else Outcome.NEGATIVE
    recipients, language, to_guardian, by_hand = letter_recipients(state)
    if not to_guardian and decision.informed_in:
        language = decision.informed_in
    window = state.obligations.get(challenge.obligation_id) if challenge and challenge.obligation_id else None
    open_window = window if window is not None and window.is_open and window.kind.is_window else None
    redecision = None
    if challenge is not None and challenge.owed_again:  # an age assessment or a permit owed again
        redecision = state.obligations[challenge.owed_again].due_at
    elif decision.outcome == "remitted":
        pending = state.open_obligation(
            ObligationKind.STAGE1_DECISION if state.stage is Stage.STAGE1_PENDING else ObligationKind.STAGE2_DECISION
        )
        redecision = pending.due_at if pending else None
    return DecisionLetter(
        key=f"{state.reference}/letter/{len(state.decisions)}-{decision.act}",
        reference=state.reference,
        recipients=recipients,
        language=language,
        to_guardian=to_guardian,
        by_hand=by_hand,
        stage=stage,
        outcome=outcome,
        decided_at=decision.at,
        reasons=decision.reasons,
        rights=_rights(kind, outcome, stage, open_window),
        rr_end=state.rr.end
        if outcome is Outcome.POSITIVE and stage and state.stage is Stage.PRESUMED_VICTIM and state.rr
        else None,
        decision=kind,
        decided_by=decision.actor.role,
        finding="" if kind is DecisionKind.STAGE else decision.outcome,
        court=decision.court,
        judgment_ref=decision.judgment_ref,
        rights_until=open_window.due_at if open_window else None,
        redecision_due=redecision,
        challenged=subject,
    )


def _rights(kind: DecisionKind, outcome: Outcome, stage: int, window: Obligation | None) -> list[Right]:
    if kind in (DecisionKind.STAGE, DecisionKind.AGE_ASSESSMENT) or outcome is Outcome.POSITIVE:
        return rights_after(outcome, stage)
    if window is not None and window.kind is ObligationKind.APPEAL_LODGING:
        return [Right.APPEAL, Right.LEGAL_ADVICE]
    return [Right.LEGAL_ADVICE]


def review_number(ob: Obligation) -> int:
    _, _, n = ob.id.partition("#")
    return int(n) if n else 1


def assessment_needed(state: CaseState, ob: Obligation) -> AssessmentNeeded:
    return AssessmentNeeded(
        key=f"{state.reference}/{ob.id}/v{ob.version}/assessment-request",
        reference=state.reference,
        recipients=Recipients(roles=[ob.owner_role]),
        kind=ob.kind,
        obligation_id=ob.id,
        review=review_number(ob),
        due_at=ob.due_at,
        is_child=state.is_child,
    )


def record_delivery_failure(state: CaseState, key: str, what: str, reason: str, now: datetime) -> DeliveryFailed | None:
    """Record a permanent delivery failure and return the escalation to send, unless what failed was itself a
    delivery-failure escalation (which would only fail again the same way)."""
    escalate = what != "delivery_failure"
    target = state.policy.escalation.to_role if escalate else None
    state.delivery_failures.append(DeliveryFailure(key=key, what=what, at=now, reason=reason, escalated_to=target))
    if target is None:
        return None
    return DeliveryFailed(
        key=f"{state.reference}/delivery-failure/{len(state.delivery_failures)}",
        reference=state.reference,
        recipients=Recipients(roles=[target]),
        failed_key=key,
        what=what,
        reason=reason,
    )
