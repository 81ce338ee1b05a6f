"""What `nrm case show` and the status query report: a read model derived from the state and the time."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel

from domain import majority
from domain.case import (
    AgeStatus,
    AssessmentRecord,
    CaseLink,
    CaseState,
    Challenge,
    ChallengePhase,
    ChallengeSubject,
    Closure,
    DecisionRecord,
    DeliveryFailure,
    MissingReport,
    Obligation,
    RecoveryReflection,
    Reopening,
    Stage,
)
from domain.consent import ConsentWithdrawal
from domain.deadlines import reminder_times
from domain.holds import Hold, holds
from domain.permit_records import Permit
from domain.policy import Policy
from domain.proceeding_records import Proceeding
from domain.return_records import VoluntaryReturn


class DeadlineState(str, enum.Enum):
    OPEN = "open"
    DUE_SOON = "due soon"  # its last reminder time has passed
    OVERDUE = "overdue"
    MET = "met"
    MET_LATE = "met late"
    WAIVED = "waived"  # recorded as not needed, with a reason, where the policy allows it
    LAPSED = "lapsed"  # a window to challenge a decision that closed unused


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


class OpenDeadline(BaseModel):
    id: str
    kind: str
    owner_role: str
    due_at: datetime


class Pending(BaseModel):
    """What is pending after a decision against the person, and until when (None: until the court's judgment)."""

    stage: int | None  # None: not an identification decision (`of` says what)
    of: ChallengeSubject
    phase: ChallengePhase
    since: datetime
    until: datetime | None
    waiting_for: str  # the role (or "court") whose act comes next
    text: str


class ActResult(BaseModel):
    """What an act returns: the case as it now stands, in brief. Every act's result is stored in the case's
    history, so it holds what the caller acts on next, not the whole record (the status query has that)."""

    reference: str
    stage: Stage
    is_child: bool
    removal_suspended: bool
    rr: RecoveryReflection | None
    open_deadlines: list[OpenDeadline]  # soonest first
    breach_count: int
    as_of: datetime
    pending: Pending | None = None  # a challenge of a negative decision, while one is possible or under way
    repeated: bool = False  # a repeat of an act carried out earlier under its request id: no change
    closed: bool = False  # closed (domain.lifecycle): its workflow has ended; `nrm case reopen` continues it


class CaseStatus(ActResult):
    """The whole case as `nrm case show` reports it: every deadline with its state, decisions, assessments."""

    jurisdiction: str
    policy: str
    policy_sha256: str
    opened_at: datetime
    referred_at: datetime | None
    deadlines: list[DeadlineView]
    next_deadline: DeadlineView | None
    decisions: list[DecisionRecord]
    assessments: list[AssessmentRecord] = []
    delivery_failures: list[DeliveryFailure] = []
    holds: list[Hold] = []  # why removal is barred, each with its source (domain.holds)
    permits: list[Permit] = []
    returns: list[VoluntaryReturn] = []
    proceedings: list[Proceeding] = []
    age_status: AgeStatus = AgeStatus.UNDISPUTED
    golden_day_until: datetime | None = None  # a child: intensive supervision from entry until then
    comes_of_age_at: datetime | None = None  # by the date of birth (domain.majority): adult for new obligations
    child_support_until: datetime | None = None  # child-level support continues until then
    missing: MissingReport | None = None  # the person is missing now: since when, reported by whom
    missing_reports: list[MissingReport] = []
    consent_withdrawals: list[ConsentWithdrawal] = []
    closures: list[Closure] = []
    reopenings: list[Reopening] = []
    links: list[CaseLink] = []
    challenges: list[Pending] = []  # every challenge under way or possible (`pending` names the first)


def deadline_state(ob: Obligation, policy: Policy, now: datetime) -> DeadlineState:
    if ob.lapsed:
        return DeadlineState.LAPSED
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


def _brief(state: CaseState, now: datetime) -> dict[str, object]:
    return {
        "reference": state.reference,
        "stage": state.stage,
        "is_child": state.is_child,
        "removal_suspended": state.removal_suspended,
        "rr": state.rr,
        "open_deadlines": [
            OpenDeadline(id=o.id, kind=o.kind.value, owner_role=o.owner_role.value, due_at=o.due_at)
            for o in sorted(state.open_obligations, key=lambda o: (o.due_at, o.id))
        ],
        "breach_count": state.breach_count,
        "as_of": now,
        "pending": pending(state),
        "closed": state.is_closed,
    }


class PendingChallenge(str, enum.Enum):
    """What `nrm cases list --pending` looks for: a negative decision the panel has yet to confirm, a
    reconsideration possible or under way, or an appeal."""

    PANEL = "panel"
    RECONSIDERATION = "reconsideration"
    APPEAL = "appeal"

    @property
    def phases(self) -> tuple[str, ...]:
        """The `pending_phase` keywords it stands for (for a reconsideration or an appeal: its window open, or
        requested / lodged)."""
        if self is PendingChallenge.PANEL:
            return (ChallengePhase.PANEL_CONFIRMATION.name.lower(),)
        return (f"{self.value}_window", self.value)


def pending_phase(state: CaseState) -> str | None:
    """The challenge under way or possible, as a keyword (`reconsideration_window`, `reconsideration`,
    `appeal_window`, `appeal`), for lists of cases; None when nothing is pending."""
    challenge = _pending_challenge(state)
    return challenge.phase.name.lower() if challenge else None


def _pending_challenge(state: CaseState) -> Challenge | None:
    """The challenge under way or possible: of the identification decision first, then of an age finding or a
    permit refusal."""
    return next((c for c in state.all_challenges if c.phase is not ChallengePhase.FINAL), None)


class Life(str, enum.Enum):
    """The life of a case besides its stage, for lists of cases (`nrm cases list --missing`)."""

    MISSING = "missing"
    SUSPENDED = "suspended"  # an adult missing for the policy's period: suspended, not closed
    CLOSED = "closed"  # the workflow ended with a closing record (domain.lifecycle); re-opened, it runs on

    @classmethod
    def missing_person(cls) -> tuple[Life, ...]:
        return (cls.MISSING, cls.SUSPENDED)


def life(state: CaseState) -> Life | None:
    if state.is_closed:
        return Life.CLOSED
    report = state.missing
    if report is None:
        return None
    return Life.SUSPENDED if report.suspended_at is not None else Life.MISSING


def pending(state: CaseState) -> Pending | None:
    """The challenge under way or possible that an act's result names (of the identification decision first)."""
    challenge = _pending_challenge(state)
    return None if challenge is None else _pending_view(state, challenge)


def pending_challenges(state: CaseState) -> list[Pending]:
    """Every challenge under way or possible: of the identification decision, an age finding, a permit refusal."""
    return [_pending_view(state, c) for c in state.all_challenges if c.phase is not ChallengePhase.FINAL]


def _pending_view(state: CaseState, challenge: Challenge) -> Pending:
    ob = state.obligations.get(challenge.obligation_id or "")
    until = ob.due_at if ob is not None else None
    waiting_for = ob.owner_role.value if ob is not None else "court"
    decision = challenge.subject.decision
    text = {
        ChallengePhase.PANEL_CONFIRMATION: f"{decision} is provisional: the review panel confirms or sets it aside",
        ChallengePhase.RECONSIDERATION_WINDOW: f"reconsideration of {decision} may be requested",
        ChallengePhase.RECONSIDERATION: f"the review panel reconsiders {decision}",
        ChallengePhase.APPEAL_WINDOW: f"an appeal against {decision} may be lodged",
        ChallengePhase.APPEAL: f"the court decides the appeal against {decision}",
    }[challenge.phase]
    text += f" until {until.isoformat()}" if until else " (no time limit: until the judgment is recorded)"
    return Pending(
        stage=challenge.stage,
        of=challenge.subject,
        phase=challenge.phase,
        since=challenge.since,
        until=until,
        waiting_for=waiting_for,
        text=text + "; removal stays suspended",
    )


def act_result(state: CaseState, now: datetime) -> ActResult:
    return ActResult(**_brief(state, now))


def case_status(state: CaseState, now: datetime) -> CaseStatus:
    views = [deadline_view(o, state.policy, now) for o in state.obligations.values()]
    nxt = state.next_deadline()
    return CaseStatus(
        **_brief(state, now),
        jurisdiction=state.policy.jurisdiction,
        policy=state.policy.label,
        policy_sha256=state.policy.source_sha256,
        opened_at=state.opened_at,
        referred_at=state.referred_at,
        deadlines=views,
        next_deadline=deadline_view(nxt, state.policy, now) if nxt else None,
        decisions=state.decisions,
        assessments=state.assessments,
        delivery_failures=state.delivery_failures,
        holds=holds(state, now),
        permits=state.permits,
        returns=state.returns,
        proceedings=state.proceedings,
        age_status=state.age_status,
        golden_day_until=state.golden_day_until,
        challenges=pending_challenges(state),
        comes_of_age_at=state.came_of_age_at or (majority.coming_of_age(state) if state.is_child else None),
        child_support_until=majority.child_support_until(state),
        missing=state.missing,
        missing_reports=state.missing_reports,
        consent_withdrawals=state.consent_withdrawals,
        closures=state.closures,
        reopenings=state.reopenings,
        links=state.links,
    )
