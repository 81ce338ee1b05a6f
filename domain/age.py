"""An age dispute (DOMAIN.md section 5): a person whose age is in doubt is a child until a final adult finding.

From the dispute on, the child rules apply: removal is suspended, a child's safeguards are owed (domain.children;
after a positive Stage 1 also the child's provisions), and an age assessment is owed by the policy's assessor. Its
result is an act, sent to the person in a letter: `child` or `inconclusive` (the benefit of the doubt) settles the
person as a child; `adult` may be challenged (domain.challenges) and is final only when its reconsideration window
closes unused or the challenge upholds it. Until then the person stays a child; set aside, the person is settled
as a child; remitted, the age is assessed again. Only a final adult finding applies the adult rules from then on,
with a handover from the guardian advocate to an independent advocate. Nothing already given is taken back:
obligations owed stay owed, and removal stays suspended.
"""

from __future__ import annotations

from datetime import datetime

from domain import challenges, children
from domain.case import AgeFinding, AgeStatus, CaseState, Challenge, ChallengeSubject, ObligationKind, Stage
from domain.challenges import Outcomes
from domain.deadlines import move_due, new_obligation
from domain.entry import refer
from domain.errors import NotAuthorized, WrongStage
from domain.notices import Message, decision_letter
from domain.requests import AgeAssessmentRequest, AgeDisputeRequest
from domain.roles import Act, Role
from domain.rules import authorize_act, fulfil, owe, record, require_reasons
from domain.text import EVIDENCE_MAX, check_text


def check_dispute(state: CaseState, request: AgeDisputeRequest) -> None:
    authorize_act(state, Act.DISPUTE_AGE, request.actor)
    if challenges.is_pending(state.challenge_of(ChallengeSubject.AGE)):
        raise WrongStage(
            f"the age in case {state.reference} is not settled: the age assessment's adult finding is challenged "
            f"(`nrm case reconsider|review|appeal|judgment {state.reference} --of age`)"
        )
    if state.age_status is AgeStatus.DISPUTED:
        raise WrongStage(
            f"the age in case {state.reference} is disputed already: its age assessment is pending (record it with "
            f"`nrm case age-assessment {state.reference} --outcome ...`)"
        )
    require_reasons(request.reasons, "an age dispute")


def apply_dispute(state: CaseState, request: AgeDisputeRequest, now: datetime) -> list[Message]:
    record(state, Act.DISPUTE_AGE, AgeStatus.DISPUTED.value, request.actor, now, reasons=request.reasons.strip())
    return dispute(state, now)


def dispute(state: CaseState, now: datetime) -> list[Message]:
    """Treat the person as a child from `now` until the age assessment (owed from now) settles it."""
    state.age_status = AgeStatus.DISPUTED
    was_child, state.is_child = state.is_child, True
    state.removal_suspended = True
    _owe_assessment(state, now)
    if state.stage is Stage.OUTSIDE_NRM:  # a child is referred always
        return refer(state, now)
    stage1 = state.open_obligation(ObligationKind.STAGE1_DECISION)
    child_due = now + state.policy.stage1.due_child
    if not was_child and stage1 is not None and child_due < stage1.due_at:  # a child's Stage 1 comes sooner
        move_due(stage1, child_due, from_time=now)
    messages = [] if was_child else children.enter_as_child(state, now)
    return messages + provisions_from_now(state, now)


def _owe_assessment(state: CaseState, now: datetime) -> str:
    """The age assessment owed by the policy's assessor, from `now`; its id."""
    rules = state.policy.age
    kind = ObligationKind.AGE_ASSESSMENT
    assessment = new_obligation(
        kind, rules.assessment_owner, start=now, due=now + rules.assessment_due, ob_id=state.next_obligation_id(kind)
    )
    state.obligations[assessment.id] = assessment
    return assessment.id


def provisions_from_now(state: CaseState, now: datetime) -> list[Message]:
    """On the positive path (an R&R period running), the provisions of the person's age as now found, from `now`,
    each kind unless owed before."""
    if state.stage is not Stage.PRESUMED_VICTIM:
        return []
    referral = state.referral
    items = state.policy.provisions_for(
        is_child=state.is_child, unaccompanied=referral.unaccompanied, family_safe=referral.family_safe
    )
    return children.owe_once(state, items, now)


def check_assessment(state: CaseState, request: AgeAssessmentRequest) -> None:
    authorize_act(state, Act.RECORD_AGE_ASSESSMENT, request.actor)
    ob = state.open_obligation(ObligationKind.AGE_ASSESSMENT)
    if ob is None and challenges.is_pending(state.challenge_of(ChallengeSubject.AGE)):
        raise WrongStage(
            f"case {state.reference} has no age assessment pending: its adult finding is challenged (`nrm case "
            f"reconsider|review|appeal|judgment {state.reference} --of age`)"
        )
    if ob is None:
        raise WrongStage(
            f"case {state.reference} has no age assessment pending (dispute the age first: "
            f"`nrm case age-dispute {state.reference}`)"
        )
    if request.actor.role is not ob.owner_role:
        raise NotAuthorized(
            f"role {request.actor.role.value} may not record the age assessment: it is owed by {ob.owner_role.value}"
        )
    require_reasons(request.reasons, "an age assessment")
    check_text(request.evidence, "the evidence summary", EVIDENCE_MAX)
    children.check_child_views(state, request.child_views, "an age assessment")


def apply_assessment(state: CaseState, request: AgeAssessmentRequest, now: datetime) -> list[Message]:
    ob = state.open_obligation(ObligationKind.AGE_ASSESSMENT)
    assert ob is not None
    fulfil(state, ob.id, request.actor, now)
    ob.evidence = request.evidence.strip() or request.reasons.strip()
    record(
        state,
        Act.RECORD_AGE_ASSESSMENT,
        request.outcome.value,
        request.actor,
        now,
        reasons=request.reasons.strip(),
        evidence=request.evidence.strip(),
        child_views=request.child_views.strip(),
    )
    if request.outcome is not AgeFinding.ADULT:  # inconclusive: the benefit of the doubt
        state.age_status = AgeStatus.CHILD
        return [decision_letter(state)]
    challenges.issue(state, ChallengeSubject.AGE, now, decided=ob.id)  # a child until the finding is final
    return [decision_letter(state)]


def _adult(state: CaseState, challenge: Challenge, now: datetime) -> list[Message]:
    """The adult finding is final: the adult rules apply from now, with the guardian advocate's handover."""
    state.age_status = AgeStatus.ADULT
    state.is_child = False
    return adult_support(state, now, now)


def adult_support(state: CaseState, at: datetime, now: datetime) -> list[Message]:
    """From `at` the adult rules apply: the guardian advocate hands over to an independent advocate within the
    policy's `handover_due`, and the adult provisions of the case's stage are owed (each kind unless owed before)."""
    handover = new_obligation(
        ObligationKind.ADVOCATE_HANDOVER,
        Role.GUARDIAN_ADVOCATE,
        start=at,
        due=at + state.policy.age.handover_due,
        ob_id=state.next_obligation_id(ObligationKind.ADVOCATE_HANDOVER),
    )
    return owe(state, handover, now) + provisions_from_now(state, at)


def _child(state: CaseState, challenge: Challenge, now: datetime) -> list[Message]:
    """The adult finding set aside: the person is settled as a child."""
    state.age_status = AgeStatus.CHILD
    return []


def _assess_again(state: CaseState, challenge: Challenge, now: datetime) -> list[Message]:
    """The court sent the finding back: the age is assessed again, within the policy's time; still a child."""
    challenge.owed_again = _owe_assessment(state, now)
    return []


def _disputed_again(state: CaseState, challenge: Challenge) -> None:
    """A late request on new evidence against a final adult finding: a child again until it is decided."""
    state.age_status = AgeStatus.DISPUTED
    state.is_child = True
    state.removal_suspended = True


CHALLENGE = Outcomes(overturned=_child, final=_adult, remitted=_assess_again, reopened=_disputed_again)
