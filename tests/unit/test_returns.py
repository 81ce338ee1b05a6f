"""Voluntary return (domain.returns) behind its holds (domain.holds), on the shipped OSCE model."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain import alarms, lifecycle, permits, proceedings, reception, returns, transitions
from domain.case import CaseState, ClosureReason, ObligationKind
from domain.consent import ConsentPurpose
from domain.errors import DomainError, InvalidRequest, NotAuthorized, WrongStage
from domain.holds import HoldKind, departure_holds
from domain.notices import CaseEvent, CaseEventKind, ReturnEvent, ReturnLetter
from domain.permit_records import PermitAction, PermitGround
from domain.proceeding_records import ProceedingKind
from domain.requests import (
    CheckInRequest,
    CloseRequest,
    ConsentWithdrawalRequest,
    DepartureRequest,
    PermitRequest,
    ProceedingRequest,
    ReceptionRequest,
    ReturnAssessmentRequest,
    ReturnPlanRequest,
    ReturnRequest,
)
from domain.return_records import ReturnPhase
from domain.roles import Actor, Role
from tests.integration.helpers import decision
from tests.unit.builders import OSCE, T0, opened, referral

ADVOCATE = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
COORDINATOR = Actor(role=Role.COORDINATOR, id="co-1")
ABROAD = Actor(role=Role.RECEIVING_SUPPORT, id="rs-1")
RULES = OSCE.returns
assert RULES is not None
CONFIRMED_AT = T0 + timedelta(days=100)


def confirmed(child: bool = False, **referral: object) -> CaseState:
    """A confirmed victim who holds a residence permit: nothing holds a departure the person chooses."""
    state = opened(child=child, **referral)
    transitions.apply_stage1(state, decision(), T0)
    transitions.apply_stage2(state, decision(), CONFIRMED_AT)
    grant = PermitRequest(
        actor=Actor(role=Role.IMMIGRATION_AUTHORITY, id="ia-1"),
        action=PermitAction.GRANT,
        grounds=[PermitGround.BEST_INTERESTS if child else PermitGround.COOPERATION],
        valid_until=CONFIRMED_AT + timedelta(days=365),
    )
    permits.apply_permit(state, grant, CONFIRMED_AT)
    return state


def ask(**extra: object) -> ReturnRequest:
    data: dict[str, object] = {
        "actor": ADVOCATE,
        "decided_on": (CONFIRMED_AT + timedelta(days=1)).date(),
        "destination": "RO",
        "legal_advice": "options and consequences explained by a lawyer",
        "reflection_days": 14,
        "informed_of_options": True,
    }
    return ReturnRequest.model_validate({**data, **extra})


def plan(at: datetime, **extra: object) -> ReturnPlanRequest:
    data: dict[str, object] = {
        "actor": COORDINATOR,
        "departure_at": at,
        "route": "by air",
        "escort": "IOM escort",
        "reception": "IOM office at arrival",
        "travel_documents": True,
    }
    return ReturnPlanRequest.model_validate({**data, **extra})


def assessed(state: CaseState, at: datetime, risk: bool = False) -> list:  # type: ignore[type-arg]
    request = ReturnAssessmentRequest(actor=ADVOCATE, risk_found=risk, summary="family safe", covers_family=True)
    returns.check_assessment(state, request)
    return returns.apply_assessment(state, request, at)


def requested(state: CaseState, at: datetime) -> list:  # type: ignore[type-arg]
    returns.check_request(state, ask(), at)
    return returns.apply_request(state, ask(), at)


AT = CONFIRMED_AT + timedelta(days=2)


def test_a_request_owes_the_pre_return_risk_assessment_first_and_tells_the_person() -> None:
    state = confirmed()
    messages = requested(state, AT)
    [ret] = state.returns
    assert ret.phase is ReturnPhase.REQUESTED and ret.destination == "RO" and ret.monitoring
    ob = state.obligations[ret.assessment_id]
    assert (ob.kind, ob.owner_role, ob.due_at) == (
        ObligationKind.PRE_RETURN_RISK_ASSESSMENT,
        Role.SUPPORT_PROVIDER,
        AT + RULES.assessment_within,
    )
    [letter] = [m for m in messages if isinstance(m, ReturnLetter)]
    assert letter.event is ReturnEvent.REQUESTED


@pytest.mark.parametrize(
    ("request_", "error", "text"),
    [
        (ask(legal_advice=""), InvalidRequest, "a voluntary return request needs the legal advice in writing"),
        (ask(destination="Romania"), InvalidRequest, "country code"),
        (ask(informed_of_options=False), InvalidRequest, "informed of every option"),
        (ask(decided_on=date(2020, 1, 1)), InvalidRequest, "not within the case"),
        (ask(actor=Actor(role=Role.COMPETENT_AUTHORITY, id="ca-1")), NotAuthorized, "record a voluntary return"),
    ],
)
def test_a_wrong_request_is_refused_with_its_reason(
    request_: ReturnRequest, error: type[DomainError], text: str
) -> None:
    with pytest.raises(error, match=text):
        returns.check_request(confirmed(), request_, AT)


def test_a_childs_request_needs_the_child_and_the_guardian_consulted() -> None:
    state = confirmed(child=True)
    with pytest.raises(InvalidRequest, match="the child and the guardian informed and consulted"):
        returns.check_request(state, ask(), AT)
    returns.check_request(state, ask(guardian_consulted=True), AT)


def test_a_risk_found_sends_the_person_back_to_protection_and_holds_any_return() -> None:
    state = confirmed()
    requested(state, AT)
    [letter] = assessed(state, AT + timedelta(days=1), risk=True)
    assert isinstance(letter, ReturnLetter) and letter.event is ReturnEvent.RISK_FOUND
    [ret] = state.returns
    assert ret.phase is ReturnPhase.BACK_TO_PROTECTION and returns.current(state) is None
    assert [h.kind for h in departure_holds(state, AT + timedelta(days=1))] == [HoldKind.RETURN_RISK]


def test_an_assessment_must_cover_the_family_and_come_from_whoever_owes_it() -> None:
    state = confirmed()
    requested(state, AT)
    with pytest.raises(InvalidRequest, match="covers the family"):
        returns.check_assessment(
            state, ReturnAssessmentRequest(actor=ADVOCATE, risk_found=False, summary="s", covers_family=False)
        )
    with pytest.raises(InvalidRequest, match="owed by support_provider"):
        returns.check_assessment(
            state, ReturnAssessmentRequest(actor=COORDINATOR, risk_found=False, summary="s", covers_family=True)
        )


def test_planning_is_refused_naming_each_hold_that_stops_a_departure() -> None:
    state = opened()
    transitions.apply_stage1(state, decision(), T0)  # presumed victim: Stage 2 pending
    at = T0 + timedelta(days=3)
    returns.apply_request(state, ask(decided_on=at.date()), at)
    assessed(state, at)
    with pytest.raises(WrongStage) as refused:
        returns.check_plan(state, plan(at + timedelta(days=10)), at)
    assert "the Stage 2 decision is pending" in str(refused.value)
    assert "recovery and reflection" not in str(refused.value)  # the R&R bars expulsion, not a chosen departure


def test_a_clean_return_departs_and_is_monitored_monthly_then_quarterly_for_a_year() -> None:
    state = confirmed()
    requested(state, AT)
    assessed(state, AT + timedelta(days=1))
    assert state.open_obligation(ObligationKind.RETURN_PLAN) is not None
    departure = AT + timedelta(days=10)
    returns.check_plan(state, plan(departure), AT + timedelta(days=2))
    [letter] = returns.apply_plan(state, plan(departure), AT + timedelta(days=2))
    assert isinstance(letter, ReturnLetter) and letter.event is ReturnEvent.PLANNED and letter.departure_at == departure
    assert state.open_obligation(ObligationKind.RETURN_PLAN) is None
    returns.check_departure(state, DepartureRequest(actor=COORDINATOR), departure)
    returns.apply_departure(state, DepartureRequest(actor=COORDINATOR), departure)
    [ret] = state.returns
    assert ret.phase is ReturnPhase.MONITORING and ret.monitoring_until == departure + RULES.monitoring_at_least
    dues = []
    while returns.current(state) is not None:
        ob = state.open_obligation(ObligationKind.REINTEGRATION_CHECK_IN)
        assert ob is not None and ob.owner_role is Role.RECEIVING_SUPPORT
        dues.append(ob.due_at)
        check = CheckInRequest(actor=ABROAD, summary="settled, working", when=ob.due_at)
        returns.check_check_in(state, check, ob.due_at)
        returns.apply_check_in(state, check, ob.due_at)
    gaps = [(b - a).days for a, b in zip([departure, *dues], dues, strict=False)]
    assert gaps == [30, 30, 30, 90, 90, 90]  # 360 days: the next (450) would be past the year
    assert ret.phase is ReturnPhase.ENDED and ret.ended_why == "reintegration monitoring completed"


def test_a_missed_check_in_is_reminded_then_escalated() -> None:
    state = confirmed()
    requested(state, AT)
    assessed(state, AT)
    departure = AT + timedelta(days=5)
    returns.apply_plan(state, plan(departure), AT)
    returns.apply_departure(state, DepartureRequest(actor=COORDINATOR), departure)
    ob = state.open_obligation(ObligationKind.REINTEGRATION_CHECK_IN)
    assert ob is not None
    messages = alarms.ring(state, ob.due_at + timedelta(seconds=1))
    mine = [m for m in messages if getattr(m, "obligation_id", None) == ob.id]
    assert [m.kind.value for m in mine] == ["reminder", "reminder", "escalation"]  # type: ignore[union-attr]


def test_holds_at_the_planned_departure_stop_the_plan_without_a_breach() -> None:
    state = confirmed()
    requested(state, AT)
    assessed(state, AT)
    departure = AT + timedelta(days=5)
    returns.apply_plan(state, plan(departure, travel_documents=False), AT)  # documents still awaited
    messages = alarms.ring(state, departure)
    [letter] = [m for m in messages if isinstance(m, ReturnLetter)]
    assert letter.event is ReturnEvent.STOPPED and letter.reasons == ["no travel documents yet"]
    [ret] = state.returns
    assert ret.phase is ReturnPhase.ASSESSED and ret.plan is None and ret.suspended == ["no travel documents yet"]
    ob = state.obligations["return_departure"]
    assert ob.lapsed and not ob.breaches


def test_a_departure_is_refused_while_a_hold_applies() -> None:
    state = confirmed(child=True)
    returns.apply_request(state, ask(guardian_consulted=True), AT)
    assessed(state, AT)
    returns.apply_plan(state, plan(AT + timedelta(days=5)), AT)
    with pytest.raises(WrongStage) as refused:
        returns.check_departure(state, DepartureRequest(actor=COORDINATOR), AT + timedelta(days=5))
    assert "no best-interests assessment is recorded yet" in str(refused.value)
    assert "care arrangements in the country of return are not confirmed" in str(refused.value)


def test_withdrawing_consent_to_monitoring_stops_it_in_one_step() -> None:
    state = confirmed()
    requested(state, AT)
    assessed(state, AT)
    returns.apply_plan(state, plan(AT + timedelta(days=5)), AT)
    returns.apply_departure(state, DepartureRequest(actor=COORDINATOR), AT + timedelta(days=5))
    returns.consent_withdrawn(state, ConsentPurpose.MONITORING, AT + timedelta(days=6))
    [ret] = state.returns
    assert ret.phase is ReturnPhase.ENDED and ret.ended_why == "consent to monitoring withdrawn"
    assert state.open_obligation(ObligationKind.REINTEGRATION_CHECK_IN) is None


def test_a_re_trafficking_indicator_at_a_check_in_re_opens_protection() -> None:
    state = confirmed()
    requested(state, AT)
    assessed(state, AT)
    returns.apply_plan(state, plan(AT + timedelta(days=5)), AT)
    returns.apply_departure(state, DepartureRequest(actor=COORDINATOR), AT + timedelta(days=5))
    check = CheckInRequest(actor=ABROAD, summary="approached by recruiters", retrafficking=True)
    returns.apply_check_in(state, check, AT + timedelta(days=20))
    [ret] = state.returns
    assert ret.phase is ReturnPhase.ENDED and "protection re-opens" in ret.ended_why
    onward = state.open_obligation(ObligationKind.ONWARD_REFERRAL)
    assert onward is not None and onward.owner_role is Role.COORDINATOR


def test_the_consent_withdrawal_act_stops_monitoring_and_a_case_under_return_cannot_be_closed() -> None:
    state = confirmed()
    requested(state, AT)
    close = CloseRequest(actor=COORDINATOR, reason=ClosureReason.SUPPORT_ENDED)
    with pytest.raises(WrongStage, match="while its voluntary return is requested"):
        lifecycle.check_close(state, close)
    assessed(state, AT)
    returns.apply_plan(state, plan(AT + timedelta(days=5)), AT)
    returns.apply_departure(state, DepartureRequest(actor=COORDINATOR), AT + timedelta(days=5))
    withdrawal = ConsentWithdrawalRequest(actor=ADVOCATE, purposes=[ConsentPurpose.MONITORING])
    lifecycle.apply_withdrawal(state, withdrawal, AT + timedelta(days=6))
    assert state.returns[0].ended_why == "consent to monitoring withdrawn"
    lifecycle.check_close(state, close)  # monitoring over: the case may close


def test_a_pending_protection_claim_or_proceedings_needing_the_person_hold_a_departure() -> None:
    state = confirmed()
    lawyer = Actor(role=Role.LEGAL_REPRESENTATIVE, id="lr-1")
    claim = ProceedingRequest(actor=lawyer, kind=ProceedingKind.ASYLUM_CLAIM, reference="AS-2026-77")
    proceedings.check_proceeding(state, claim)
    proceedings.apply_proceeding(state, claim, AT)
    trial = ProceedingRequest(actor=lawyer, kind=ProceedingKind.CRIMINAL, presence_needed=True)
    proceedings.apply_proceeding(state, trial, AT)
    witness = ProceedingRequest(actor=lawyer, kind=ProceedingKind.CIVIL)  # the person's presence not needed
    proceedings.apply_proceeding(state, witness, AT)
    found = departure_holds(state, AT)
    assert [(h.kind, h.source) for h in found] == [
        (HoldKind.PROTECTION_CLAIM, "proceeding 1"),
        (HoldKind.PROCEEDINGS, "proceeding 2"),
    ]
    assert found[0].text == "an asylum claim is pending"
    requested(state, AT)
    assessed(state, AT)
    with pytest.raises(WrongStage, match="an asylum claim is pending; criminal proceedings need the person"):
        returns.check_plan(state, plan(AT + timedelta(days=5)), AT)
    for number in (1, 2):
        ended = ProceedingRequest(actor=lawyer, end=number)
        proceedings.check_proceeding(state, ended)
        proceedings.apply_proceeding(state, ended, AT + timedelta(days=1))
    assert departure_holds(state, AT + timedelta(days=1)) == []
    with pytest.raises(WrongStage, match="ended already"):
        proceedings.check_proceeding(state, ProceedingRequest(actor=lawyer, end=1))
    with pytest.raises(InvalidRequest, match="no claim or proceeding number 9"):
        proceedings.check_proceeding(state, ProceedingRequest(actor=lawyer, end=9))
    with pytest.raises(InvalidRequest, match="presence-needed is for proceedings"):
        proceedings.check_proceeding(state, claim.model_copy(update={"presence_needed": True}))


def test_a_check_in_dated_before_the_departure_or_in_the_future_is_refused() -> None:
    state = confirmed()
    requested(state, AT)
    assessed(state, AT)
    departure = AT + timedelta(days=5)
    returns.apply_plan(state, plan(departure), AT)
    returns.apply_departure(state, DepartureRequest(actor=COORDINATOR), departure)
    for when in (departure - timedelta(days=1), departure + timedelta(days=400)):
        with pytest.raises(InvalidRequest, match="in the future or before the departure"):
            returns.check_check_in(
                state, CheckInRequest(actor=ABROAD, summary="s", when=when), departure + timedelta(days=1)
            )


def test_a_childs_monitoring_lasts_until_coming_of_age_as_the_case_counts_it() -> None:
    born = referral(person={"date_of_birth": "2010-05-20"}, consent_to_referral=None)
    left = datetime(2026, 6, 11, tzinfo=UTC)
    of_age = datetime(2028, 6, 1, tzinfo=UTC)  # the first of the month after the 18th birthday (domain.majority)
    assert returns.monitoring_end(born, OSCE.age, left, RULES, child=True) == of_age
    assert returns.monitoring_end(born, OSCE.age, left, RULES, child=False) == left + RULES.monitoring_at_least
    assert returns.monitoring_end(referral(), OSCE.age, left, RULES, child=True) == left + RULES.monitoring_at_least


def departed(coordinate: bool, child: bool = False) -> tuple[CaseState, datetime]:
    state = confirmed(child=child)
    requested(state, AT)
    assessed(state, AT)
    returns.apply_plan(state, plan(AT + timedelta(days=5), coordinate=coordinate), AT)
    left = AT + timedelta(days=5)
    returns.apply_departure(state, DepartureRequest(actor=COORDINATOR), left)
    return state, left


def test_the_receiving_side_records_the_reception_where_it_was_contacted() -> None:
    state, left = departed(coordinate=True)
    ob = state.open_obligation(ObligationKind.RETURN_RECEPTION)
    assert ob is not None and (ob.owner_role, ob.window_start, ob.due_at) == (
        Role.RECEIVING_SUPPORT,
        left,
        left + RULES.reception_within,
    )
    with pytest.raises(NotAuthorized, match="role coordinator may not record the reception after a return"):
        reception.check_reception(state, ReceptionRequest(actor=COORDINATOR, summary="met"), left)
    with pytest.raises(InvalidRequest, match="a reception record needs the summary in writing"):
        reception.check_reception(state, ReceptionRequest(actor=ABROAD, summary=" "), left)
    with pytest.raises(InvalidRequest, match="before the departure"):
        early = ReceptionRequest(actor=ABROAD, summary="met", when=left - timedelta(hours=1))
        reception.check_reception(state, early, left + timedelta(hours=2))
    received = ReceptionRequest(actor=ABROAD, summary="met at the airport by IOM", when=left + timedelta(hours=6))
    reception.check_reception(state, received, left + timedelta(hours=8))
    assert reception.apply_reception(state, received, left + timedelta(hours=8)) == []
    assert state.returns[-1].reception is not None and state.returns[-1].reception.received
    assert state.obligations[ob.id].fulfilled_at == left + timedelta(hours=6) and state.missing is None
    with pytest.raises(WrongStage, match="owes no record of a reception"):
        reception.check_reception(state, received, left + timedelta(hours=9))


def test_no_reception_is_owed_where_the_receiving_country_was_not_contacted() -> None:
    state, _ = departed(coordinate=False)
    assert state.open_obligation(ObligationKind.RETURN_RECEPTION) is None


def test_a_person_who_did_not_arrive_is_reported_missing_at_once_and_the_case_stays_open() -> None:
    state, left = departed(coordinate=True)
    close = CloseRequest(actor=COORDINATOR, reason=ClosureReason.LEFT_COUNTRY)
    with pytest.raises(WrongStage, match="record of the reception is awaited"):
        lifecycle.check_close(state, close)
    missing = ReceptionRequest(actor=ABROAD, received=False, summary="not at the arrival point; phone off")
    [event] = reception.apply_reception(state, missing, left + timedelta(days=1))
    assert isinstance(event, CaseEvent) and event.event is CaseEventKind.MISSING
    assert state.missing is not None and state.missing.note == reception.NOT_RECEIVED
    assert state.returns[-1].reception is not None and not state.returns[-1].reception.received
