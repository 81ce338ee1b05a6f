"""Deadline arithmetic under the OSCE model: due times, extensions, reminders, and what a passed deadline does."""

from __future__ import annotations

from datetime import timedelta

from domain import transitions
from domain.case import ObligationKind, Stage
from domain.deadlines import (
    AUTO_EXTENSION_REASON,
    AlertKind,
    deadline_passed,
    pending_reminders,
    record_reminder,
    reminder_alert,
    reminder_times,
)
from domain.requests import ConsentRequest, ExtendRRRequest
from domain.roles import Role
from tests.integration.helpers import AUTHORITY, FIRST_RESPONDER, decision
from tests.unit.builders import T0, opened, presumed_victim

STAGE1 = ObligationKind.STAGE1_DECISION.value
STAGE2 = ObligationKind.STAGE2_DECISION.value
DECIDED = T0 + timedelta(days=1)


def test_an_adult_stage1_is_due_5_days_after_referral() -> None:
    state = opened()
    assert state.stage is Stage.STAGE1_PENDING and state.referred_at == T0
    ob = state.obligations[STAGE1]
    assert (ob.window_start, ob.due_at, ob.owner_role) == (T0, T0 + timedelta(days=5), Role.COMPETENT_AUTHORITY)


def test_a_child_stage1_is_due_48_hours_after_referral() -> None:
    ob = opened(child=True).obligations[STAGE1]
    assert ob.due_at == T0 + timedelta(hours=48)


def test_an_adult_without_consent_has_no_deadline_until_consent() -> None:
    state = opened(consent_to_referral=False)
    assert state.stage is Stage.OUTSIDE_NRM and not state.obligations and state.referred_at is None
    consent_at = T0 + timedelta(days=3)
    transitions.apply_consent(state, ConsentRequest(actor=FIRST_RESPONDER), consent_at)
    assert state.stage is Stage.STAGE1_PENDING and state.referred_at == consent_at
    assert state.obligations[STAGE1].due_at == consent_at + timedelta(days=5)


def test_a_positive_stage1_starts_rr_and_stage2_is_due_at_its_end() -> None:
    state = presumed_victim(DECIDED)
    assert state.stage is Stage.PRESUMED_VICTIM and state.removal_suspended
    assert state.rr is not None and (state.rr.start, state.rr.end) == (DECIDED, DECIDED + timedelta(days=90))
    stage2 = state.obligations[STAGE2]
    assert (stage2.window_start, stage2.due_at) == (DECIDED, DECIDED + timedelta(days=90))
    assert state.obligations[STAGE1].fulfilled_at == DECIDED
    nxt = state.next_deadline()
    assert nxt is not None and nxt.due_at == DECIDED + timedelta(hours=48)  # the immediate provisions come first


def test_a_negative_stage1_opens_no_rr_and_no_stage2_but_a_reconsideration_window() -> None:
    state = opened()
    transitions.apply_stage1(state, decision("negative"), DECIDED)
    assert state.stage is Stage.STAGE1_NEGATIVE and state.rr is None and state.removal_suspended
    assert list(state.obligations) == [STAGE1, "reconsideration_request"]
    nxt = state.next_deadline()
    assert nxt is not None and nxt.due_at == DECIDED + timedelta(days=30) and nxt.owner_role.value == "support_provider"


def test_reminders_fall_at_the_policy_fractions_of_the_window() -> None:
    state = opened()
    ob = state.obligations[STAGE1]
    assert reminder_times(ob, state.policy) == [T0 + timedelta(days=2.5), T0 + timedelta(days=4.5)]
    first = reminder_alert(state, ob, T0 + timedelta(days=2.5))
    assert first.key == "NRM-0000-0001/stage1_decision/v0/reminder-1"
    assert (first.kind, first.recipients, first.due_at) == (AlertKind.REMINDER, [Role.COMPETENT_AUTHORITY], ob.due_at)
    record_reminder(ob, T0 + timedelta(days=2.5))
    assert pending_reminders(ob, state.policy) == [T0 + timedelta(days=4.5)]


def test_a_manual_extension_moves_stage2_due_and_resets_its_reminders() -> None:
    state = presumed_victim(DECIDED)
    stage2 = state.obligations[STAGE2]
    record_reminder(stage2, reminder_times(stage2, state.policy)[0])
    at = DECIDED + timedelta(days=60)
    transitions.apply_extend_rr(
        state, ExtendRRRequest(actor=AUTHORITY, reasons="  trauma  ", extend_by=timedelta(days=30)), at
    )
    new_end = DECIDED + timedelta(days=120)
    assert state.rr is not None and state.rr.end == new_end
    ext = state.rr.extensions[0]
    assert (ext.previous_end, ext.new_end, ext.at, ext.automatic, ext.actor, ext.reasons) == (
        DECIDED + timedelta(days=90),
        new_end,
        at,
        False,
        AUTHORITY,
        "trauma",
    )
    assert (stage2.due_at, stage2.window_start, stage2.version, stage2.reminders_sent) == (new_end, at, 1, [])
    assert reminder_times(stage2, state.policy) == [at + timedelta(days=30), at + timedelta(days=54)]
    assert reminder_alert(state, stage2, at + timedelta(days=30)).key.endswith("/v1/reminder-1")


def test_an_extension_to_a_given_end_date() -> None:
    state = presumed_victim(DECIDED)
    until = DECIDED + timedelta(days=200)
    transitions.apply_extend_rr(state, ExtendRRRequest(actor=AUTHORITY, reasons="health", new_end=until), DECIDED)
    assert state.rr is not None and state.rr.end == until and state.obligations[STAGE2].due_at == until


def test_stage2_overdue_extends_rr_automatically_records_the_breach_and_keeps_removal_suspended() -> None:
    state = presumed_victim(DECIDED)
    end = DECIDED + timedelta(days=90)
    seen = end + timedelta(seconds=1)
    [alert] = deadline_passed(state, STAGE2, seen)
    assert alert.kind is AlertKind.ESCALATION and alert.key == "NRM-0000-0001/stage2_decision/v0/escalation"
    assert alert.recipients == [Role.COORDINATOR, Role.COMPETENT_AUTHORITY] and alert.due_at == end
    ob = state.obligations[STAGE2]
    [breach] = ob.breaches
    assert (breach.due_at, breach.detected_at, breach.escalated_to) == (end, seen, Role.COORDINATOR)
    assert state.rr is not None and state.rr.end == end + timedelta(days=30)
    [ext] = state.rr.extensions
    assert (ext.previous_end, ext.new_end, ext.automatic, ext.actor, ext.reasons) == (
        end,
        end + timedelta(days=30),
        True,
        None,
        AUTO_EXTENSION_REASON,
    )
    assert (ob.due_at, ob.window_start, ob.version) == (end + timedelta(days=30), end, 1)
    assert state.stage is Stage.PRESUMED_VICTIM and state.removal_suspended and ob.is_open
    assert state.breach_count == 1


def test_deadline_passed_is_idempotent() -> None:
    state = opened()
    due = state.obligations[STAGE1].due_at
    assert deadline_passed(state, STAGE1, due - timedelta(seconds=1)) == []
    assert len(deadline_passed(state, STAGE1, due)) == 1
    assert deadline_passed(state, STAGE1, due) == []
    assert deadline_passed(state, STAGE1, due + timedelta(days=1)) == []
    assert state.breach_count == 1 and state.obligations[STAGE1].overdue_now

    rr_state = presumed_victim(DECIDED)
    end = DECIDED + timedelta(days=90)
    deadline_passed(rr_state, STAGE2, end)
    assert deadline_passed(rr_state, STAGE2, end) == []
    assert rr_state.rr is not None and len(rr_state.rr.extensions) == 1 and rr_state.breach_count == 1


def test_a_met_deadline_never_escalates() -> None:
    state = presumed_victim(DECIDED)
    assert deadline_passed(state, STAGE1, T0 + timedelta(days=6)) == []
    assert state.breach_count == 0
