"""The inputs of each human act (one model per Temporal Update) and of opening a case.

Single-model inputs let an act gain optional fields later without breaking running cases. Business checks
live in domain.transitions, not here, so that a bad request reaches the Update validator and is refused there
with a clear message instead of failing to decode. Only a time without a zone is refused here (`AwareDatetime`):
such a request cannot even be built, so it never reaches a case.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.case import CaseState, Outcome
from domain.policy import Policy
from domain.referral import Referral
from domain.roles import Actor


class OpenCase(BaseModel):
    """The workflow's input. `state` is set only when the case continues as new."""

    reference: str
    referral: Referral
    policy: Policy
    opened_by: Actor
    state: CaseState | None = None


class ConsentRequest(BaseModel):
    actor: Actor
    note: str = ""


class DecisionRequest(BaseModel):
    actor: Actor
    outcome: Outcome
    reasons: str = ""
    evidence: str = ""
    informed_in: str = ""


class ExtendRRRequest(BaseModel):
    """Give either the new end of the R&R period or the length to add to it."""

    actor: Actor
    reasons: str = ""
    new_end: AwareDatetime | None = None
    extend_by: timedelta | None = None


class ProvideRequest(BaseModel):
    """A provision given (`when` it was done, default now) or, where the policy allows it, not needed.

    `kind` is a plain string so that an unknown kind reaches the validator and is refused there by name.
    """

    actor: Actor
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
    document: str = ""        # reference to the full assessment kept elsewhere


class AssessRequest(BaseModel):
    actor: Actor
    kind: str
    result: AssessmentResult
