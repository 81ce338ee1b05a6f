"""The audit of a permit refusal challenged (starter.audit.compliance, starter.audit.stats), from the acts alone: its
window and review judged by rules of their own, the permit owed again after the refusal was set aside, and nothing
of it read as an identification decision's challenge."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from domain.case import ChallengeSubject, ReviewOutcome
from domain.permit_records import PermitAction, PermitGround
from domain.requests import OpenCase, PermitRequest, ReconsiderationRequest, ReviewRequest
from domain.roles import Act as ActName
from domain.roles import Actor, Role
from starter.audit.compliance import Status, evaluate
from starter.audit.facts import Act, CaseFacts
from starter.audit.stats import record
from tests.integration.helpers import FIRST_RESPONDER, decision
from tests.unit.builders import OSCE, T0, referral

OFFICER = Actor(role=Role.IMMIGRATION_AUTHORITY, id="ia-1")
SUPPORT = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
PANEL = Actor(role=Role.REVIEW_PANEL, id="rp-1")
PERMIT = ChallengeSubject.PERMIT
RULES = OSCE.permits
assert RULES is not None


def facts(*acts: tuple[datetime, ActName, BaseModel]) -> CaseFacts:
    opening = OpenCase(reference="NRM-0000-0001", referral=referral(False), policy=OSCE, opened_by=FIRST_RESPONDER)
    done = [Act(at, name.value, request.model_dump(mode="json")) for at, name, request in acts]
    return CaseFacts("NRM-0000-0001", opening, T0, acts=done)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def refused_and_set_aside(*later: tuple[datetime, ActName, BaseModel]) -> CaseFacts:
    return facts(
        (day(1), ActName.STAGE1_DECISION, decision()),
        (day(40), ActName.STAGE2_DECISION, decision()),
        (day(45), ActName.PERMIT_DECISION, PermitRequest(actor=OFFICER, action=PermitAction.REFUSE, reasons="no")),
        (day(50), ActName.REQUEST_RECONSIDERATION, ReconsiderationRequest(actor=SUPPORT, reasons="yes", of=PERMIT)),
        (day(60), ActName.RECORD_REVIEW, ReviewRequest(actor=PANEL, outcome=ReviewOutcome.OVERTURNED, of=PERMIT)),
        *later,
    )


def test_a_refusal_set_aside_owes_the_permit_again_judged_from_the_review() -> None:
    pending = {f.rule: f for f in evaluate(refused_and_set_aside(), day(61)).findings}
    assert pending["reconsideration_request.permit"].status is Status.MET
    assert pending["reconsideration_review.permit"].status is Status.MET
    assert pending["residence_permit"].status is Status.MET  # decided (refused) within its limit
    again = pending["residence_permit.owed_again"]
    assert again.status is Status.PENDING and again.due_at == day(60) + RULES.issue_within
    assert pending["reconsideration_request"].status is Status.NOT_APPLICABLE  # no identification challenge
    grant = PermitRequest(
        actor=OFFICER, action=PermitAction.GRANT, grounds=[PermitGround.COOPERATION], valid_until=day(300)
    )
    renewal_refused = PermitRequest(actor=OFFICER, action=PermitAction.REFUSE, reasons="grounds ended")
    later = refused_and_set_aside(
        (day(70), ActName.PERMIT_DECISION, grant), (day(290), ActName.PERMIT_DECISION, renewal_refused)
    )
    found = {f.rule: f for f in evaluate(later, day(291)).findings}
    assert found["residence_permit.owed_again"].status is Status.MET
    assert found["permit_renewal.residence"].status is Status.MET  # the renewal refused before expiry
    person = record(later, day(291))
    assert person.permits == ["residence refused", "residence granted: cooperation", "renewal refused"]
    assert person.permit_refusals == ["challenged: overturned", "not challenged"]
    assert (person.reconsideration_outcomes, person.stage2_outcome) == (["not requested"], "positive")
