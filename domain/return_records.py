"""A voluntary return as the case records it: the person's decision, the pre-return risk assessment, the plan, the
departure and the reintegration check-ins. Kept inside the encrypted case state; the rules are in domain.returns."""

from __future__ import annotations

import enum
from datetime import date, datetime

from pydantic import BaseModel, Field

from domain.roles import Actor


class ReturnPhase(str, enum.Enum):
    REQUESTED = "requested"  # the person's decision recorded; the pre-return risk assessment is owed
    ASSESSED = "assessed"  # no risk found: the return may be planned
    PLANNED = "planned"  # a departure is planned; the holds are checked again at the planned time
    MONITORING = "monitoring"  # departed; reintegration check-ins are owed
    BACK_TO_PROTECTION = "back_to_protection"  # a risk was found: no return, protection goes on (not a failure)
    ENDED = "ended"


class ReturnPlan(BaseModel):
    departure_at: datetime
    route: str
    escort: str
    reception: str  # who receives the person, and how
    travel_documents: bool  # the person holds travel documents (no trafficking status on them)
    care_confirmed: bool  # a child: care arrangements in the country of origin confirmed
    coordinated: bool  # the receiving country is contacted (only with consent to data sharing)
    planned_at: datetime
    planned_by: Actor
    departure_id: str  # the obligation to carry out the departure


class CheckIn(BaseModel):
    obligation_id: str
    at: datetime
    by: Actor
    summary: str
    retrafficking: bool  # a re-trafficking indicator was seen: protection re-opens


class Reception(BaseModel):
    at: datetime
    by: Actor
    received: bool  # False: the person did not arrive (reported missing at once)
    summary: str


class VoluntaryReturn(BaseModel):
    number: int
    requested_at: datetime
    requested_by: Actor
    decided_on: date  # when the person took the decision
    reflection_days: int  # the time the person was given to decide
    legal_advice: str  # the legal advice given before the decision
    destination: str  # ISO 3166 country code, never outside the encrypted state
    monitoring: bool  # the person agreed to reintegration monitoring (voluntary, withdrawable)
    phase: ReturnPhase
    assessment_id: str
    risk_found: bool = False
    assessment: str = ""
    plan: ReturnPlan | None = None
    suspended: list[str] = Field(default_factory=list)  # holds found at a planned departure (the plan stopped)
    departed_at: datetime | None = None
    monitoring_until: datetime | None = None
    check_ins: list[CheckIn] = Field(default_factory=list)
    reception: Reception | None = None  # the receiving side's record of the arrival
    ended_at: datetime | None = None
    ended_why: str = ""

    @property
    def in_progress(self) -> bool:
        return self.phase not in (ReturnPhase.BACK_TO_PROTECTION, ReturnPhase.ENDED)
