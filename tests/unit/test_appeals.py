"""The challenge of a negative decision (domain.appeals): reconsideration, judicial appeal, final negative."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain import appeals, transitions
from domain.case import CaseState, ChallengePhase, JudgmentOutcome, ObligationKind, ReviewOutcome, Stage
from domain.deadlines import deadline_passed
from domain.errors import DomainError, InvalidRequest, NotAuthorized, WrongStage
from domain.notices import DecisionLetter, Right
from domain.policy import Policy
from domain.requests import (
    AppealRequest,
    AssessmentResult,
    AssessRequest,
    JudgmentRequest,
    ProvideRequest,
    ReconsiderationRequest,
    ReviewRequest,
)
from domain.roles import Actor, Role
from domain.status import case_status
from tests.integration.helpers import COORDINATOR, FIRST_RESPONDER, decision
from tests.unit.builders import OSCE, T0, opened

DECIDED = T0 + timedelta(days=1)
ADVOCATE = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
LAWYER = Actor(role=Role.LEGAL_REPRESENTATIVE, id="lr-1")
PANEL = Actor(role=Role.REVIEW_PANEL, id="rp-1")
GUARDIAN_ADVOCATE = Actor(role=Role.GUARDIAN_ADVOCATE, id="ga-1")
WINDOW = OSCE.appeals.reconsideration_window


def negative(stage: int = 1, child: bool = False, policy: Policy = OSCE) -> CaseState:
    state = opened(child=child, policy=policy)
    if stage == 1:
        transitions.apply_stage1(state, decision("negative"), DECIDED)
    else:
        transitions.apply_stage1(state, decision(), T0)
        transitions.apply_stage2(state, decision("negative"), DECIDED)
    return state


def ask(
    actor: Actor = ADVOCATE, reasons: str = "the indicators were misread", **extra: object
) -> ReconsiderationRequest:
    return ReconsiderationRequest(actor=actor, reasons=reasons, **extra)  # type: ignore[arg-type]


def review(outcome: str, reasons: str = "panel's reasons") -> ReviewRequest:
    return ReviewRequest(actor=PANEL, outcome=ReviewOutcome(outcome), reasons=reasons)


def judgment(outcome: str, **extra: object) -> JudgmentRequest:
    data: dict[str, object] = {
        "actor": LAWYER,
        "outcome": JudgmentOutcome(outcome),
        "court": "Tribunalul X",
        "judgment_ref": "J-1/2026",
        "decided_on": (DECIDED + timedelta(days=3)).date(),
    }
    return JudgmentRequest.model_validate({**data, **extra})


def reconsidered(state: CaseState, at: object = DECIDED + timedelta(days=1)) -> None:
    appeals.check_reconsideration(state, ask(), at)  # type: ignore[arg-type]
    appeals.apply_reconsideration(state, ask(), at)  # type: ignore[arg-type]


def refused(check, message: str, error: type[DomainError]) -> None:
    with pytest.raises(error) as caught:
        check()
    assert str(caught.value) == message


def test_a_negative_stage1_opens_the_reconsideration_window_owned_by_the_advocate() -> None:
    state = negative()
    window = state.obligations["reconsideration_request"]
    assert (window.owner_role, window.due_at) == (Role.SUPPORT_PROVIDER, DECIDED + WINDOW)
    assert state.removal_suspended
    status = case_status(state, DECIDED)
    assert status.pending is not None and status.pending.until == DECIDED + WINDOW
    assert status.pending.text.startswith("reconsideration of the negative Stage 1 decision may be requested until")
    child = negative(child=True)
    assert child.obligations["reconsideration_request"].owner_role is Role.GUARDIAN_ADVOCATE


def test_the_negative_letter_names_the_window() -> None:
    state = opened()
    [letter] = transitions.apply_stage1(state, decision("negative"), DECIDED)
    assert isinstance(letter, DecisionLetter)
    assert letter.rights[0] is Right.RECONSIDERATION and letter.rights_until == DECIDED + WINDOW


def test_overturned_stage1_takes_the_positive_path_from_the_panels_decision() -> None:
    state = negative()
    reconsidered(state)
    review_ob = state.obligations["reconsideration_review"]
    assert review_ob.owner_role is Role.REVIEW_PANEL and state.challenge.phase is ChallengePhase.RECONSIDERATION
    at = DECIDED + timedelta(days=5)
    appeals.check_review(state, review("overturned"))
    messages = appeals.apply_review(state, review("overturned"), at)
    assert state.stage is Stage.PRESUMED_VICTIM and state.rr is not None and state.rr.start == at
    assert state.obligations["stage2_decision"].due_at == at + OSCE.rr.period
    assert state.obligations["legal_advice"].due_at == at + OSCE.provisions.due_adult
    letter = messages[0]
    assert (
        isinstance(letter, DecisionLetter) and letter.finding == "overturned" and letter.decided_by is Role.REVIEW_PANEL
    )
    assert letter.rr_end == state.rr.end and state.challenge is None and case_status(state, at).pending is None


def test_upheld_stage2_then_appeal_allowed_confirms() -> None:
    state = negative(stage=2)
    reconsidered(state)
    appeals.apply_review(state, review("upheld"), DECIDED + timedelta(days=2))
    assert state.challenge.phase is ChallengePhase.APPEAL_WINDOW and state.stage is Stage.STAGE2_NEGATIVE
    appeal = AppealRequest(actor=LAWYER, reasons="error of law")
    appeals.check_appeal(state, appeal, DECIDED + timedelta(days=3))
    appeals.apply_appeal(state, appeal, DECIDED + timedelta(days=3))
    assert state.challenge.phase is ChallengePhase.APPEAL and state.removal_suspended
    assert case_status(state, DECIDED).pending.waiting_for == "court"  # type: ignore[union-attr]
    now = DECIDED + timedelta(days=4)
    appeals.check_judgment(state, judgment("allowed"), now)
    appeals.apply_judgment(state, judgment("allowed"), now)
    assert state.stage is Stage.CONFIRMED_VICTIM
    assert state.decisions[-1].court == "Tribunalul X" and state.decisions[-1].decided_on == date(2026, 3, 6)


def test_remitted_owes_a_new_decision() -> None:
    state = negative()
    reconsidered(state)
    appeals.apply_review(state, review("upheld"), DECIDED + timedelta(days=2))
    appeals.apply_appeal(state, AppealRequest(actor=LAWYER, reasons="x"), DECIDED + timedelta(days=3))
    now = DECIDED + timedelta(days=4)
    [letter] = appeals.apply_judgment(state, judgment("remitted"), now)
    again = state.obligations["stage1_decision#2"]
    assert isinstance(letter, DecisionLetter) and (letter.stage, letter.finding) == (1, "remitted")
    assert letter.redecision_due == again.due_at and letter.decided_by is Role.LEGAL_REPRESENTATIVE
    assert state.stage is Stage.STAGE1_PENDING and again.due_at == now + OSCE.stage1.due_adult
    transitions.check_stage1(state, decision())
    transitions.apply_stage1(state, decision(), now + timedelta(hours=1))
    assert state.stage is Stage.PRESUMED_VICTIM and not again.is_open


def test_remitted_stage2_runs_the_rr_period_on_until_the_new_decision() -> None:
    state = negative(stage=2)
    reconsidered(state)
    appeals.apply_review(state, review("upheld"), DECIDED + timedelta(days=2))
    appeals.apply_appeal(state, AppealRequest(actor=LAWYER, reasons="x"), DECIDED + timedelta(days=3))
    now = DECIDED + timedelta(days=200)
    [letter] = appeals.apply_judgment(state, judgment("remitted", decided_on=now.date()), now)
    assert isinstance(letter, DecisionLetter) and letter.stage == 2
    assert state.stage is Stage.PRESUMED_VICTIM and state.rr is not None
    assert state.obligations["stage2_decision#2"].due_at == state.rr.end == now + OSCE.appeals.stage2_redecision_due


def test_window_lapses_final_negative_owes_support_and_only_then_releases_removal() -> None:
    state = negative()
    due = DECIDED + WINDOW
    assert deadline_passed(state, "reconsideration_request", due)  # escalated like any other deadline
    assert appeals.window_closed(state, "reconsideration_request", due) == []  # no letter: the window's own end
    assert state.stage is Stage.FINAL_NEGATIVE and state.obligations["reconsideration_request"].lapsed
    owed = {k: state.obligations[k.value] for k in appeals.FINAL_SUPPORT}
    assert all(o.owner_role is Role.COORDINATOR and o.due_at == due + timedelta(days=5) for o in owed.values())
    assert state.removal_suspended and case_status(state, due).pending is None
    transitions.apply_provide(
        state, ProvideRequest(actor=COORDINATOR, kind="vulnerability_assessment", evidence="x"), due
    )
    assert state.removal_suspended
    transitions.apply_provide(state, ProvideRequest(actor=COORDINATOR, kind="onward_referral", evidence="y"), due)
    assert not state.removal_suspended


def test_a_late_request_needs_new_evidence_and_is_recorded_late() -> None:
    state = negative()
    late = DECIDED + WINDOW + timedelta(days=1)
    appeals.window_closed(state, "reconsideration_request", late)
    closed = f"the reconsideration window of case NRM-0000-0001 closed at {(DECIDED + WINDOW).isoformat()}"
    refused(
        lambda: appeals.check_reconsideration(state, ask(), late),
        f"{closed}: a request now needs new evidence (--new-evidence, with the evidence summarised)",
        InvalidRequest,
    )
    refused(
        lambda: appeals.check_reconsideration(state, ask(new_evidence=True), late),
        "a request on new evidence needs the evidence summary in writing",
        InvalidRequest,
    )
    request = ask(new_evidence=True, evidence="a witness statement")
    appeals.check_reconsideration(state, request, late)
    appeals.apply_reconsideration(state, request, late)
    assert state.decisions[-1].late and state.stage is Stage.STAGE1_NEGATIVE and state.removal_suspended
    strict = OSCE.model_copy(update={"appeals": OSCE.appeals.model_copy(update={"late_on_new_evidence": False})})
    state = negative(policy=strict)
    appeals.window_closed(state, "reconsideration_request", late)
    refused(
        lambda: appeals.check_reconsideration(state, request, late),
        f"{closed}; policy osce-model@2024.1 accepts no request after it",
        InvalidRequest,
    )


def test_without_appeal_an_upheld_decision_is_final() -> None:
    no_appeal = OSCE.model_copy(update={"appeals": OSCE.appeals.model_copy(update={"appeal_window": None})})
    state = negative(policy=no_appeal)
    reconsidered(state)
    appeals.apply_review(state, review("upheld"), DECIDED + timedelta(days=2))
    assert state.stage is Stage.FINAL_NEGATIVE and state.open_obligation(ObligationKind.ONWARD_REFERRAL)


def test_dismissed_is_final_after_the_last_level() -> None:
    state = negative()
    reconsidered(state)
    appeals.apply_review(state, review("upheld"), DECIDED + timedelta(days=2))
    appeals.apply_appeal(state, AppealRequest(actor=LAWYER, reasons="x"), DECIDED + timedelta(days=3))
    appeals.apply_judgment(state, judgment("dismissed"), DECIDED + timedelta(days=4))
    assert state.stage is Stage.FINAL_NEGATIVE and state.challenge.phase is ChallengePhase.FINAL
    refused(
        lambda: appeals.check_reconsideration(state, ask(new_evidence=True, evidence="e"), DECIDED + timedelta(days=5)),
        "a reconsideration request is not possible: the negative decision in case NRM-0000-0001 is final after "
        "reconsideration or appeal",
        WrongStage,
    )


def test_refusals() -> None:
    state = negative()
    refused(
        lambda: appeals.check_reconsideration(state, ask(PANEL), DECIDED),
        "role review_panel may not request reconsideration; allowed: coordinator, first_responder, "
        "legal_representative, support_provider",
        NotAuthorized,
    )
    refused(
        lambda: appeals.check_reconsideration(state, ask(GUARDIAN_ADVOCATE), DECIDED),
        "role guardian_advocate may not request reconsideration; allowed: coordinator, first_responder, "
        "legal_representative, support_provider",
        NotAuthorized,
    )
    appeals.check_reconsideration(negative(child=True), ask(GUARDIAN_ADVOCATE), DECIDED)  # a child's: allowed
    refused(
        lambda: appeals.check_reconsideration(state, ask(reasons=" "), DECIDED),
        "a reconsideration request needs written reasons",
        InvalidRequest,
    )
    refused(
        lambda: appeals.check_review(state, review("upheld")),
        "a review panel's decision is not possible: case NRM-0000-0001 is stage1_negative, reconsideration window "
        "open (needs reconsideration pending or provisional until the review panel confirms it)",
        WrongStage,
    )
    refused(
        lambda: appeals.check_appeal(state, AppealRequest(actor=LAWYER, reasons="x"), DECIDED),
        "an appeal is not possible: case NRM-0000-0001 is stage1_negative, reconsideration window open "
        "(needs appeal window open)",
        WrongStage,
    )
    reconsidered(state)
    refused(
        lambda: appeals.check_review(state, ReviewRequest(actor=FIRST_RESPONDER, outcome=ReviewOutcome.UPHELD)),
        "role first_responder may not record a review panel's decision; allowed: review_panel",
        NotAuthorized,
    )
    refused(
        lambda: appeals.check_review(state, review("upheld", "")),
        "a review panel's decision needs written reasons",
        InvalidRequest,
    )
    refused(
        lambda: appeals.check_reconsideration(state, ask(), DECIDED),
        "a reconsideration request is not possible: case NRM-0000-0001 is stage1_negative, reconsideration pending "
        "(needs reconsideration window open or final)",
        WrongStage,
    )
    appeals.apply_review(state, review("upheld"), DECIDED + timedelta(days=2))
    closes = DECIDED + timedelta(days=2) + OSCE.appeals.appeal_window  # type: ignore[operator]
    refused(
        lambda: appeals.check_appeal(state, AppealRequest(actor=LAWYER, reasons="x"), closes),
        f"the window to lodge an appeal in case NRM-0000-0001 closed at {closes.isoformat()}",
        InvalidRequest,
    )
    appeals.apply_appeal(state, AppealRequest(actor=LAWYER, reasons="x"), DECIDED + timedelta(days=3))
    now = DECIDED + timedelta(days=4)
    refused(
        lambda: appeals.check_judgment(state, judgment("allowed", actor=ADVOCATE), now),
        "role support_provider may not record a court's judgment; allowed: coordinator, legal_representative",
        NotAuthorized,
    )
    refused(
        lambda: appeals.check_judgment(state, judgment("allowed", court=" "), now),
        "a judgment needs the court's name",
        InvalidRequest,
    )
    refused(
        lambda: appeals.check_judgment(state, judgment("allowed", judgment_ref=""), now),
        "a judgment needs the judgment's reference",
        InvalidRequest,
    )
    refused(
        lambda: appeals.check_judgment(state, judgment("allowed", decided_on=date(2026, 3, 20)), now),
        "the date of the judgment, 2026-03-20, is in the future",
        InvalidRequest,
    )


def test_every_new_text_has_its_limit_and_no_hiding_characters() -> None:
    state = negative()
    refused(
        lambda: appeals.check_reconsideration(state, ask(reasons="x" * 4001), DECIDED),
        "reasons is 4,001 characters long; at most 4,000 are accepted (keep long documents elsewhere and give their "
        "reference)",
        InvalidRequest,
    )
    refused(
        lambda: appeals.check_reconsideration(state, ask(evidence="a\u202eb"), DECIDED),
        "the evidence summary contains a control or direction-changing character (U+202E); remove it",
        InvalidRequest,
    )
    reconsidered(state)
    appeals.apply_review(state, review("upheld"), DECIDED + timedelta(days=2))
    refused(
        lambda: appeals.check_appeal(
            state, AppealRequest(actor=LAWYER, reasons="x", court="c" * 201), DECIDED + timedelta(days=3)
        ),
        "the court is 201 characters long; at most 200 are accepted (keep long documents elsewhere and give their "
        "reference)",
        InvalidRequest,
    )
    appeals.apply_appeal(state, AppealRequest(actor=LAWYER, reasons="x"), DECIDED + timedelta(days=3))
    refused(
        lambda: appeals.check_judgment(state, judgment("allowed", judgment_ref="\x1b[2J"), DECIDED + timedelta(days=4)),
        "the judgment reference contains a control or direction-changing character (U+001B); remove it",
        InvalidRequest,
    )


def test_an_appeal_may_be_lodged_directly_where_the_policy_allows_it() -> None:
    direct = OSCE.model_copy(update={"appeals": OSCE.appeals.model_copy(update={"appeal_directly": True})})
    state = negative(policy=direct)
    lodged = DECIDED + timedelta(days=1)
    appeals.check_appeal(state, AppealRequest(actor=LAWYER, reasons="straight to court"), lodged)
    appeals.apply_appeal(state, AppealRequest(actor=LAWYER, reasons="straight to court"), lodged)
    assert state.challenge is not None and state.challenge.phase is ChallengePhase.APPEAL
    appeals.apply_judgment(state, judgment("allowed"), lodged + timedelta(days=1))
    assert state.stage is Stage.PRESUMED_VICTIM and state.removal_suspended
    refused(  # without the policy's leave, an appeal waits for an upheld reconsideration
        lambda: appeals.check_appeal(negative(), AppealRequest(actor=LAWYER, reasons="x"), lodged),
        "an appeal is not possible: case NRM-0000-0001 is stage1_negative, reconsideration window open "
        "(needs appeal window open)",
        WrongStage,
    )


def test_a_second_level_of_appeal_follows_a_dismissal_where_the_policy_has_one() -> None:
    two = OSCE.model_copy(update={"appeals": OSCE.appeals.model_copy(update={"appeal_levels": 2})})
    state = negative(policy=two)
    reconsidered(state)
    appeals.apply_review(state, review("upheld"), DECIDED + timedelta(days=2))
    appeals.apply_appeal(state, AppealRequest(actor=LAWYER, reasons="first level"), DECIDED + timedelta(days=3))
    appeals.apply_judgment(state, judgment("dismissed"), DECIDED + timedelta(days=4))
    assert state.stage is not Stage.FINAL_NEGATIVE and state.removal_suspended
    assert state.challenge is not None and state.challenge.phase is ChallengePhase.APPEAL_WINDOW
    onward = DECIDED + timedelta(days=5)
    appeals.check_appeal(state, AppealRequest(actor=LAWYER, reasons="onward appeal"), onward)
    appeals.apply_appeal(state, AppealRequest(actor=LAWYER, reasons="onward appeal"), onward)
    appeals.apply_judgment(state, judgment("dismissed"), onward + timedelta(days=1))
    assert state.stage is Stage.FINAL_NEGATIVE and state.challenge.appeals_lodged == 2


PANEL_CONFIRMS = OSCE.model_copy(update={"appeals": OSCE.appeals.model_copy(update={"panel_confirms": (2,)})})


def test_a_negative_stage2_the_panel_must_confirm_is_provisional_no_letter_no_window() -> None:
    state = opened(policy=PANEL_CONFIRMS)
    transitions.apply_stage1(state, decision(), T0)
    messages = transitions.apply_stage2(state, decision("negative"), DECIDED)
    assert messages == [] and state.removal_suspended  # not issued: nothing sent to the person yet
    assert state.challenge is not None and state.challenge.phase is ChallengePhase.PANEL_CONFIRMATION
    review_ob = state.obligations["reconsideration_review"]
    assert (review_ob.owner_role, review_ob.due_at) == (Role.REVIEW_PANEL, DECIDED + OSCE.appeals.review_due)
    assert "reconsideration_request" not in state.obligations
    status = case_status(state, DECIDED)
    assert status.pending is not None and status.pending.waiting_for == "review_panel"
    assert status.pending.text.startswith("the negative Stage 2 decision is provisional: the review panel confirms")
    refused(
        lambda: appeals.check_reconsideration(state, ask(), DECIDED),
        f"a reconsideration request is not possible: case {state.reference} is stage2_negative, provisional until "
        "the review panel confirms it (needs reconsideration window open or final)",
        WrongStage,
    )


def test_the_panel_confirms_a_provisional_negative_and_only_then_is_it_issued_with_its_rights() -> None:
    state = opened(policy=PANEL_CONFIRMS)
    transitions.apply_stage1(state, decision(), T0)
    transitions.apply_stage2(state, decision("negative", reasons="not on the balance of probabilities"), DECIDED)
    at = DECIDED + timedelta(days=3)
    appeals.check_review(state, review("upheld"))
    [letter] = appeals.apply_review(state, review("upheld"), at)
    assert isinstance(letter, DecisionLetter)
    assert (letter.stage, letter.outcome.value, letter.decided_by) == (2, "negative", Role.COMPETENT_AUTHORITY)
    assert letter.reasons == "not on the balance of probabilities" and letter.finding == ""
    assert letter.rights[0] is Right.RECONSIDERATION and letter.rights_until == at + WINDOW  # rights from issue
    assert state.challenge is not None and state.challenge.phase is ChallengePhase.RECONSIDERATION_WINDOW
    reconsidered(state, at + timedelta(days=1))  # the person may still ask for reconsideration
    assert state.challenge.phase is ChallengePhase.RECONSIDERATION
    assert state.obligations["reconsideration_review#2"].owner_role is Role.REVIEW_PANEL


def test_the_panel_sets_a_provisional_negative_aside() -> None:
    state = opened(policy=PANEL_CONFIRMS)
    transitions.apply_stage1(state, decision(), T0)
    transitions.apply_stage2(state, decision("negative"), DECIDED)
    [letter] = appeals.apply_review(state, review("overturned"), DECIDED + timedelta(days=1))
    assert state.stage is Stage.CONFIRMED_VICTIM and state.challenge is None
    assert isinstance(letter, DecisionLetter) and letter.finding == "overturned"


def test_a_negative_stage1_is_issued_at_once_where_the_panel_confirms_stage2_only() -> None:
    state = opened(policy=PANEL_CONFIRMS)
    [letter] = transitions.apply_stage1(state, decision("negative"), DECIDED)
    assert isinstance(letter, DecisionLetter) and state.challenge.phase is ChallengePhase.RECONSIDERATION_WINDOW


def test_panel_confirms_names_stages() -> None:
    with pytest.raises(ValueError, match="panel_confirms names stages 1 and 2 only, not 3"):
        OSCE.appeals.model_validate({**OSCE.appeals.model_dump(), "panel_confirms": [3]})


def test_a_childs_final_negative_owes_a_best_interests_assessment_before_removal_may_stop_being_suspended() -> None:
    state = negative(child=True)
    for ob in list(state.open_obligations):  # the child's safeguards from entry are done, the window lapses
        if ob.kind is not ObligationKind.RECONSIDERATION_REQUEST:
            ob.fulfilled_at = ob.recorded_at = DECIDED
    window = state.open_obligation(ObligationKind.RECONSIDERATION_REQUEST)
    assert window is not None
    deadline_passed(state, window.id, window.due_at)
    appeals.window_closed(state, window.id, window.due_at)
    assert state.stage is Stage.FINAL_NEGATIVE
    bia = state.open_obligation(ObligationKind.BEST_INTERESTS_ASSESSMENT)
    assert bia is not None and bia.owner_role is Role.CHILD_PROTECTION
    done = window.due_at + timedelta(days=1)
    for kind in appeals.FINAL_SUPPORT:
        transitions.apply_provide(state, ProvideRequest(actor=COORDINATOR, kind=kind.value, evidence="done"), done)
    assert state.removal_suspended  # the child's best-interests assessment is still owed
    result = AssessmentResult(
        completed_at=done, summary="stay, with family tracing", next_review=done + timedelta(days=60)
    )
    transitions.apply_assess(
        state,
        AssessRequest(actor=Actor(role=Role.CHILD_PROTECTION, id="cp-1"), kind=bia.kind.value, result=result),
        done,
    )
    assert not state.removal_suspended
