"""Statistics of the life of a case (starter.audit.stats): sex crossed with age as the case now treats the person
(women, men, girls, boys), age disputes and their outcomes, missing reports and closures by reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from pydantic import BaseModel

from domain.case import AgeFinding, ChallengeSubject, ClosureReason, LinkKind, ReviewOutcome
from domain.requests import (
    AgeAssessmentRequest,
    AgeDisputeRequest,
    CloseRequest,
    FoundRequest,
    LinkRequest,
    MissingRequest,
    OpenCase,
    ReconsiderationRequest,
    ReviewRequest,
)
from domain.roles import Act as ActName
from domain.roles import Actor, Role
from starter.audit.facts import Act, CaseFacts
from starter.audit.stats import EARLIER_CASE, NO_OTHER_CASE, RETRAFFICKED, record, records, tabulate
from tests.integration.helpers import COORDINATOR, FIRST_RESPONDER
from tests.unit.builders import OSCE, T0, referral

SUPPORT = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
CP = Actor(role=Role.CHILD_PROTECTION, id="cp-1")
GA = Actor(role=Role.GUARDIAN_ADVOCATE, id="ga-1")
PANEL = Actor(role=Role.REVIEW_PANEL, id="rp-1")


def facts(child: bool = False, sex: str = "female", *acts: tuple[ActName, BaseModel]) -> CaseFacts:
    opening = OpenCase(
        reference="NRM-0000-0001", referral=referral(child, sex=sex), policy=OSCE, opened_by=FIRST_RESPONDER
    )
    done = [
        Act(T0 + timedelta(hours=i + 1), name.value, request.model_dump(mode="json"))
        for i, (name, request) in enumerate(acts)
    ]
    return CaseFacts("NRM-0000-0001", opening, T0, acts=done)


def test_sex_crossed_with_age_as_now_and_the_age_disputes() -> None:
    assert record(facts(sex="female"), T0).sex_age == "women"
    assert record(facts(True, "male"), T0).sex_age == "boys"
    disputed = record(
        facts(
            False,
            "female",
            (ActName.DISPUTE_AGE, AgeDisputeRequest(actor=SUPPORT, reasons="school records")),
            (ActName.RECORD_AGE_ASSESSMENT, AgeAssessmentRequest(actor=CP, outcome=AgeFinding.INCONCLUSIVE)),
            (ActName.DISPUTE_AGE, AgeDisputeRequest(actor=SUPPORT, reasons="again")),
        ),
        T0 + timedelta(days=1),
    )
    assert (disputed.sex_age, disputed.age_group) == ("girls", "child")  # a child while the dispute is pending
    assert disputed.age_disputes == ["inconclusive", "pending"]
    found = facts(
        False,
        "male",
        (ActName.DISPUTE_AGE, AgeDisputeRequest(actor=SUPPORT, reasons="looks 15")),
        (ActName.RECORD_AGE_ASSESSMENT, AgeAssessmentRequest(actor=CP, outcome=AgeFinding.ADULT)),
    )
    challengeable = record(found, T0 + timedelta(days=1))  # its reconsideration window (30 days) still open
    assert (challengeable.sex_age, challengeable.age_disputes) == ("boys", ["adult"])
    assert challengeable.adult_age_findings == ["not challenged"]
    final = record(found, T0 + timedelta(days=32))  # the window closed unused: the adult finding is final
    assert (final.sex_age, final.age_disputes) == ("men", ["adult"])
    overturned = facts(
        False,
        "male",
        (ActName.DISPUTE_AGE, AgeDisputeRequest(actor=SUPPORT, reasons="looks 15")),
        (ActName.RECORD_AGE_ASSESSMENT, AgeAssessmentRequest(actor=CP, outcome=AgeFinding.ADULT)),
        (ActName.REQUEST_RECONSIDERATION, ReconsiderationRequest(actor=GA, reasons="wrong", of=ChallengeSubject.AGE)),
        (ActName.RECORD_REVIEW, ReviewRequest(actor=PANEL, outcome=ReviewOutcome.OVERTURNED, of=ChallengeSubject.AGE)),
    )
    later = record(overturned, T0 + timedelta(days=40))
    assert (later.sex_age, later.adult_age_findings) == ("boys", ["challenged: overturned"])
    assert later.reconsideration_outcomes == ["not requested"]  # no identification decision was challenged


def test_missing_reports_and_closures_by_reason() -> None:
    missing = MissingRequest(actor=SUPPORT)
    assert record(facts(), T0).missing == "never reported missing"
    assert record(facts(False, "female", (ActName.REPORT_MISSING, missing)), T0).missing == "missing now"
    found = facts(
        False, "female", (ActName.REPORT_MISSING, missing), (ActName.REPORT_FOUND, FoundRequest(actor=SUPPORT))
    )
    assert record(found, T0).missing == "reported missing, found"
    close = CloseRequest(actor=COORDINATOR, reason=ClosureReason.LEFT_COUNTRY)
    assert record(facts(False, "female", (ActName.CLOSE_CASE, close)), T0).closure == "left_country"
    assert record(facts(), T0).closure == "open"
    stats = tabulate([record(facts(), T0)] * 6, period_from=T0, period_to=T0)
    tables = {t.dimension: t.cells for t in stats.tables}
    assert tables["sex_age"] == {"women": 6} and tables["closure"] == {"open": 6}


def test_each_person_referred_again_is_counted_once_even_when_an_earlier_case_holds_no_link_back() -> None:
    def linked(reference: str, *kinds_refs: tuple[LinkKind, str]) -> CaseFacts:
        requests = [LinkRequest(actor=FIRST_RESPONDER, kind=k, reference=r) for k, r in kinds_refs]
        case = facts(False, "female", *[(ActName.LINK_CASE, r) for r in requests])
        return replace(case, reference=reference)

    first = linked("NRM-0000-0001")  # closed when the person was referred again: no link back
    second = linked("NRM-0000-0002", (LinkKind.RETRAFFICKING_OF, first.reference))
    third = linked(
        "NRM-0000-0003",
        (LinkKind.RETRAFFICKING_OF, first.reference),
        (LinkKind.RETRAFFICKING_OF, second.reference),
    )
    alone = linked("NRM-0000-0004")
    got = [r.retrafficking for r in records([first, second, third, alone], T0)]
    assert got == [EARLIER_CASE, EARLIER_CASE, RETRAFFICKED, NO_OTHER_CASE]
    assert [r.retrafficking for r in records([second], T0)] == [RETRAFFICKED]  # its earlier case outside the set
