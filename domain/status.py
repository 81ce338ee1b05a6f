"""What `nrm case show` and the status query report: a read model derived from the state and the time."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel

from domain.case import (
    AssessmentRecord,
    CaseState,
    DecisionRecord,
    DeliveryFailure,
    Obligation,
    RecoveryReflection,
    Stage,
)
from domain.deadlines import reminder_times
from domain.policy import Policy


class DeadlineState(str, enum.Enum):
    OPEN = "open"
    DUE_SOON = "due soon"          # its last reminder time has passed
    OVERDUE = "overdue"
    MET = "met"
    MET_LATE = "met late"
    WAIVED = "waived"              # recorded as not needed, with a reason, where the policy allows it


class DeadlineView(BaseModel):
    id: str
    kind: str
    owner_role: str
    due_at: datetime
    state: DeadlineState
    reminders_sent: int
    breaches: int
    fulfilled_at: datetime | None = None
    fulfilled_by: str | None = None
    recorded_at: datetime | None = None
    evidence: str = ""


class CaseStatus(BaseModel):
    reference: str
    stage: Stage
    is_child: bool
    jurisdiction: str
    policy: str
    policy_sha256: str
    opened_at: datetime
    referred_at: datetime | None
    removal_suspended: bool
    rr: RecoveryReflection | None
    deadlines: list[DeadlineView]
    next_deadline: DeadlineView | None
    breach_count: int
    decisions: list[DecisionRecord]
    assessments: list[AssessmentRecord] = []
    delivery_failures: list[DeliveryFailure] = []
    as_of: datetime


def deadline_state(ob: Obligation, policy: Policy, now: datetime) -> DeadlineState:
    if not ob.is_open:
        if ob.waived:
            return DeadlineState.WAIVED
        return DeadlineState.MET_LATE if ob.late else DeadlineState.MET
    if now >= ob.due_at or ob.overdue_now:
        return DeadlineState.OVERDUE
    times = reminder_times(ob, policy)
    if times and now >= times[-1]:
        return DeadlineState.DUE_SOON
    return DeadlineState.OPEN


def deadline_view(ob: Obligation, policy: Policy, now: datetime) -> DeadlineView:
    return DeadlineView(
        id=ob.id,
        kind=ob.kind.value,
        owner_role=ob.owner_role.value,
        due_at=ob.due_at,
        state=deadline_state(ob, policy, now),
        reminders_sent=len(ob.reminders_sent),
        breaches=len(ob.breaches),
        fulfilled_at=ob.fulfilled_at,
        fulfilled_by=str(ob.fulfilled_by) if ob.fulfilled_by else None,
        recorded_at=ob.recorded_at,
        evidence=ob.evidence,
    )


def case_status(state: CaseState, now: datetime) -> CaseStatus:
    views = [deadline_view(o, state.policy, now) for o in state.obligations.values()]
    nxt = state.next_deadline()
    return CaseStatus(
        reference=state.reference,
        stage=state.stage,
        is_child=state.is_child,
        jurisdiction=state.policy.jurisdiction,
        policy=state.policy.label,
        policy_sha256=state.policy.source_sha256,
        opened_at=state.opened_at,
        referred_at=state.referred_at,
        removal_suspended=state.removal_suspended,
        rr=state.rr,
        deadlines=views,
        next_deadline=deadline_view(nxt, state.policy, now) if nxt else None,
        breach_count=state.breach_count,
        decisions=state.decisions,
        assessments=state.assessments,
        delivery_failures=state.delivery_failures,
        as_of=now,
    )
