"""Who may do what: roles, the actor performing an act, and the authorization table."""

from __future__ import annotations

import enum
import re

from pydantic import BaseModel, field_validator

from domain.errors import InvalidRequest, NotAuthorized
from domain.text import quote


class Role(str, enum.Enum):
    FIRST_RESPONDER = "first_responder"
    COMPETENT_AUTHORITY = "competent_authority"
    COORDINATOR = "coordinator"
    AUDITOR = "auditor"
    SUPPORT_PROVIDER = "support_provider"  # NGO or service provider; the adult's independent advocate
    CHILD_PROTECTION = "child_protection"  # child protection services
    GUARDIAN_ADVOCATE = "guardian_advocate"  # every child's guardian advocate; receives a child's letters
    LEGAL_REPRESENTATIVE = "legal_representative"  # the person's lawyer
    REVIEW_PANEL = "review_panel"  # the multidisciplinary panel that reconsiders a negative decision
    IMMIGRATION_AUTHORITY = "immigration_authority"  # grants, renews and refuses residence permits
    RECEIVING_SUPPORT = "receiving_support_provider"  # support in the country of return: reintegration check-ins


class Act(str, enum.Enum):
    """Every human act on a case. Each is one Temporal Update, except OPEN_CASE (starts the workflow) and
    EXPORT_PERSONAL_DATA (a read by the client library); REOPEN_CASE is the first Update of the run it starts."""

    OPEN_CASE = "open_case"
    RECORD_CONSENT = "record_consent"
    STAGE1_DECISION = "stage1_decision"
    STAGE2_DECISION = "stage2_decision"
    EXTEND_RR = "extend_rr"
    EXPORT_PERSONAL_DATA = "export_personal_data"  # the person's right of access: everything held about them
    PROVIDE = "provide"  # record a provision given (or not needed); owner checked per case
    RECORD_ASSESSMENT = "record_assessment"  # record an assessment's result; owner checked per case
    REQUEST_RECONSIDERATION = "request_reconsideration"  # who may is policy data (appeals.challenged_by)
    RECORD_REVIEW = "record_review"  # the review panel's outcome: upheld or overturned
    LODGE_APPEAL = "lodge_appeal"  # who may is policy data (appeals.challenged_by)
    RECORD_JUDGMENT = "record_judgment"  # the court's judgment: dismissed, allowed or remitted
    PERMIT_DECISION = "permit_decision"  # a residence permit granted, renewed or refused (domain.permits)
    REQUEST_RETURN = "request_return"  # the person's informed decision to return (domain.returns)
    ASSESS_RETURN = "assess_return"  # the pre-return risk assessment's result
    PLAN_RETURN = "plan_return"
    RECORD_DEPARTURE = "record_departure"
    RECORD_CHECK_IN = "record_check_in"  # a reintegration check-in after the return
    RECORD_RECEPTION = "record_reception"  # the receiving side: the person was received on arrival, or was not
    RECORD_PROCEEDING = "record_proceeding"  # a protection claim or proceedings opened or ended (domain.proceedings)
    DISPUTE_AGE = "dispute_age"  # the person's age is in doubt: a child until a final adult finding (domain.age)
    RECORD_AGE_ASSESSMENT = "record_age_assessment"  # the age assessment's result; owner checked per case
    REPORT_MISSING = "report_missing"  # the person is missing (domain.lifecycle)
    REPORT_FOUND = "report_found"  # the person missing is found
    WITHDRAW_CONSENT = "withdraw_consent"  # the person withdraws consent per purpose (domain.consent)
    CLOSE_CASE = "close_case"  # ends the workflow with a closing record
    REOPEN_CASE = "reopen_case"  # starts a closed case again: a new run of its id, with this Update (update-with-start)
    LINK_CASE = "link_case"  # links another case to this one (domain.links)


_ACTOR_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class Actor(BaseModel):
    """The person acting, by role and a staff identifier (never the name of the person in the case)."""

    role: Role
    id: str

    @field_validator("id")
    @classmethod
    def _id_is_an_identifier(cls, value: str) -> str:
        if not _ACTOR_ID.match(value):
            raise ValueError("actor id must be 1-64 letters, digits, '.', '_' or '-'")
        return value

    @classmethod
    def parse(cls, text: str) -> Actor:
        """Parse the `ROLE:ID` form used by `--as` and `NRM_ACTOR`."""
        role, sep, actor_id = text.partition(":")
        if not sep or not actor_id:
            raise InvalidRequest(f"actor must be given as ROLE:ID, e.g. competent_authority:ca-17 (got {quote(text)})")
        try:
            return cls(role=Role(role), id=actor_id)
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            if role not in {r.value for r in Role}:
                raise InvalidRequest(f"unknown role {quote(role)}; roles are: {roles}") from None
            raise InvalidRequest("actor id must be 1-64 letters, digits, '.', '_' or '-'") from None

    def __str__(self) -> str:
        return f"{self.role.value}:{self.id}"


_DESCRIPTIONS: dict[Act, str] = {
    Act.OPEN_CASE: "open a case",
    Act.RECORD_CONSENT: "record consent to referral",
    Act.STAGE1_DECISION: "make a Stage 1 decision",
    Act.STAGE2_DECISION: "make a Stage 2 decision",
    Act.EXTEND_RR: "extend the R&R period",
    Act.EXPORT_PERSONAL_DATA: "export the person's data",
    Act.PROVIDE: "record a provision",
    Act.RECORD_ASSESSMENT: "record an assessment",
    Act.REQUEST_RECONSIDERATION: "request reconsideration",
    Act.RECORD_REVIEW: "record a review panel's decision",
    Act.LODGE_APPEAL: "lodge an appeal",
    Act.RECORD_JUDGMENT: "record a court's judgment",
    Act.PERMIT_DECISION: "decide on a residence permit",
    Act.REQUEST_RETURN: "record a voluntary return request",
    Act.ASSESS_RETURN: "record a pre-return risk assessment",
    Act.PLAN_RETURN: "plan a return",
    Act.RECORD_DEPARTURE: "record a departure",
    Act.RECORD_CHECK_IN: "record a reintegration check-in",
    Act.RECORD_RECEPTION: "record the reception after a return",
    Act.RECORD_PROCEEDING: "record a claim or proceedings",
    Act.DISPUTE_AGE: "dispute the person's age",
    Act.RECORD_AGE_ASSESSMENT: "record an age assessment",
    Act.REPORT_MISSING: "report the person missing",
    Act.REPORT_FOUND: "report the person found",
    Act.WITHDRAW_CONSENT: "record a withdrawal of consent",
    Act.CLOSE_CASE: "close a case",
    Act.REOPEN_CASE: "re-open a case",
    Act.LINK_CASE: "link a case",
}

_STAFF = frozenset(Role) - {Role.AUDITOR}
# who decides, and the receiving side abroad: never a challenger of a decision
_NOT_CHALLENGERS = frozenset(
    {Role.REVIEW_PANEL, Role.COMPETENT_AUTHORITY, Role.IMMIGRATION_AUTHORITY, Role.RECEIVING_SUPPORT}
)

_BASE_TABLE: dict[Act, frozenset[Role]] = {
    Act.OPEN_CASE: frozenset({Role.FIRST_RESPONDER, Role.COORDINATOR, Role.COMPETENT_AUTHORITY}),
    Act.RECORD_CONSENT: frozenset({Role.FIRST_RESPONDER, Role.COORDINATOR}),
    Act.STAGE1_DECISION: frozenset({Role.COMPETENT_AUTHORITY}),
    Act.STAGE2_DECISION: frozenset({Role.COMPETENT_AUTHORITY}),
    Act.EXTEND_RR: frozenset({Role.COMPETENT_AUTHORITY}),
    Act.EXPORT_PERSONAL_DATA: frozenset({Role.COORDINATOR}),
    Act.PROVIDE: _STAFF,
    Act.RECORD_ASSESSMENT: _STAFF,
    # the widest set; each policy names the roles that may challenge a decision (domain.appeals narrows to them)
    Act.REQUEST_RECONSIDERATION: _STAFF - _NOT_CHALLENGERS,
    Act.RECORD_REVIEW: frozenset({Role.REVIEW_PANEL}),
    Act.LODGE_APPEAL: _STAFF - _NOT_CHALLENGERS,
    Act.RECORD_JUDGMENT: frozenset({Role.COORDINATOR, Role.LEGAL_REPRESENTATIVE}),
    Act.PERMIT_DECISION: frozenset({Role.IMMIGRATION_AUTHORITY}),
    Act.REQUEST_RETURN: frozenset(
        {Role.SUPPORT_PROVIDER, Role.COORDINATOR, Role.LEGAL_REPRESENTATIVE, Role.GUARDIAN_ADVOCATE}
    ),
    Act.ASSESS_RETURN: frozenset({Role.SUPPORT_PROVIDER, Role.COORDINATOR}),  # the case checks who owes it
    Act.PLAN_RETURN: frozenset({Role.COORDINATOR}),
    Act.RECORD_DEPARTURE: frozenset({Role.COORDINATOR}),
    Act.RECORD_CHECK_IN: frozenset({Role.RECEIVING_SUPPORT}),
    Act.RECORD_RECEPTION: frozenset({Role.RECEIVING_SUPPORT}),
    Act.RECORD_PROCEEDING: frozenset(
        {Role.COORDINATOR, Role.LEGAL_REPRESENTATIVE, Role.SUPPORT_PROVIDER, Role.IMMIGRATION_AUTHORITY}
    ),
    Act.DISPUTE_AGE: _STAFF - {Role.REVIEW_PANEL},
    Act.RECORD_AGE_ASSESSMENT: _STAFF,
    Act.REPORT_MISSING: _STAFF - {Role.REVIEW_PANEL},
    Act.REPORT_FOUND: _STAFF - {Role.REVIEW_PANEL},
    # whoever the person tells: not the deciding authority nor the panel
    Act.WITHDRAW_CONSENT: _STAFF - {Role.REVIEW_PANEL, Role.COMPETENT_AUTHORITY, Role.IMMIGRATION_AUTHORITY},
    Act.CLOSE_CASE: frozenset({Role.COORDINATOR}),
    Act.REOPEN_CASE: frozenset({Role.COORDINATOR}),
    Act.LINK_CASE: frozenset({Role.FIRST_RESPONDER, Role.COORDINATOR, Role.COMPETENT_AUTHORITY}),  # as OPEN_CASE
}


def allowed_roles(act: Act, *, stage1_delegated: bool) -> frozenset[Role]:
    """The roles that may perform `act`; Stage 1 widens to first responders where the policy delegates it."""
    roles = _BASE_TABLE[act]
    if act is Act.STAGE1_DECISION and stage1_delegated:
        roles = roles | {Role.FIRST_RESPONDER}
    return roles


def authorize(act: Act, actor: Actor, *, stage1_delegated: bool, only: frozenset[Role] | None = None) -> None:
    """Raise NotAuthorized unless the actor's role may perform `act`. Auditors never change a case. `only`
    narrows the table to the roles a policy names for the act."""
    roles = allowed_roles(act, stage1_delegated=stage1_delegated)
    if only is not None:
        roles = roles & only
    if actor.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise NotAuthorized(f"role {actor.role.value} may not {_DESCRIPTIONS[act]}; allowed: {allowed}")
