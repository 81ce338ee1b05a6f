"""The state of each deadline as `nrm case show` reports it: open, due soon, overdue, met, met late."""

from __future__ import annotations

from datetime import timedelta

from domain import age, transitions
from domain.case import AgeFinding, ChallengePhase, ChallengeSubject, ObligationKind, Stage
from domain.deadlines import deadline_passed
from domain.requests import AgeAssessmentRequest, AgeDisputeRequest
from domain.roles import Actor, Role
from domain.status import DeadlineState, case_status, deadline_state
from tests.integration.helpers import decision
from tests.unit.builders import OSCE, T0, opened

STAGE1 = ObligationKind.STAGE1_DECISION.value
DUE = T0 + timedelta(days=5)
LAST_REMINDER = T0 + timedelta(days=4.5)


def state_at(now, decided_at=None):
    state = opened()
    if decided_at is not None:
        transitions.apply_stage1(state, decision("negative"), decided_at)
    return deadline_state(state.obligations[STAGE1], OSCE, now)


def test_open_until_the_last_reminder_time() -> None:
    assert state_at(T0) is DeadlineState.OPEN
    assert state_at(LAST_REMINDER - timedelta(seconds=1)) is DeadlineState.OPEN


def test_due_soon_from_the_last_reminder_time() -> None:
    assert state_at(LAST_REMINDER) is DeadlineState.DUE_SOON
    assert state_at(DUE - timedelta(seconds=1)) is DeadlineState.DUE_SOON


def test_overdue_from_the_due_time() -> None:
    assert state_at(DUE) is DeadlineState.OVERDUE


def test_met_when_fulfilled_in_time() -> None:
    assert state_at(DUE + timedelta(days=9), decided_at=DUE) is DeadlineState.MET


def test_met_late_when_fulfilled_after_the_due_time() -> None:
    assert state_at(DUE + timedelta(days=9), decided_at=DUE + timedelta(seconds=1)) is DeadlineState.MET_LATE


def test_met_late_when_a_breach_was_recorded_even_if_the_due_time_later_moved() -> None:
    state = opened()
    deadline_passed(state, STAGE1, DUE)
    transitions.apply_stage1(state, decision(), DUE + timedelta(hours=1))
    assert deadline_state(state.obligations[STAGE1], OSCE, DUE + timedelta(hours=2)) is DeadlineState.MET_LATE


def test_case_status_reports_the_next_deadline_and_breaches() -> None:
    state = opened()
    deadline_passed(state, STAGE1, DUE)
    status = case_status(state, DUE + timedelta(hours=1))
    assert status.stage is Stage.STAGE1_PENDING and status.policy == "osce-model@2024.1"
    assert status.breach_count == 1 and status.as_of == DUE + timedelta(hours=1)
    assert status.next_deadline is not None and status.next_deadline.state is DeadlineState.OVERDUE
    assert [(d.kind, d.due_at, d.breaches) for d in status.deadlines] == [("stage1_decision", DUE, 1)]


def test_the_case_shows_every_challenge_under_way_or_possible() -> None:
    state = opened()
    transitions.apply_stage1(state, decision("negative"), T0 + timedelta(days=1))
    support = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
    age.apply_dispute(state, AgeDisputeRequest(actor=support, reasons="school records"), T0 + timedelta(days=2))
    assessor = Actor(role=Role.CHILD_PROTECTION, id="cp-1")
    finding = AgeAssessmentRequest(
        actor=assessor, outcome=AgeFinding.ADULT, reasons="assessed", child_views="heard with the advocate"
    )
    age.apply_assessment(state, finding, T0 + timedelta(days=3))
    status = case_status(state, T0 + timedelta(days=3))
    assert [(c.of, c.phase) for c in status.challenges] == [
        (ChallengeSubject.STAGE1, ChallengePhase.RECONSIDERATION_WINDOW),
        (ChallengeSubject.AGE, ChallengePhase.RECONSIDERATION_WINDOW),
    ]
    assert status.pending == status.challenges[0]  # an act's result names the first
