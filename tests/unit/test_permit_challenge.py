"""A permit refusal challenged in the shape of the identification appeals (domain.challenges, domain.permits)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import appeals, permits
from domain.case import CaseState, ChallengePhase, ChallengeSubject, JudgmentOutcome, ObligationKind, ReviewOutcome
from domain.errors import NotAuthorized, WrongStage
from domain.holds import HoldKind, holds
from domain.notices import DecisionLetter, PermitLetter
from domain.requests import AppealRequest, JudgmentRequest, ReconsiderationRequest, ReviewRequest
from domain.roles import Actor, Role
from tests.unit.test_permits import AUTHORITY, RULES, STAGE2_AT, act, confirmed, grant, granted

PERMIT = ChallengeSubject.PERMIT
ADVOCATE = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
PANEL = Actor(role=Role.REVIEW_PANEL, id="rp-1")
REFUSED = STAGE2_AT + timedelta(days=3)
ASKED = REFUSED + timedelta(days=1)


def refused(state: CaseState | None = None) -> tuple[CaseState, PermitLetter]:
    state = state or confirmed()
    request = act("refuse", reasons="no grounds found")
    permits.check_permit(state, request, REFUSED)
    [letter] = permits.apply_permit(state, request, REFUSED)
    assert isinstance(letter, PermitLetter)
    return state, letter


def reconsidered(state: CaseState, outcome: ReviewOutcome) -> list[object]:
    ask = ReconsiderationRequest(actor=ADVOCATE, reasons="the grounds were misread", of=PERMIT)
    appeals.check_reconsideration(state, ask, ASKED)
    appeals.apply_reconsideration(state, ask, ASKED)
    review = ReviewRequest(actor=PANEL, outcome=outcome, reasons="the panel's reasons", of=PERMIT)
    appeals.check_review(state, review)
    return list(appeals.apply_review(state, review, ASKED + timedelta(days=1)))


def test_a_refusal_gives_the_rights_and_is_a_hold_on_removal_while_it_can_be_challenged() -> None:
    state, letter = refused()
    window = state.obligations[ObligationKind.RECONSIDERATION_REQUEST.value]
    assert letter.rights_until == window.due_at == REFUSED + state.policy.appeals.reconsideration_window
    assert window.owner_role is Role.SUPPORT_PROVIDER
    [hold] = [h for h in holds(state, REFUSED) if h.kind is HoldKind.CHALLENGE]
    assert "the permit refusal is not final" in hold.text and not hold.blocks_departure
    appeals.window_closed(state, window.id, window.due_at)  # unused: final, that permit's track ends
    assert state.challenge_of(PERMIT).phase is ChallengePhase.FINAL  # type: ignore[union-attr]
    assert not [h for h in holds(state, window.due_at) if h.kind in (HoldKind.CHALLENGE, HoldKind.PERMIT)]
    assert state.open_obligation(ObligationKind.RESIDENCE_PERMIT) is None


def test_a_refusal_overturned_owes_the_permit_again_and_it_must_be_granted() -> None:
    state, _ = refused()
    [letter, *_] = reconsidered(state, ReviewOutcome.OVERTURNED)
    again = state.obligations["residence_permit#2"]
    overturned_at = ASKED + timedelta(days=1)
    assert again.is_open and again.due_at == overturned_at + RULES.issue_within
    assert isinstance(letter, DecisionLetter) and (letter.challenged, letter.redecision_due) == (PERMIT, again.due_at)
    with pytest.raises(WrongStage, match="must grant it"):
        permits.check_permit(state, act("refuse", reasons="still no"), overturned_at)
    request = grant(overturned_at + timedelta(days=365))
    permits.check_permit(state, request, overturned_at)
    permits.apply_permit(state, request, overturned_at)
    assert not again.is_open and state.permits[0].valid_at(overturned_at)


def test_a_refusal_upheld_may_be_appealed_and_is_final_when_the_appeal_is_dismissed() -> None:
    state, _ = refused()
    reconsidered(state, ReviewOutcome.UPHELD)
    at = ASKED + timedelta(days=2)
    lodge = AppealRequest(actor=ADVOCATE, reasons="to court", of=PERMIT)
    appeals.check_appeal(state, lodge, at)
    appeals.apply_appeal(state, lodge, at)
    judged = JudgmentRequest(
        actor=Actor(role=Role.COORDINATOR, id="co-1"),
        outcome=JudgmentOutcome.DISMISSED,
        court="Administrative court",
        judgment_ref="J-7",
        decided_on=at.date(),
        of=PERMIT,
    )
    appeals.check_judgment(state, judged, at)
    appeals.apply_judgment(state, judged, at)
    assert state.challenge_of(PERMIT).phase is ChallengePhase.FINAL  # type: ignore[union-attr]
    assert state.open_obligation(ObligationKind.RESIDENCE_PERMIT) is None


def test_a_renewal_refused_and_overturned_lets_the_permit_run_on_with_its_renewal_owed_again() -> None:
    state = granted()
    [permit] = state.permits
    at = permit.valid_until - timedelta(days=10)
    permits.apply_permit(state, act("refuse", reasons="the grounds no longer apply"), at)
    assert permit.ended_at == permit.valid_until
    ask = ReconsiderationRequest(actor=ADVOCATE, reasons="they do", of=PERMIT)
    appeals.apply_reconsideration(state, ask, at)
    appeals.apply_review(
        state, ReviewRequest(actor=PANEL, outcome=ReviewOutcome.OVERTURNED, reasons="x", of=PERMIT), at
    )
    renewal = state.obligations[permit.renewal_id or ""]
    assert permit.ended_at is None and renewal.is_open and renewal.due_at == at + RULES.issue_within


def test_a_permit_refusal_is_challenged_only_by_the_policys_challengers() -> None:
    state, _ = refused()
    for actor in (AUTHORITY, Actor(role=Role.COMPETENT_AUTHORITY, id="ca-1")):
        with pytest.raises(NotAuthorized):
            appeals.check_reconsideration(state, ReconsiderationRequest(actor=actor, reasons="x", of=PERMIT), ASKED)
    with pytest.raises(WrongStage, match=r"is not possible: case .* is confirmed_victim"):  # no Stage 1/2 challenge
        appeals.check_reconsideration(state, ReconsiderationRequest(actor=ADVOCATE, reasons="x"), ASKED)


def test_a_refusal_set_aside_after_a_late_request_cannot_be_reconsidered_again() -> None:
    state, _ = refused()
    window = state.obligations[ObligationKind.RECONSIDERATION_REQUEST.value]
    appeals.window_closed(state, window.id, window.due_at)
    late = ReconsiderationRequest(actor=ADVOCATE, reasons="new", evidence="a new letter", new_evidence=True, of=PERMIT)
    at = window.due_at + timedelta(days=1)
    appeals.check_reconsideration(state, late, at)  # the window closed unused: on new evidence, recorded late
    appeals.apply_reconsideration(state, late, at)
    assert state.decisions[-1].late
    appeals.apply_review(
        state, ReviewRequest(actor=PANEL, outcome=ReviewOutcome.OVERTURNED, reasons="x", of=PERMIT), at
    )
    with pytest.raises(WrongStage, match="is final after reconsideration or appeal"):
        appeals.check_reconsideration(state, late, at)
