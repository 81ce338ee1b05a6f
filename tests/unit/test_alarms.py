"""The one alarm of a case: its nearest wakeup, and what ringing it does, from the state alone."""

from __future__ import annotations

from datetime import timedelta

from domain import alarms, transitions
from domain.case import ObligationKind, Stage
from domain.deadlines import Alert, AlertKind
from domain.requests import ProvideRequest
from domain.roles import Actor, Role
from tests.unit.builders import T0, opened, presumed_victim

STAGE1_DUE = T0 + timedelta(days=5)  # an adult's Stage 1, OSCE model; reminders at 0.5 and 0.9 of the window


def alerts(messages: list) -> list[tuple[str, str]]:
    return [(m.kind.value, m.obligation_id) for m in messages if isinstance(m, Alert)]


def test_the_alarm_waits_for_the_first_reminder_of_a_new_case() -> None:
    state = opened()
    assert alarms.next_wakeup(state) == alarms.Wakeup(T0 + timedelta(days=2.5), "stage1_decision", alarms.REMINDER)
    assert alarms.next_wakeup(state).summary == "stage1_decision reminder"  # type: ignore[union-attr]


def test_ringing_early_does_nothing_and_each_wakeup_happens_once() -> None:
    state = opened()
    assert alarms.ring(state, T0 + timedelta(days=1)) == []
    assert alerts(alarms.ring(state, T0 + timedelta(days=2.5))) == [("reminder", "stage1_decision")]
    assert alarms.ring(state, T0 + timedelta(days=2.5)) == []
    assert alarms.next_wakeup(state).at == T0 + timedelta(days=4.5)  # type: ignore[union-attr]


def test_a_late_ring_sends_the_missed_reminders_before_the_escalation_and_records_the_breach() -> None:
    state = opened()
    messages = alarms.ring(state, STAGE1_DUE + timedelta(hours=1))
    assert alerts(messages) == [
        ("reminder", "stage1_decision"),
        ("reminder", "stage1_decision"),
        ("escalation", "stage1_decision"),
    ]
    ob = state.obligations["stage1_decision"]
    assert [b.due_at for b in ob.breaches] == [STAGE1_DUE] and ob.overdue_now
    assert alarms.next_wakeup(state) is None  # breached and still open: nothing more to wake for until it moves
    assert alarms.ring(state, STAGE1_DUE + timedelta(days=3)) == []  # escalated once


def test_the_nearest_wakeup_of_all_obligations_is_the_alarm_and_a_fulfilment_moves_it() -> None:
    decided = T0 + timedelta(days=1)
    state = presumed_victim(at=decided)
    first = alarms.next_wakeup(state)
    assert first is not None and first.at == decided + timedelta(hours=24) and first.purpose == alarms.REMINDER
    owed = [o for o in state.open_obligations if o.due_at == decided + timedelta(hours=48)]
    support = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
    for ob in owed:
        actor = support if ob.owner_role is Role.SUPPORT_PROVIDER else Actor(role=ob.owner_role, id="x-1")
        transitions.apply_provide(state, ProvideRequest(actor=actor, kind=ob.kind.value, evidence="given"), decided)
    nxt = alarms.next_wakeup(state)
    assert nxt is not None and nxt.at > first.at  # every duty due in 48 h is done: the alarm moves on


def test_stage2_overdue_moves_its_deadline_and_the_alarm_follows_to_the_new_window() -> None:
    decided = T0 + timedelta(days=1)
    state = presumed_victim(at=decided)
    for ob in state.open_obligations:
        if ob.kind.value != "stage2_decision":
            ob.fulfilled_at = decided
    rr_end = state.rr.end  # type: ignore[union-attr]
    messages = alarms.ring(state, rr_end)
    assert [m.kind for m in messages if isinstance(m, Alert)] == [
        AlertKind.REMINDER,
        AlertKind.REMINDER,
        AlertKind.ESCALATION,
    ]
    stage2 = state.obligations["stage2_decision"]
    assert state.stage is Stage.PRESUMED_VICTIM and state.removal_suspended
    assert stage2.due_at == rr_end + state.policy.rr.auto_extension_step
    # the alarm follows Stage 2 into its new window; the overdue Stage 2 also owes an interim permit, due sooner
    interim = state.open_obligation(ObligationKind.INTERIM_PERMIT)
    assert interim is not None and interim.created_at == rr_end
    nxt = alarms.next_wakeup(state)
    assert nxt is not None and nxt.key == interim.id and rr_end < nxt.at < interim.due_at
    interim.fulfilled_at = rr_end
    nxt = alarms.next_wakeup(state)
    assert nxt is not None and nxt.key == "stage2_decision" and rr_end < nxt.at < stage2.due_at
