"""Closing and re-opening a case (domain.lifecycle): a reason, never while a challenge is pending, who and why."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import lifecycle, transitions
from domain.case import ClosureReason
from domain.errors import InvalidRequest, NotAuthorized, WrongStage
from domain.requests import CloseRequest, ReopenRequest
from domain.roles import Actor, Role
from domain.status import Life, life
from tests.integration.helpers import COORDINATOR, decision
from tests.unit.builders import T0, opened

CLOSED = T0 + timedelta(days=10)


def test_a_case_is_closed_with_a_reason_and_reopened_with_who_and_why() -> None:
    state = opened()
    request = CloseRequest(actor=COORDINATOR, reason=ClosureReason.LEFT_COUNTRY, note="flew home")
    lifecycle.check_close(state, request)
    lifecycle.apply_close(state, request, CLOSED)
    assert state.is_closed and life(state) is Life.CLOSED
    assert (state.decisions[-1].act, state.decisions[-1].outcome) == ("close_case", "left_country")
    with pytest.raises(WrongStage, match="is closed: re-open it first"):
        lifecycle.check_not_closed(state)
    with pytest.raises(InvalidRequest, match="re-opening a case needs written reasons"):
        lifecycle.check_reopen(state, ReopenRequest(actor=COORDINATOR))
    reopen = ReopenRequest(actor=COORDINATOR, reasons="came back")
    lifecycle.check_reopen(state, reopen)
    lifecycle.apply_reopen(state, reopen, CLOSED + timedelta(days=1))
    assert not state.is_closed and life(state) is None
    assert (state.reopenings[0].by, state.reopenings[0].reasons) == (COORDINATOR, "came back")
    with pytest.raises(WrongStage, match="is open: only a closed case is re-opened"):
        lifecycle.check_reopen(state, reopen)


def test_no_close_while_a_challenge_is_pending_nor_by_another_role_nor_other_without_a_note() -> None:
    state = opened()
    transitions.apply_stage1(state, decision("negative"), T0 + timedelta(days=1))
    with pytest.raises(WrongStage, match="cannot be closed while reconsideration of the negative Stage 1 decision"):
        lifecycle.check_close(state, CloseRequest(actor=COORDINATOR, reason=ClosureReason.FINAL_DECISIONS))
    fresh = opened()
    with pytest.raises(InvalidRequest, match="closing a case for another reason needs the note in writing"):
        lifecycle.check_close(fresh, CloseRequest(actor=COORDINATOR, reason=ClosureReason.OTHER))
    support = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
    with pytest.raises(NotAuthorized, match="role support_provider may not close a case"):
        lifecycle.check_close(fresh, CloseRequest(actor=support, reason=ClosureReason.DECEASED))
