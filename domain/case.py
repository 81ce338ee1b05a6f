"""The state of one case: a single pydantic model, so continue-as-new can carry it whole.

Obligations are the general shape of every duty with a deadline (Stage 1 and Stage 2 decisions, provisions,
assessments and their reviews; return steps later): an owner, a due time, reminders, breaches and the record of
its fulfilment.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field

from domain.consent import ConsentPurpose, ConsentWithdrawal
from domain.kinds import ObligationKind
from domain.permit_records import Permit
from domain.policy import Policy
from domain.proceeding_records import Proceeding
from domain.referral import Referral
from domain.return_records import VoluntaryReturn
from domain.roles import Actor, Role


class Stage(str, enum.Enum):
    OUTSIDE_NRM = "outside_nrm"  # adult declined referral; support outside the NRM, may enter later
    STAGE1_PENDING = "stage1_pending"
    PRESUMED_VICTIM = "presumed_victim"  # positive Stage 1; R&R running; Stage 2 pending
    STAGE1_NEGATIVE = "stage1_negative"  # open: reconsideration and appeal build on this
    CONFIRMED_VICTIM = "confirmed_victim"
    STAGE2_NEGATIVE = "stage2_negative"  # open: reconsideration and appeal build on this
    FINAL_NEGATIVE = "final_negative"  # no challenge left: vulnerability assessment and onward referral owed


class ReviewOutcome(str, enum.Enum):
    UPHELD = "upheld"
    OVERTURNED = "overturned"


class JudgmentOutcome(str, enum.Enum):
    DISMISSED = "dismissed"
    ALLOWED = "allowed"
    REMITTED = "remitted"


class ChallengePhase(str, enum.Enum):
    """Where the challenge of a negative decision stands (domain.appeals)."""

    PANEL_CONFIRMATION = "provisional until the review panel confirms it"  # not issued yet (policy panel_confirms)
    RECONSIDERATION_WINDOW = "reconsideration window open"
    RECONSIDERATION = "reconsideration pending"  # requested; the review panel decides
    APPEAL_WINDOW = "appeal window open"
    APPEAL = "appeal pending"  # lodged; the court decides
    FINAL = "final"  # nothing left to challenge


class ChallengeSubject(str, enum.Enum):
    """What a challenge is of (domain.challenges): a negative Stage 1 or Stage 2 decision, an adult age finding, or
    a permit refusal. Each is challenged in the same shape: reconsideration, then appeal, then final."""

    STAGE1 = "stage1"
    STAGE2 = "stage2"
    AGE = "age"
    PERMIT = "permit"

    @property
    def stage(self) -> int | None:
        """1 or 2 for a negative identification decision, else None."""
        return {ChallengeSubject.STAGE1: 1, ChallengeSubject.STAGE2: 2}.get(self)

    @classmethod
    def of_stage(cls, stage: int) -> ChallengeSubject:
        return cls.STAGE1 if stage == 1 else cls.STAGE2

    @property
    def decision(self) -> str:
        """The decision challenged, in words."""
        if self.stage is not None:
            return f"the negative Stage {self.stage} decision"
        return "the age assessment's adult finding" if self is ChallengeSubject.AGE else "the permit refusal"


class Challenge(BaseModel):
    """The rights that a decision against the person opened (`subject`), and how far they have been used."""

    subject: ChallengeSubject
    phase: ChallengePhase
    since: datetime
    obligation_id: str | None = None  # the window or review now running, if any
    appeals_lodged: int = 0
    window_lapsed: bool = False  # the reconsideration window closed unused (a late request needs new evidence)
    decided: str | None = None  # the obligation the challenged decision fulfilled (an age assessment, a permit)
    owed_again: str | None = None  # overturned or remitted: what is owed again (a permit, a new assessment)
    overturned: bool = False

    @property
    def stage(self) -> int | None:
        return self.subject.stage


class AgeStatus(str, enum.Enum):
    """Whether the person is taken to be a child. A disputed age is a child's until a final adult finding."""

    UNDISPUTED = "undisputed"  # as the referral said
    DISPUTED = "disputed"  # treated as a child; an age assessment (and any challenge of it) is pending
    CHILD = "child"  # final finding: a child (or inconclusive, which counts as a child)
    ADULT = "adult"  # final finding: an adult; the adult rules apply from then on


class AgeFinding(str, enum.Enum):
    """An age assessment's result; inconclusive counts as a child (the benefit of the doubt)."""

    CHILD = "child"
    ADULT = "adult"
    INCONCLUSIVE = "inconclusive"


class Outcome(str, enum.Enum):
    POSITIVE = "positive"
    NEGATIVE = "negative"


class Breach(BaseModel):
    """A deadline that passed unmet: kept for audit even when the deadline later moves."""

    due_at: datetime
    detected_at: datetime
    escalated_to: Role


class Obligation(BaseModel):
    id: str
    kind: ObligationKind
    owner_role: Role
    window_start: datetime
    due_at: datetime
    version: int = 0  # bumped whenever due_at moves, so running timers know to stop
    reminders_sent: list[datetime] = Field(default_factory=list)  # reminder times already sent this version
    breaches: list[Breach] = Field(default_factory=list)
    fulfilled_at: datetime | None = None  # when it was done (as stated by whoever recorded it)
    fulfilled_by: Actor | None = None
    created_at: datetime  # when the case came to owe it
    waivable: bool = False  # the policy lets the owner record "not needed", with a reason
    waived: bool = False
    evidence: str = ""  # evidence note, or the reason it was not needed
    recorded_at: datetime | None = None  # when the fulfilment was recorded in the case
    requested_at: datetime | None = None  # assessments: when the request went to the assessor
    lapsed: bool = False  # a window that closed unused: no longer open, never fulfilled
    notify: list[Role] = Field(default_factory=list)  # told of its reminders and escalation besides the owner

    @property
    def is_open(self) -> bool:
        return self.fulfilled_at is None and not self.lapsed

    @property
    def late(self) -> bool:
        return bool(self.breaches) or (self.fulfilled_at is not None and self.fulfilled_at > self.due_at)

    @property
    def overdue_now(self) -> bool:
        """Breached for its current due time (escalated, still open)."""
        return self.is_open and any(b.due_at == self.due_at for b in self.breaches)


class DecisionRecord(BaseModel):
    """Who decided what, when, why and on what evidence; the person informed in which language."""

    act: str
    outcome: str
    actor: Actor
    at: datetime
    reasons: str
    evidence: str = ""
    informed_in: str = ""
    stage: int | None = None  # a challenge (reconsideration, review, appeal, judgment): the stage it concerns
    challenged: ChallengeSubject | None = None  # a challenge act: what it challenges
    late: bool = False  # a reconsideration requested after its window, on new evidence
    court: str = ""  # a judgment: the court, its reference and the date it was given
    judgment_ref: str = ""
    decided_on: date | None = None
    child_views: str = ""  # a decision concerning a child: the child's views, as recorded with it


class AssessmentRecord(BaseModel):
    """An assessment's result as recorded: the summary stays inside the encrypted case state."""

    kind: ObligationKind
    obligation_id: str
    actor: Actor
    completed_at: datetime
    recorded_at: datetime
    summary: str
    document: str = ""
    next_review: datetime
    next_obligation_id: str


class DeliveryFailure(BaseModel):
    """A message that could not be delivered for good (e.g. a refused address): escalated and kept for audit."""

    key: str
    what: str
    at: datetime
    reason: str
    escalated_to: Role | None


class RRExtension(BaseModel):
    previous_end: datetime
    new_end: datetime
    at: datetime
    automatic: bool
    actor: Actor | None = None
    reasons: str


class RecoveryReflection(BaseModel):
    start: datetime
    end: datetime
    extensions: list[RRExtension] = Field(default_factory=list)


class MissingReport(BaseModel):
    """The person was reported missing (domain.lifecycle): who reported it and when, and how it ended."""

    since: datetime
    reported_by: Actor
    note: str = ""
    suspended_at: datetime | None = None  # an adult missing for the policy's period: the case suspended, not closed
    found_at: datetime | None = None
    found_by: Actor | None = None
    found_note: str = ""


class ClosureReason(str, enum.Enum):
    FINAL_DECISIONS = "final_decisions"  # the decisions are final and nothing more is owed
    LEFT_COUNTRY = "left_country"
    SUPPORT_ENDED = "support_ended"
    DECEASED = "deceased"
    OTHER = "other"  # named in the note


class Closure(BaseModel):
    """The case was closed (domain.lifecycle): the workflow ended with this record; a re-opening continues it."""

    at: datetime
    by: Actor
    reason: ClosureReason
    note: str = ""


class Reopening(BaseModel):
    at: datetime
    by: Actor
    reasons: str


class LinkKind(str, enum.Enum):
    DEPENDENT_OF = "dependent_of"  # this case is a dependent child's, of the adult victim in the linked case
    DEPENDENT = "dependent"  # the linked case is a dependent child's of the person in this one
    # re-trafficking, found by the person key (domain.person_key): the same person's cases, linked both ways
    RETRAFFICKING_OF = "retrafficking_of"  # this case is a new referral of the person of the linked, earlier case
    REFERRED_AGAIN_IN = "referred_again_in"  # the person of this case was referred again: the linked, later case


class CaseLink(BaseModel):
    """A link to another case by its pseudonymous reference (domain.links), both ways."""

    kind: LinkKind
    reference: str
    at: datetime
    by: Actor


class CaseState(BaseModel):
    reference: str
    policy: Policy
    referral: Referral
    is_child: bool
    opened_at: datetime
    opened_by: Actor
    stage: Stage
    removal_suspended: bool = False
    referred_at: datetime | None = None
    rr: RecoveryReflection | None = None
    challenge: Challenge | None = None  # the rights a negative decision opened (domain.appeals)
    challenges: dict[ChallengeSubject, Challenge] = Field(default_factory=dict)  # of an age finding, a permit refusal
    obligations: dict[str, Obligation] = Field(default_factory=dict)
    decisions: list[DecisionRecord] = Field(default_factory=list)
    assessments: list[AssessmentRecord] = Field(default_factory=list)
    delivery_failures: list[DeliveryFailure] = Field(default_factory=list)
    act_ids: dict[str, str] = Field(default_factory=dict)  # request id -> fingerprint of its act (domain.repeats)
    age_status: AgeStatus = AgeStatus.UNDISPUTED
    consent_withdrawals: list[ConsentWithdrawal] = Field(default_factory=list)
    permits: list[Permit] = Field(default_factory=list)  # residence and interim permits granted (domain.permits)
    returns: list[VoluntaryReturn] = Field(default_factory=list)  # voluntary returns, the latest last (domain.returns)
    proceedings: list[Proceeding] = Field(default_factory=list)  # claims and proceedings (domain.proceedings)
    golden_day_until: datetime | None = None  # a child: intensive supervision from entry until then (domain.children)
    came_of_age_at: datetime | None = None  # adult for new obligations by the date of birth (domain.majority)
    child_support_ended_at: datetime | None = None  # then child-level support ended (domain.majority)
    missing_reports: list[MissingReport] = Field(default_factory=list)
    closures: list[Closure] = Field(default_factory=list)
    reopenings: list[Reopening] = Field(default_factory=list)
    links: list[CaseLink] = Field(default_factory=list)

    @property
    def open_obligations(self) -> list[Obligation]:
        return [o for o in self.obligations.values() if o.is_open]

    @property
    def breach_count(self) -> int:
        return sum(len(o.breaches) for o in self.obligations.values())

    @property
    def missing(self) -> MissingReport | None:
        """The report of the person missing now, if they are."""
        last = self.missing_reports[-1] if self.missing_reports else None
        return last if last is not None and last.found_at is None else None

    @property
    def is_closed(self) -> bool:
        return len(self.closures) > len(self.reopenings)

    @property
    def age_settled(self) -> bool:
        return self.age_status is not AgeStatus.DISPUTED

    def consents_to(self, purpose: ConsentPurpose) -> bool:
        """False once the person has withdrawn consent for `purpose` (a withdrawal is not taken back by a later act)."""
        return all(w.purpose is not purpose for w in self.consent_withdrawals)

    def challenge_of(self, subject: ChallengeSubject) -> Challenge | None:
        """The challenge of `subject` (the identification one only when it is of that stage)."""
        if subject.stage is None:
            return self.challenges.get(subject)
        return self.challenge if self.challenge is not None and self.challenge.subject is subject else None

    @property
    def all_challenges(self) -> list[Challenge]:
        """Every challenge, the identification one first."""
        return [c for c in (self.challenge, *self.challenges.values()) if c is not None]

    def open_obligation(self, kind: ObligationKind) -> Obligation | None:
        return next((o for o in self.open_obligations if o.kind is kind), None)

    def next_obligation_id(self, kind: ObligationKind) -> str:
        """`kind` for the first obligation of that kind, then `kind#2`, `kind#3`, ..."""
        number = sum(1 for o in self.obligations.values() if o.kind is kind) + 1
        return kind.value if number == 1 else f"{kind.value}#{number}"

    def next_deadline(self) -> Obligation | None:
        """The earliest due time among open obligations; in the past when that obligation is overdue."""
        return min(self.open_obligations, key=lambda o: o.due_at, default=None)

    def stage1_due_after(self) -> timedelta:
        rules = self.policy.stage1
        return rules.due_child if self.is_child else rules.due_adult
