"""The facts of one case that deadlines and statistics are computed from, read off its decoded history.

Only acts that the case accepted and completed count; alerts are the `send_alert` activities the case scheduled,
with whether they were delivered; the deadlines the case published are paired set-to-end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.case import Outcome
from domain.consent import ConsentPurpose
from domain.policy import Policy
from domain.requests import (
    AssessRequest,
    ConsentWithdrawalRequest,
    DecisionRequest,
    ExtendRRRequest,
    OpenCase,
    ProvideRequest,
)
from domain.roles import Act as ActName
from domain.roles import Actor
from starter.audit.history import (
    ActAccepted,
    ActCompleted,
    ActivityOutcome,
    ActivityScheduled,
    AuditEvent,
    DeadlinesPublished,
    opened,
)

ALERT_ACTIVITY = "send_alert"
NOTICE_ACTIVITY = "send_notice"


@dataclass(frozen=True)
class Act:
    at: datetime
    name: str
    request: dict[str, Any]


@dataclass(frozen=True)
class Decision:
    at: datetime
    outcome: Outcome
    actor: Actor


@dataclass(frozen=True)
class Extension:
    at: datetime
    request: ExtendRRRequest


@dataclass(frozen=True)
class Fulfilment:
    recorded_at: datetime
    done_at: datetime
    act: Act
    next_review: datetime | None  # an assessment sets when it must be reviewed


@dataclass(frozen=True)
class Letter:
    """A notice the case sent (a decision, permit or return letter...): when it was scheduled, and what it said."""

    at: datetime
    template: str
    content: dict[str, Any]


@dataclass
class Alert:
    at: datetime
    kind: str  # reminder | escalation (and whatever kinds later alerts carry)
    obligation_kind: str
    recipients: list[str]
    ended_at: datetime | None = None
    delivered: bool = False
    how: str = "not finished"


@dataclass
class Deadline:
    """A deadline the case published: from when (`set_at`) to when it left the list (`ended_at`: done, moved or
    lapsed), None while it is still open."""

    kind: str
    due: datetime
    set_at: datetime
    ended_at: datetime | None = None

    def passed_by(self, as_of: datetime) -> bool:
        """Its due time came while it was still listed: the deadline passed unmet."""
        return self.due <= as_of and (self.ended_at is None or self.ended_at >= self.due)


@dataclass
class CaseFacts:
    reference: str
    opening: OpenCase
    opened_at: datetime
    acts: list[Act] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    letters: list[Letter] = field(default_factory=list)

    def deadlines_of(self, kind: str) -> list[Deadline]:
        return [d for d in self.deadlines if d.kind == kind]

    @property
    def policy(self) -> Policy:
        return self.opening.policy

    @property
    def is_child(self) -> bool:
        return self.opening.referral.is_child

    def acts_named(self, act: ActName) -> list[Act]:
        return [a for a in self.acts if a.name == act.value]

    def acts_between(self, act: ActName, since: datetime, before: datetime | None) -> list[Act]:
        """The acts named `act` from `since` on, and before `before` if given (e.g. the next return request)."""
        return [a for a in self.acts_named(act) if a.at >= since and (before is None or a.at < before)]

    @property
    def referred_at(self) -> datetime | None:
        """Referral: at opening when the referral enters the NRM, else when consent was recorded later or the
        person's age was disputed (a child is referred always)."""
        if self.opening.referral.enters_nrm:
            return self.opened_at
        later = (ActName.RECORD_CONSENT.value, ActName.DISPUTE_AGE.value)
        return min((a.at for a in self.acts if a.name in later), default=None)

    @property
    def referral_withdrawn_at(self) -> datetime | None:
        """When an adult withdrew consent to referral: no identification decision is owed from then."""
        if self.is_child:
            return None
        return next(
            (
                a.at
                for a in self.acts_named(ActName.WITHDRAW_CONSENT)
                if ConsentPurpose.REFERRAL in ConsentWithdrawalRequest.model_validate(a.request).purposes
            ),
            None,
        )

    def decision(self, act: ActName) -> Decision | None:
        acts = self.acts_named(act)
        if not acts:
            return None
        request = DecisionRequest.model_validate(acts[0].request)
        return Decision(acts[0].at, request.outcome, request.actor)

    @property
    def stage1(self) -> Decision | None:
        return self.decision(ActName.STAGE1_DECISION)

    @property
    def stage2(self) -> Decision | None:
        return self.decision(ActName.STAGE2_DECISION)

    def fulfilments(self, kind: str) -> list[Fulfilment]:
        """Each recorded fulfilment of a provision or an assessment of `kind`, in the order recorded. A provision
        counts from the time it was done (`when`, else when recorded); an assessment from its completion."""
        done = [
            Fulfilment(a.at, p.when or a.at, a, None)
            for a in self.acts_named(ActName.PROVIDE)
            if (p := ProvideRequest.model_validate(a.request)).kind == kind
        ]
        done += [
            Fulfilment(a.at, r.result.completed_at, a, r.result.next_review)
            for a in self.acts_named(ActName.RECORD_ASSESSMENT)
            if (r := AssessRequest.model_validate(a.request)).kind == kind
        ]
        return sorted(done, key=lambda f: f.recorded_at)

    @property
    def extensions(self) -> list[Extension]:
        return [Extension(a.at, ExtendRRRequest.model_validate(a.request)) for a in self.acts_named(ActName.EXTEND_RR)]


def case_facts(events: list[AuditEvent]) -> CaseFacts:
    start = opened(events)
    facts = CaseFacts(start.request.reference, start.request, start.at)
    accepted: dict[str, ActAccepted] = {}
    alerts: dict[int, Alert] = {}
    listed: dict[tuple[str, datetime], Deadline] = {}
    for event in events:
        match event:
            case ActAccepted():
                accepted[event.update_id] = event
            case ActCompleted(failed=False) if event.update_id in accepted:
                act = accepted[event.update_id]
                facts.acts.append(Act(act.at, act.name, act.request))
            case ActivityScheduled(activity=name) if name == ALERT_ACTIVITY:
                alert = Alert(
                    event.at,
                    str(event.input.get("kind", "")),
                    str(event.input.get("obligation_kind", "")),
                    [str(r) for r in event.input.get("recipients", [])],
                )
                alerts[event.scheduled_id] = alert
                facts.alerts.append(alert)
            case ActivityScheduled(activity=name) if name == NOTICE_ACTIVITY:
                facts.letters.append(Letter(event.at, str(event.input.get("template", "")), dict(event.input)))
            case ActivityOutcome() if event.scheduled_id in alerts:
                alert = alerts[event.scheduled_id]
                alert.ended_at, alert.delivered, alert.how = event.at, event.delivered, event.how
            case DeadlinesPublished():
                now = set(event.deadlines)
                for gone in set(listed) - now:
                    listed.pop(gone).ended_at = event.at
                for kind, due in event.deadlines:
                    if (kind, due) not in listed:
                        listed[kind, due] = Deadline(kind, due, event.at)
                        facts.deadlines.append(listed[kind, due])
    return facts
