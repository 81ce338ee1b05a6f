"""Stage 2 with a limit of its own (coe-minimum: 90 days after a positive Stage 1, beyond a 30-day R&R period)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import alarms, holds, transitions
from domain.case import ObligationKind
from domain.errors import PolicyError
from domain.holds import HoldKind
from domain.policy import load_policy, parse_policy
from domain.requests import ExtendRRRequest
from domain.roles import Actor, Role
from policies import POLICY_DIR
from tests.integration.helpers import decision
from tests.unit.builders import T0, opened

COE = load_policy("coe-minimum", POLICY_DIR)
AUTHORITY = Actor(role=Role.COMPETENT_AUTHORITY, id="ca-1")


def presumed():  # type: ignore[no-untyped-def]
    state = opened(policy=COE)
    transitions.apply_stage1(state, decision(), T0)
    for ob in state.open_obligations:  # only Stage 2 left, so that the alarm is Stage 2's
        if ob.kind is not ObligationKind.STAGE2_DECISION:
            ob.fulfilled_at = T0
    return state


def test_stage2_is_due_at_its_own_limit_and_the_rr_period_ends_by_itself() -> None:
    state = presumed()
    stage2 = state.obligations["stage2_decision"]
    assert state.rr is not None and state.rr.end == T0 + timedelta(days=30)
    assert stage2.due_at == T0 + timedelta(days=90)
    after_rr = T0 + timedelta(days=31)
    alarms.ring(state, after_rr)  # reminders may go; nothing lapses at the end of the R&R period
    assert not stage2.breaches and state.rr.end == T0 + timedelta(days=30) and not state.rr.extensions
    kinds = [h.kind for h in holds.holds(state, after_rr)]
    assert kinds == [HoldKind.IDENTIFICATION] and state.removal_suspended  # protected until the decision


def test_an_rr_extension_does_not_move_a_limit_of_its_own() -> None:
    state = presumed()
    request = ExtendRRRequest(actor=AUTHORITY, reasons="trauma", extend_by=timedelta(days=20))
    transitions.check_extend_rr(state, request)
    transitions.apply_extend_rr(state, request, T0 + timedelta(days=10))
    assert state.rr is not None and state.rr.end == T0 + timedelta(days=50)
    assert state.obligations["stage2_decision"].due_at == T0 + timedelta(days=90)


def test_overdue_it_is_escalated_and_due_again_a_step_later_without_touching_the_rr_period() -> None:
    state = presumed()
    due = T0 + timedelta(days=90)
    messages = alarms.ring(state, due)
    stage2 = state.obligations["stage2_decision"]
    assert [m.kind.value for m in messages if getattr(m, "obligation_id", None) == "stage2_decision"][
        -1
    ] == "escalation"  # type: ignore[union-attr]
    assert len(stage2.breaches) == 1 and stage2.due_at == due + COE.rr.auto_extension_step
    assert state.rr is not None and state.rr.end == T0 + timedelta(days=30) and not state.rr.extensions


def test_a_limit_shorter_than_the_rr_period_is_refused() -> None:
    text = (
        (POLICY_DIR / "coe-minimum.toml")
        .read_text(encoding="utf-8")
        .replace('due_after = "P90D"', 'due_after = "P10D"')
    )
    with pytest.raises(PolicyError, match=r"stage2\.due_after must not be shorter than rr\.period"):
        parse_policy(text, source="t.toml")
