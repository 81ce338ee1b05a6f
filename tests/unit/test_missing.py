"""The person missing and found (domain.lifecycle): a child escalated at once, reminders to the coordinator while
missing, an adult's case suspended (not closed) after the policy's period by the case's one alarm."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import alarms, lifecycle
from domain.deadlines import Alert
from domain.errors import NotAuthorized, WrongStage
from domain.notices import CaseEvent, CaseEventKind
from domain.requests import FoundRequest, MissingRequest
from domain.roles import Actor, Role
from domain.status import Life, life
from tests.unit.builders import T0, opened

SUPPORT = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
GONE = T0 + timedelta(hours=1)


def missing(child: bool):
    state = opened(child=child)
    request = MissingRequest(actor=SUPPORT, note="left the shelter at night")
    lifecycle.check_missing(state, request)
    return state, lifecycle.apply_missing(state, request, GONE)


def test_a_missing_child_is_escalated_at_once_to_the_coordinator_and_child_protection() -> None:
    state, [event] = missing(child=True)
    assert isinstance(event, CaseEvent) and event.event is CaseEventKind.MISSING and event.is_child
    assert event.recipients.roles == [Role.COORDINATOR, Role.CHILD_PROTECTION]
    assert state.missing is not None and state.missing.reported_by == SUPPORT and life(state) is Life.MISSING
    with pytest.raises(WrongStage, match="is reported missing already"):
        lifecycle.check_missing(state, MissingRequest(actor=SUPPORT))


def test_while_missing_reminders_go_to_the_coordinator_and_deadlines_stay() -> None:
    state, _ = missing(child=False)
    due = state.obligations["stage1_decision"].due_at
    [reminder] = [m for m in alarms.ring(state, T0 + timedelta(days=2, hours=12)) if isinstance(m, Alert)]
    assert reminder.recipients == [Role.COORDINATOR] and reminder.due_at == due


def test_a_missing_adults_case_is_suspended_after_the_policys_period_and_resumes_when_found() -> None:
    state, _ = missing(child=False)
    wakeups = [w for w in [alarms.next_wakeup(state)] if w]  # the nearest is the Stage 1 reminder (2.5 days)
    assert wakeups[0].key == "stage1_decision"
    messages = alarms.ring(state, GONE + timedelta(days=30))
    [suspended] = [m for m in messages if isinstance(m, CaseEvent)]
    assert suspended.event is CaseEventKind.SUSPENDED and suspended.at == GONE + timedelta(days=30)
    assert life(state) is Life.SUSPENDED and state.stage.value == "stage1_pending"  # suspended, not closed
    [found] = lifecycle.apply_found(
        state, FoundRequest(actor=SUPPORT, note="back at the shelter"), GONE + timedelta(days=31)
    )
    assert isinstance(found, CaseEvent) and found.event is CaseEventKind.FOUND
    assert state.missing is None and life(state) is None and state.missing_reports[0].found_by == SUPPORT


def test_a_missing_childs_case_is_never_suspended() -> None:
    state, _ = missing(child=True)
    alarms.ring(state, GONE + timedelta(days=400))
    assert life(state) is Life.MISSING


def test_found_needs_a_missing_person_and_a_role_that_may() -> None:
    with pytest.raises(WrongStage, match="is not reported missing"):
        lifecycle.check_found(opened(), FoundRequest(actor=SUPPORT))
    with pytest.raises(NotAuthorized, match="role auditor may not report the person missing"):
        lifecycle.check_missing(opened(), MissingRequest(actor=Actor(role=Role.AUDITOR, id="au-1")))
