"""The inputs of each human act (one model per Temporal Update) and of opening a case.

Single-model inputs let an act gain optional fields later without breaking running cases. Business checks
live in domain.transitions, not here, so that a bad request reaches the Update validator and is refused there
with a clear message instead of failing to decode. Only a time without a zone is refused here (`AwareDatetime`):
such a request cannot even be built, so it never reaches a case.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.case import (
    AgeFinding,
    CaseState,
    ChallengeSubject,
    ClosureReason,
    JudgmentOutcome,
    LinkKind,
    Outcome,
    ReviewOutcome,
)
from domain.consent import ConsentPurpose
from domain.permit_records import PermitAction, PermitGround, PermitType
from domain.policy import Policy
from domain.proceeding_records import ProceedingKind
from domain.referral import Referral
from domain.roles import Actor


class OpenCase(BaseModel):
    """The workflow's input. `state` is set only when the case continues as new, or when a closed case is started
    again to be re-opened (the run's first act, the `reopen_case` Update, re-opens it)."""

    reference: str
    referral: Referral
    policy: Policy
    opened_by: Actor
    state: CaseState | None = None
    dependent_of: str | None = None  # a dependent child's case: the reference of the adult victim's case


REQUEST_ID = r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,127}$"


class ActRequest(BaseModel):
    """What every act carries: who acts, and optionally the caller's request id. An act repeated under its request
    id is carried out once; the id is part of the signed arguments, so only its signer can repeat it."""

    actor: Actor
    request_id: str | None = Field(default=None, pattern=REQUEST_ID)


class ConsentRequest(ActRequest):
    note: str = ""


class DecisionRequest(ActRequest):
    """`child_views`: a decision concerning a child records the child's views (domain.children)."""

    outcome: Outcome
    reasons: str = ""
    evidence: str = ""
    informed_in: str = ""
    child_views: str = ""


class ExtendRRRequest(ActRequest):
    """Give either the new end of the R&R period or the length to add to it."""

    reasons: str = ""
    new_end: AwareDatetime | None = None
    extend_by: timedelta | None = None


class ProvideRequest(ActRequest):
    """A provision given (`when` it was done, default now) or, where the policy allows it, not needed.

    `kind` is a plain string so that an unknown kind reaches the validator and is refused there by name.
    """

    kind: str
    when: AwareDatetime | None = None
    evidence: str = ""
    not_needed_reason: str = ""


class AssessmentResult(BaseModel):
    """What an assessor (or an external case-management system) sends back: `nrm case assess --result FILE`."""

    model_config = ConfigDict(extra="forbid")

    completed_at: AwareDatetime
    summary: str
    next_review: AwareDatetime
    document: str = ""  # reference to the full assessment kept elsewhere


class AssessRequest(ActRequest):
    kind: str
    result: AssessmentResult


class ReconsiderationRequest(ActRequest):
    """A request that the review panel reconsider the case's negative decision; `new_evidence` for one made after
    the window closed (where the policy allows it), with the new evidence summarised."""

    reasons: str = ""
    evidence: str = ""
    new_evidence: bool = False
    of: ChallengeSubject | None = None  # what is challenged; None: the negative Stage 1 or 2 decision


class ReviewRequest(ActRequest):
    """The review panel's decision on a reconsideration."""

    outcome: ReviewOutcome
    reasons: str = ""
    evidence: str = ""
    informed_in: str = ""
    of: ChallengeSubject | None = None  # what is challenged; None: the negative Stage 1 or 2 decision


class AppealRequest(ActRequest):
    """A judicial appeal against the negative decision (after an upheld reconsideration, or directly where the
    policy allows it); `court` where it is lodged, if known."""

    reasons: str = ""
    court: str = ""
    of: ChallengeSubject | None = None  # what is challenged; None: the negative Stage 1 or 2 decision


class JudgmentRequest(ActRequest):
    """The court's judgment on an appeal, recorded by a coordinator or the person's legal representative."""

    outcome: JudgmentOutcome
    court: str = ""
    judgment_ref: str = ""
    decided_on: date
    reasons: str = ""
    informed_in: str = ""
    of: ChallengeSubject | None = None  # what is challenged; None: the negative Stage 1 or 2 decision


class PermitRequest(ActRequest):
    """The immigration authority's decision on a permit: grant an owed one (`permit` says which when both are
    owed), renew the current one, or refuse either with reasons. `valid_from` defaults to now."""

    action: PermitAction
    permit: PermitType | None = None
    grounds: list[PermitGround] = Field(default_factory=list, max_length=3)
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    document: str = ""  # reference of the permit document, kept in the encrypted case state
    reasons: str = ""
    informed_in: str = ""


class ReturnRequest(ActRequest):
    """The person's informed decision to return: when they took it, the time they were given, the legal advice,
    that they were told every option (return, remain, a third country) and, for a child, that the child and the
    guardian were informed and consulted. `monitoring`: the person wants reintegration monitoring."""

    decided_on: date
    reflection_days: int = Field(default=0, ge=0, le=365)
    legal_advice: str = ""
    destination: str = ""  # ISO 3166 country code
    informed_of_options: bool = False
    guardian_consulted: bool = False
    monitoring: bool = True


class ReturnAssessmentRequest(ActRequest):
    """The pre-return risk assessment's result, made with the person and covering the family."""

    risk_found: bool
    summary: str = ""
    covers_family: bool = False


class ReturnPlanRequest(ActRequest):
    departure_at: AwareDatetime
    route: str = ""
    escort: str = ""
    reception: str = ""
    travel_documents: bool = False
    care_confirmed: bool = False  # a child: care arrangements in the country of return confirmed
    coordinate: bool = False  # contact the receiving country (needs consent to data sharing)


class DepartureRequest(ActRequest):
    departed_at: AwareDatetime | None = None
    note: str = ""


class CheckInRequest(ActRequest):
    when: AwareDatetime | None = None
    summary: str = ""
    retrafficking: bool = False  # a re-trafficking indicator seen: protection re-opens


class ReceptionRequest(ActRequest):
    """The receiving side's record of the arrival: the person was received as planned, or did not arrive."""

    received: bool = True
    when: AwareDatetime | None = None
    summary: str = ""


class AgeDisputeRequest(ActRequest):
    """The person's age is disputed (domain.age): `reasons` says why it is in doubt."""

    reasons: str = ""


class AgeAssessmentRequest(ActRequest):
    """The age assessment's result, recorded by the role that owes it; `child_views` as for every decision
    concerning a child (the person is treated as one until the result)."""

    outcome: AgeFinding
    reasons: str = ""
    evidence: str = ""
    child_views: str = ""


class MissingRequest(ActRequest):
    """The person is reported missing (`note`: the circumstances, without personal data of others)."""

    note: str = ""


class FoundRequest(ActRequest):
    """The person missing is found (or back in contact)."""

    note: str = ""


class ConsentWithdrawalRequest(ActRequest):
    """The person withdraws consent for one purpose or several, in one step (domain.consent)."""

    purposes: list[ConsentPurpose] = Field(min_length=1, max_length=len(ConsentPurpose))
    reasons: str = ""


class CloseRequest(ActRequest):
    """Close the case (`note` says more; required for `other`)."""

    reason: ClosureReason
    note: str = ""


class ReopenRequest(ActRequest):
    """Re-open a closed case: it continues as a new run of the same workflow id, with its state."""

    reasons: str = ""


class LinkRequest(ActRequest):
    """Link this case to another by its reference (a dependent child's case opened for the person in this one)."""

    kind: LinkKind
    reference: str


class ProceedingRequest(ActRequest):
    """A claim or proceeding opened (`kind`; `presence_needed` when the person's presence is needed and wanted), or
    one recorded earlier ended (`end`: its number)."""

    kind: ProceedingKind | None = None
    reference: str = ""
    presence_needed: bool = False
    note: str = ""
    end: int | None = Field(default=None, ge=1)
