"""The authorization table: every act against every role, with and without Stage 1 delegation."""

from __future__ import annotations

import itertools

import pytest

from domain.errors import InvalidRequest, NotAuthorized
from domain.roles import Act, Actor, Role, allowed_roles, authorize

FR, CA, CO, AU = Role.FIRST_RESPONDER, Role.COMPETENT_AUTHORITY, Role.COORDINATOR, Role.AUDITOR
STAFF = set(Role) - {AU}  # provide / assess: any staff role here; the case then checks the obligation's owner
IA = Role.IMMIGRATION_AUTHORITY
RS = Role.RECEIVING_SUPPORT
CHALLENGERS = STAFF - {CA, Role.REVIEW_PANEL, IA, RS}  # the widest set; each policy narrows it (domain.appeals)
RETURN_REQUESTERS = {Role.SUPPORT_PROVIDER, CO, Role.LEGAL_REPRESENTATIVE, Role.GUARDIAN_ADVOCATE}

# (act, delegated) -> the roles that may perform it
EXPECTED = {
    (Act.OPEN_CASE, False): {FR, CA, CO},
    (Act.OPEN_CASE, True): {FR, CA, CO},
    (Act.RECORD_CONSENT, False): {FR, CO},
    (Act.RECORD_CONSENT, True): {FR, CO},
    (Act.STAGE1_DECISION, False): {CA},
    (Act.STAGE1_DECISION, True): {CA, FR},
    (Act.STAGE2_DECISION, False): {CA},
    (Act.STAGE2_DECISION, True): {CA},
    (Act.EXTEND_RR, False): {CA},
    (Act.EXTEND_RR, True): {CA},
    (Act.EXPORT_PERSONAL_DATA, False): {CO},
    (Act.EXPORT_PERSONAL_DATA, True): {CO},
    (Act.PROVIDE, False): STAFF,
    (Act.PROVIDE, True): STAFF,
    (Act.RECORD_ASSESSMENT, False): STAFF,
    (Act.RECORD_ASSESSMENT, True): STAFF,
    (Act.REQUEST_RECONSIDERATION, False): CHALLENGERS,
    (Act.REQUEST_RECONSIDERATION, True): CHALLENGERS,
    (Act.RECORD_REVIEW, False): {Role.REVIEW_PANEL},
    (Act.RECORD_REVIEW, True): {Role.REVIEW_PANEL},
    (Act.LODGE_APPEAL, False): CHALLENGERS,
    (Act.LODGE_APPEAL, True): CHALLENGERS,
    (Act.RECORD_JUDGMENT, False): {CO, Role.LEGAL_REPRESENTATIVE},
    (Act.RECORD_JUDGMENT, True): {CO, Role.LEGAL_REPRESENTATIVE},
    (Act.PERMIT_DECISION, False): {IA},
    (Act.PERMIT_DECISION, True): {IA},
    (Act.REQUEST_RETURN, False): RETURN_REQUESTERS,
    (Act.REQUEST_RETURN, True): RETURN_REQUESTERS,
    (Act.ASSESS_RETURN, False): {Role.SUPPORT_PROVIDER, CO},
    (Act.ASSESS_RETURN, True): {Role.SUPPORT_PROVIDER, CO},
    (Act.PLAN_RETURN, False): {CO},
    (Act.PLAN_RETURN, True): {CO},
    (Act.RECORD_DEPARTURE, False): {CO},
    (Act.RECORD_DEPARTURE, True): {CO},
    (Act.RECORD_CHECK_IN, False): {RS},
    (Act.RECORD_CHECK_IN, True): {RS},
    (Act.RECORD_RECEPTION, False): {RS},
    (Act.RECORD_RECEPTION, True): {RS},
    (Act.RECORD_PROCEEDING, False): {CO, Role.LEGAL_REPRESENTATIVE, Role.SUPPORT_PROVIDER, IA},
    (Act.RECORD_PROCEEDING, True): {CO, Role.LEGAL_REPRESENTATIVE, Role.SUPPORT_PROVIDER, IA},
    (Act.DISPUTE_AGE, False): STAFF - {Role.REVIEW_PANEL},
    (Act.DISPUTE_AGE, True): STAFF - {Role.REVIEW_PANEL},
    (Act.RECORD_AGE_ASSESSMENT, False): STAFF,
    (Act.RECORD_AGE_ASSESSMENT, True): STAFF,
    (Act.REPORT_MISSING, False): STAFF - {Role.REVIEW_PANEL},
    (Act.REPORT_MISSING, True): STAFF - {Role.REVIEW_PANEL},
    (Act.REPORT_FOUND, False): STAFF - {Role.REVIEW_PANEL},
    (Act.REPORT_FOUND, True): STAFF - {Role.REVIEW_PANEL},
    (Act.WITHDRAW_CONSENT, False): STAFF - {Role.REVIEW_PANEL, CA, IA},
    (Act.WITHDRAW_CONSENT, True): STAFF - {Role.REVIEW_PANEL, CA, IA},
    (Act.CLOSE_CASE, False): {CO},
    (Act.CLOSE_CASE, True): {CO},
    (Act.REOPEN_CASE, False): {CO},
    (Act.REOPEN_CASE, True): {CO},
    (Act.LINK_CASE, False): {FR, CA, CO},
    (Act.LINK_CASE, True): {FR, CA, CO},
}
DESCRIPTIONS = {
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


def test_the_table_covers_every_act() -> None:
    assert {act for act, _ in EXPECTED} == set(Act)


@pytest.mark.parametrize(("act", "role", "delegated"), list(itertools.product(Act, Role, [False, True])))
def test_every_act_for_every_role(act: Act, role: Role, delegated: bool) -> None:
    allowed = EXPECTED[act, delegated]
    assert allowed_roles(act, stage1_delegated=delegated) == allowed
    actor = Actor(role=role, id="x-1")
    if role in allowed:
        authorize(act, actor, stage1_delegated=delegated)
        return
    with pytest.raises(NotAuthorized) as caught:
        authorize(act, actor, stage1_delegated=delegated)
    names = ", ".join(sorted(r.value for r in allowed))
    assert str(caught.value) == f"role {role.value} may not {DESCRIPTIONS[act]}; allowed: {names}"


def test_an_auditor_can_do_nothing() -> None:
    for act, delegated in EXPECTED:
        with pytest.raises(NotAuthorized):
            authorize(act, Actor(role=AU, id="au-1"), stage1_delegated=delegated)


def test_actor_parses_role_and_id() -> None:
    actor = Actor.parse("competent_authority:ca-17")
    assert (actor.role, actor.id, str(actor)) == (CA, "ca-17", "competent_authority:ca-17")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ca-17", "actor must be given as ROLE:ID, e.g. competent_authority:ca-17 (got 'ca-17')"),
        (
            "competent_authority:",
            "actor must be given as ROLE:ID, e.g. competent_authority:ca-17 (got 'competent_authority:')",
        ),
        (
            "judge:j-1",
            "unknown role 'judge'; roles are: first_responder, competent_authority, coordinator, auditor, "
            "support_provider, child_protection, guardian_advocate, legal_representative, review_panel, "
            "immigration_authority, receiving_support_provider",
        ),
        ("auditor:has space", "actor id must be 1-64 letters, digits, '.', '_' or '-'"),
    ],
)
def test_a_malformed_actor_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        Actor.parse(text)
    assert str(caught.value) == message
