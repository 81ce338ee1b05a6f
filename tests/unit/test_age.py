"""An age dispute (domain.age): a child from the dispute until a final adult finding; nothing given taken back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import age, appeals, transitions
from domain.case import (
    AgeFinding,
    AgeStatus,
    CaseState,
    ChallengePhase,
    ChallengeSubject,
    JudgmentOutcome,
    ReviewOutcome,
    Stage,
)
from domain.case import ObligationKind as K
from domain.errors import InvalidRequest, NotAuthorized, WrongStage
from domain.holds import HoldKind, holds
from domain.notices import DecisionKind, DecisionLetter, Right
from domain.requests import (
    AgeAssessmentRequest,
    AgeDisputeRequest,
    AppealRequest,
    JudgmentRequest,
    ReconsiderationRequest,
    ReviewRequest,
)
from domain.roles import Actor, Role
from domain.status import case_status
from tests.integration.helpers import CHILD_VIEWS, decision
from tests.unit.builders import T0, opened

SUPPORT = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
CHILD_PROTECTION = Actor(role=Role.CHILD_PROTECTION, id="cp-1")
GUARDIAN = Actor(role=Role.GUARDIAN_ADVOCATE, id="ga-1")
PANEL = Actor(role=Role.REVIEW_PANEL, id="rp-1")
AGE = ChallengeSubject.AGE
DISPUTED = T0 + timedelta(days=2)
FOUND = T0 + timedelta(days=10)


def disputed(**overrides):
    state = opened(**overrides)
    transitions.apply_stage1(state, decision(), T0 + timedelta(days=1))
    request = AgeDisputeRequest(actor=SUPPORT, reasons="school records suggest 16")
    age.check_dispute(state, request)
    age.apply_dispute(state, request, DISPUTED)
    return state


def result(outcome: AgeFinding, actor: Actor = CHILD_PROTECTION, views: str = CHILD_VIEWS) -> AgeAssessmentRequest:
    return AgeAssessmentRequest(actor=actor, outcome=outcome, reasons="Merton-compliant assessment", child_views=views)


def test_a_dispute_treats_an_adult_as_a_child_from_then_with_an_age_assessment_owed() -> None:
    state = disputed()
    assert (state.age_status, state.is_child, state.removal_suspended) == (AgeStatus.DISPUTED, True, True)
    assessment = state.obligations[K.AGE_ASSESSMENT.value]
    assert (assessment.owner_role, assessment.due_at) == (Role.CHILD_PROTECTION, DISPUTED + timedelta(days=30))
    owed_now = {o.kind for o in state.open_obligations if o.created_at == DISPUTED}
    # the child's safeguards from the dispute, and the child's provisions (the R&R period runs) not owed before
    assert {K.GUARDIAN_ADVOCATE, K.BEST_INTERESTS_ASSESSMENT, K.LEGAL_GUARDIAN, K.GOLDEN_DAY_PLAN} <= owed_now
    assert {K.CHILD_PROTECTION_REFERRAL, K.PRACTICAL_NEEDS} <= owed_now
    assert K.RR_GRANTED not in owed_now  # owed already as an adult: not owed twice
    assert state.golden_day_until == DISPUTED + timedelta(hours=72)
    with pytest.raises(WrongStage, match="is disputed already"):
        age.check_dispute(state, AgeDisputeRequest(actor=SUPPORT, reasons="again"))


def test_a_dispute_needs_reasons_and_a_role_that_may() -> None:
    state = opened()
    with pytest.raises(InvalidRequest, match="an age dispute needs written reasons"):
        age.check_dispute(state, AgeDisputeRequest(actor=SUPPORT, reasons=" - "))
    with pytest.raises(NotAuthorized, match="role auditor may not dispute the person's age"):
        age.check_dispute(state, AgeDisputeRequest(actor=Actor(role=Role.AUDITOR, id="au-1"), reasons="x"))


def test_a_disputed_adult_outside_the_nrm_is_referred_as_a_child() -> None:
    state = opened(consent_to_referral=False)
    assert state.stage is Stage.OUTSIDE_NRM
    age.apply_dispute(state, AgeDisputeRequest(actor=SUPPORT, reasons="looks 15"), DISPUTED)
    assert state.stage is Stage.STAGE1_PENDING and state.referred_at == DISPUTED
    assert state.obligations[K.STAGE1_DECISION.value].due_at == DISPUTED + timedelta(hours=48)  # a child's time
    assert K.GUARDIAN_ADVOCATE.value in state.obligations


def test_a_referral_with_age_disputed_owes_the_assessment_from_referral() -> None:
    state = opened(age_disputed=True, consent_to_referral=None)
    assert state.age_status is AgeStatus.DISPUTED and state.is_child
    assert state.obligations[K.AGE_ASSESSMENT.value].due_at == T0 + timedelta(days=30)


def test_the_result_is_recorded_by_the_assessor_with_reasons_and_the_childs_views() -> None:
    state = disputed()
    with pytest.raises(NotAuthorized, match="it is owed by child_protection"):
        age.check_assessment(state, result(AgeFinding.ADULT, actor=SUPPORT))
    with pytest.raises(InvalidRequest, match="an age assessment concerning a child records the child's views"):
        age.check_assessment(state, result(AgeFinding.ADULT, views=""))
    with pytest.raises(WrongStage, match="has no age assessment pending"):
        age.check_assessment(opened(), result(AgeFinding.CHILD))


def test_inconclusive_settles_the_person_as_a_child() -> None:
    state = disputed()
    age.apply_assessment(state, result(AgeFinding.INCONCLUSIVE), FOUND)
    assert (state.age_status, state.is_child, state.age_settled) == (AgeStatus.CHILD, True, True)
    assert state.decisions[-1].outcome == "inconclusive" and state.decisions[-1].child_views == CHILD_VIEWS


def test_an_adult_finding_is_not_final_at_once_the_person_stays_a_child_with_the_right_to_challenge_it() -> None:
    state = disputed()
    [letter] = age.apply_assessment(state, result(AgeFinding.ADULT), FOUND)
    assert (state.age_status, state.is_child, state.removal_suspended) == (AgeStatus.DISPUTED, True, True)
    assert not state.age_settled and K.ADVOCATE_HANDOVER.value not in state.obligations
    window = state.obligations[K.RECONSIDERATION_REQUEST.value]
    assert (window.owner_role, window.due_at) == (
        Role.GUARDIAN_ADVOCATE,
        FOUND + state.policy.appeals.reconsideration_window,
    )
    assert isinstance(letter, DecisionLetter) and letter.decision is DecisionKind.AGE_ASSESSMENT
    assert (letter.finding, letter.rights_until, letter.to_guardian) == ("adult", window.due_at, True)
    assert letter.rights[0] is Right.RECONSIDERATION
    [hold] = [h for h in holds(state, FOUND) if h.kind is HoldKind.AGE]
    assert "not settled: the adult finding is reconsideration window open" in hold.text
    assert state.obligations[K.AGE_ASSESSMENT.value].fulfilled_at == FOUND
    with pytest.raises(WrongStage, match="adult finding is challenged"):
        age.check_dispute(state, AgeDisputeRequest(actor=SUPPORT, reasons="again"))


def test_a_final_adult_finding_applies_the_adult_rules_from_then_with_a_handover_and_takes_nothing_back() -> None:
    state = disputed()
    owed_as_child = {o.id for o in state.open_obligations} - {K.AGE_ASSESSMENT.value}
    age.apply_assessment(state, result(AgeFinding.ADULT), FOUND)
    closes = FOUND + state.policy.appeals.reconsideration_window
    appeals.window_closed(state, K.RECONSIDERATION_REQUEST.value, closes)
    assert (state.age_status, state.is_child, state.removal_suspended) == (AgeStatus.ADULT, False, True)
    handover = state.obligations[K.ADVOCATE_HANDOVER.value]
    assert (handover.owner_role, handover.due_at) == (Role.GUARDIAN_ADVOCATE, closes + timedelta(days=5))
    assert owed_as_child <= {o.id for o in state.open_obligations}  # nothing owed to the child is dropped
    assert state.stage is Stage.PRESUMED_VICTIM  # the identification path is not touched
    assert not [h for h in holds(state, closes) if h.kind is HoldKind.AGE]


def _challenged(outcome: str) -> CaseState:
    state = disputed()
    age.apply_assessment(state, result(AgeFinding.ADULT), FOUND)
    ask = ReconsiderationRequest(actor=GUARDIAN, reasons="the assessment ignored the birth certificate", of=AGE)
    appeals.check_reconsideration(state, ask, FOUND)
    appeals.apply_reconsideration(state, ask, FOUND)
    review = ReviewRequest(actor=PANEL, outcome=ReviewOutcome(outcome), reasons="panel's reasons", of=AGE)
    appeals.check_review(state, review)
    appeals.apply_review(state, review, FOUND + timedelta(days=1))
    return state


def test_an_adult_finding_overturned_on_reconsideration_settles_the_person_as_a_child() -> None:
    state = _challenged("overturned")
    assert (state.age_status, state.is_child, state.age_settled) == (AgeStatus.CHILD, True, True)
    assert K.ADVOCATE_HANDOVER.value not in state.obligations
    assert state.decisions[-1].challenged is AGE and state.decisions[-1].stage is None
    assert case_status(state, FOUND).pending is None


def test_an_adult_finding_upheld_can_be_appealed_and_a_remitted_one_is_assessed_again() -> None:
    state = _challenged("upheld")
    assert state.age_status is AgeStatus.DISPUTED and state.is_child  # an appeal window: not final yet
    pending = case_status(state, FOUND).pending
    assert pending is not None and (pending.of, pending.stage, pending.phase) == (
        AGE,
        None,
        ChallengePhase.APPEAL_WINDOW,
    )
    at = FOUND + timedelta(days=2)
    lodge = AppealRequest(actor=GUARDIAN, reasons="the court should hear it", of=AGE)
    appeals.check_appeal(state, lodge, at)
    appeals.apply_appeal(state, lodge, at)
    judged = JudgmentRequest(
        actor=Actor(role=Role.COORDINATOR, id="co-1"),
        outcome=JudgmentOutcome.REMITTED,
        court="Family court",
        judgment_ref="J-1",
        decided_on=at.date(),
        of=AGE,
    )
    appeals.check_judgment(state, judged, at)
    [letter] = appeals.apply_judgment(state, judged, at)
    again = state.obligations["age_assessment#2"]
    assert again.is_open and again.due_at == at + state.policy.age.assessment_due
    assert isinstance(letter, DecisionLetter) and (letter.challenged, letter.redecision_due) == (AGE, again.due_at)
    assert state.age_status is AgeStatus.DISPUTED and state.is_child


def test_only_the_policys_challengers_may_challenge_an_adult_finding_and_only_while_there_is_one() -> None:
    state = disputed()
    ask = ReconsiderationRequest(actor=GUARDIAN, reasons="wrong", of=AGE)
    with pytest.raises(WrongStage, match=r"of the age assessment.s adult finding is not possible"):
        appeals.check_reconsideration(state, ask, FOUND)
    age.apply_assessment(state, result(AgeFinding.ADULT), FOUND)
    authority = Actor(role=Role.COMPETENT_AUTHORITY, id="ca-1")
    with pytest.raises(NotAuthorized):
        appeals.check_reconsideration(state, ask.model_copy(update={"actor": authority}), FOUND)
    with pytest.raises(WrongStage, match="needs reconsideration pending"):
        appeals.check_review(state, ReviewRequest(actor=PANEL, outcome=ReviewOutcome.UPHELD, reasons="x", of=AGE))
    appeals.check_reconsideration(state, ask, FOUND)  # the guardian advocate may


def test_a_dispute_while_stage1_is_pending_brings_it_to_a_childs_limit_if_that_comes_sooner() -> None:
    state = opened()  # an adult: Stage 1 due 5 days after referral in the OSCE model
    stage1 = state.obligations[K.STAGE1_DECISION.value]
    assert stage1.due_at == T0 + timedelta(days=5)
    at = T0 + timedelta(hours=6)
    age.apply_dispute(state, AgeDisputeRequest(actor=SUPPORT, reasons="looks 15"), at)
    assert stage1.due_at == at + state.policy.stage1.due_child  # 48 hours from the dispute
    late = opened()
    age.apply_dispute(late, AgeDisputeRequest(actor=SUPPORT, reasons="looks 15"), T0 + timedelta(days=4))
    assert late.obligations[K.STAGE1_DECISION.value].due_at == T0 + timedelta(days=5)  # the adult's comes sooner


def test_while_the_adult_finding_is_challenged_the_acts_say_how_to_reach_it() -> None:
    state = disputed()
    age.apply_assessment(state, result(AgeFinding.ADULT), FOUND)
    with pytest.raises(WrongStage, match="its adult finding is challenged"):
        age.check_assessment(state, result(AgeFinding.CHILD))
    with pytest.raises(WrongStage, match="for the age assessment's adult finding add --of age"):
        appeals.check_reconsideration(state, ReconsiderationRequest(actor=GUARDIAN, reasons="wrong"), FOUND)
