"""Deadline arithmetic: when reminders fall, and what happens when a deadline passes.

A passing deadline never changes anything against the person: it records a breach and escalates; the one
protective default is that an overdue Stage 2 extends the R&R period and keeps removal suspended.
"""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel

from domain.case import Breach, CaseState, Obligation, ObligationKind, RRExtension, Stage
from domain.policy import Policy
from domain.roles import Role

AUTO_EXTENSION_REASON = (
    "Stage 2 decision still pending at the end of the R&R period: extended automatically, removal stays suspended"
)


class AlertKind(str, enum.Enum):
    REMINDER = "reminder"
    ESCALATION = "escalation"


class Alert(BaseModel):
    """A reminder or escalation to send. `key` is stable across retries and replays (idempotency)."""

    key: str
    kind: AlertKind
    reference: str
    obligation_id: str
    obligation_kind: ObligationKind
    recipients: list[Role]
    due_at: datetime


def reminder_schedule(kind: ObligationKind, start: datetime, due: datetime, policy: Policy) -> list[datetime]:
    """When an obligation's owner is reminded: at the policy's fractions of its window, except a permit's renewal,
    reminded at fixed times before the permit expires (those that fall inside the window)."""
    if kind is ObligationKind.PERMIT_RENEWAL and policy.permits is not None:
        return [due - before for before in policy.permits.renewal_reminders if due - before > start]
    window = due - start
    return [start + window * f for f in policy.reminders.at_fractions]


def reminder_times(ob: Obligation, policy: Policy) -> list[datetime]:
    return reminder_schedule(ob.kind, ob.window_start, ob.due_at, policy)


def pending_reminders(ob: Obligation, policy: Policy) -> list[datetime]:
    return [t for t in reminder_times(ob, policy) if t not in ob.reminders_sent]


def reminder_alert(state: CaseState, ob: Obligation, at: datetime) -> Alert:
    index = reminder_times(ob, state.policy).index(at) + 1
    return Alert(
        key=f"{state.reference}/{ob.id}/v{ob.version}/reminder-{index}",
        kind=AlertKind.REMINDER,
        reference=state.reference,
        obligation_id=ob.id,
        obligation_kind=ob.kind,
        # while the person is missing the coordinator is reminded, who knows where the search stands
        recipients=[state.policy.escalation.to_role]
        if state.missing
        else list(dict.fromkeys([ob.owner_role, *ob.notify])),
        due_at=ob.due_at,
    )


def record_reminder(ob: Obligation, at: datetime) -> None:
    ob.reminders_sent.append(at)


def move_due(ob: Obligation, new_due: datetime, *, from_time: datetime) -> None:
    """A deadline moved: reminders are recomputed over the remaining window; running timers must restart."""
    ob.window_start = from_time
    ob.due_at = new_due
    ob.version += 1
    ob.reminders_sent = []


def deadline_passed(state: CaseState, ob_id: str, now: datetime) -> list[Alert]:
    """Record the breach, escalate it, and apply the protective default of an overdue Stage 2."""
    ob = state.obligations[ob_id]
    if not ob.is_open or now < ob.due_at or ob.overdue_now:
        return []
    target = state.policy.escalation.to_role
    ob.breaches.append(Breach(due_at=ob.due_at, detected_at=now, escalated_to=target))
    alert = Alert(
        key=f"{state.reference}/{ob.id}/v{ob.version}/escalation",
        kind=AlertKind.ESCALATION,
        reference=state.reference,
        obligation_id=ob.id,
        obligation_kind=ob.kind,
        recipients=list(dict.fromkeys([target, ob.owner_role, *ob.notify])),
        due_at=ob.due_at,
    )
    if ob.kind is ObligationKind.STAGE2_DECISION and state.stage is Stage.PRESUMED_VICTIM and state.rr:
        _auto_extend_rr(state, ob, now)
    return [alert]


def _auto_extend_rr(state: CaseState, ob: Obligation, now: datetime) -> None:
    rr = state.rr
    assert rr is not None
    new_end = rr.end + state.policy.rr.auto_extension_step
    rr.extensions.append(
        RRExtension(previous_end=rr.end, new_end=new_end, at=now, automatic=True, reasons=AUTO_EXTENSION_REASON)
    )
    rr.end = new_end
    state.removal_suspended = True
    move_due(ob, new_end, from_time=ob.due_at)


def new_obligation(
    kind: ObligationKind,
    owner: Role,
    *,
    start: datetime,
    due: datetime,
    ob_id: str | None = None,
    waivable: bool = False,
) -> Obligation:
    return Obligation(
        id=ob_id or kind.value,
        kind=kind,
        owner_role=owner,
        window_start=start,
        due_at=due,
        created_at=start,
        waivable=waivable,
    )
