"""Voluntary return: the person's informed decision, a pre-return risk assessment, a plan behind the holds, the
departure, and reintegration monitoring (Guiding Principles on return, 001 L478-535, L850-858; DOMAIN.md §6).

A return is never a side effect of a decision: it starts only with the person's own request. The holds
(domain.holds) are checked when the return is planned, at the departure itself, and again at the planned time by
the case's alarm (`departure_check`): a hold found then stops the plan. A risk found by the pre-return assessment
sends the person back to protection; that is not a failure, and it is itself a hold. Monitoring is voluntary:
check-ins are owed only while the person consents to it, each an obligation of the receiving side's support
provider, reminded and escalated like any other.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from domain.case import CaseState, Obligation, ObligationKind
from domain.consent import ConsentPurpose
from domain.deadlines import new_obligation
from domain.errors import InvalidRequest, WrongStage
from domain.holds import departure_holds
from domain.notices import Message, ReturnEvent, ReturnLetter, letter_recipients
from domain.policy import AgeRules, ReturnRules
from domain.referral import Referral
from domain.requests import CheckInRequest, DepartureRequest, ReturnAssessmentRequest, ReturnPlanRequest, ReturnRequest
from domain.return_records import CheckIn, ReturnPhase, ReturnPlan, VoluntaryReturn
from domain.roles import Act, Role
from domain.rules import authorize_act, fulfil, owe
from domain.text import EVIDENCE_MAX, SUMMARY_MAX, check_text, check_written
from domain.times import aged

HORIZON = timedelta(days=2 * 365)  # a departure is planned at most this far ahead
COUNTRY = re.compile(r"^[A-Z]{2}$")
ADVICE_MAX = EVIDENCE_MAX


def _rules(state: CaseState) -> ReturnRules:
    rules = state.policy.returns
    if rules is None:
        raise InvalidRequest(f"policy {state.policy.label} does not track voluntary returns in the case")
    return rules


def current(state: CaseState) -> VoluntaryReturn | None:
    latest = state.returns[-1] if state.returns else None
    return latest if latest is not None and latest.in_progress else None


def _in_phase(state: CaseState, what: str, *phases: ReturnPhase) -> VoluntaryReturn:
    ret = current(state)
    if ret is None or ret.phase not in phases:
        now = f"its return is {ret.phase.value}" if ret else "no return is requested"
        needed = " or ".join(p.value for p in phases)
        raise WrongStage(f"{what} is not possible: in case {state.reference} {now} (needs {needed})")
    return ret


def _owe(state: CaseState, kind: ObligationKind, owner: Role, start: datetime, due: datetime) -> Obligation:
    ob = new_obligation(kind, owner, start=start, due=due, ob_id=state.next_obligation_id(kind))
    owe(state, ob, start)
    return ob


def _refuse_holds(state: CaseState, what: str, now: datetime) -> None:
    found = departure_holds(state, now)
    if found:
        raise WrongStage(f"{what} is refused while holds apply: " + "; ".join(h.text for h in found))


# ---- the request ------------------------------------------------------------------------------------------


def check_request(state: CaseState, request: ReturnRequest, now: datetime) -> None:
    authorize_act(state, Act.REQUEST_RETURN, request.actor)
    _rules(state)
    if current(state) is not None:
        raise WrongStage(f"case {state.reference} has a voluntary return in progress already")
    check_written(request.legal_advice, "the legal advice", ADVICE_MAX, "a voluntary return request")
    if not COUNTRY.match(request.destination):
        raise InvalidRequest("the destination is a country code of two capital letters (ISO 3166, e.g. RO)")
    if not request.informed_of_options:
        raise InvalidRequest(
            "a voluntary return needs the person informed of every option (return, remain, a third country) and of "
            "the situation in the country of return"
        )
    if state.is_child and not request.guardian_consulted:
        raise InvalidRequest("a child's return needs both the child and the guardian informed and consulted")
    if request.decided_on > now.date() or request.decided_on < state.opened_at.date():
        raise InvalidRequest(f"the date of the person's decision, {request.decided_on}, is not within the case")


def apply_request(state: CaseState, request: ReturnRequest, now: datetime) -> list[Message]:
    rules = _rules(state)
    assessment = new_obligation(
        ObligationKind.PRE_RETURN_RISK_ASSESSMENT,
        rules.assessed_by,
        start=now,
        due=now + rules.assessment_within,
        ob_id=state.next_obligation_id(ObligationKind.PRE_RETURN_RISK_ASSESSMENT),
    )
    state.returns.append(
        VoluntaryReturn(
            number=len(state.returns) + 1,
            requested_at=now,
            requested_by=request.actor,
            decided_on=request.decided_on,
            reflection_days=request.reflection_days,
            legal_advice=request.legal_advice.strip(),
            destination=request.destination,
            monitoring=request.monitoring,
            phase=ReturnPhase.REQUESTED,
            assessment_id=assessment.id,
        )
    )
    return [*owe(state, assessment, now), _letter(state, ReturnEvent.REQUESTED, now)]


def _letter(state: CaseState, event: ReturnEvent, now: datetime, reasons: list[str] | None = None) -> ReturnLetter:
    ret = state.returns[-1]
    plan = ret.plan
    recipients, language, to_guardian, by_hand = letter_recipients(state)
    return ReturnLetter(
        key=f"{state.reference}/return-{ret.number}/{event.value}-{len(ret.suspended)}",
        reference=state.reference,
        recipients=recipients,
        language=language,
        to_guardian=to_guardian,
        by_hand=by_hand,
        event=event,
        decided_at=now,
        departure_at=plan.departure_at if plan else None,
        route=plan.route if plan else "",
        escort=plan.escort if plan else "",
        reception=plan.reception if plan else "",
        reasons=reasons or [],
    )


# ---- the pre-return risk assessment -----------------------------------------------------------------------


def check_assessment(state: CaseState, request: ReturnAssessmentRequest) -> None:
    authorize_act(state, Act.ASSESS_RETURN, request.actor)
    ret = _in_phase(state, "recording the pre-return risk assessment", ReturnPhase.REQUESTED)
    owner = state.obligations[ret.assessment_id].owner_role
    if request.actor.role is not owner:
        raise InvalidRequest(f"the pre-return risk assessment is owed by {owner.value}")
    check_written(request.summary, "the summary", SUMMARY_MAX, "a pre-return risk assessment")
    if not request.covers_family:
        raise InvalidRequest(
            "a pre-return risk assessment covers the family: their safety and any part they had in the trafficking"
        )


def apply_assessment(state: CaseState, request: ReturnAssessmentRequest, now: datetime) -> list[Message]:
    ret = _in_phase(state, "recording the pre-return risk assessment", ReturnPhase.REQUESTED)
    fulfil(state, ret.assessment_id, request.actor, now)
    state.obligations[ret.assessment_id].evidence = "risk found" if request.risk_found else "no risk found"
    ret.risk_found, ret.assessment = request.risk_found, request.summary.strip()
    if request.risk_found:
        _end(ret, ReturnPhase.BACK_TO_PROTECTION, now, "a risk was found: the person stays in protection")
        return [_letter(state, ReturnEvent.RISK_FOUND, now)]
    ret.phase = ReturnPhase.ASSESSED
    rules = _rules(state)
    _owe(state, ObligationKind.RETURN_PLAN, Role.COORDINATOR, now, now + rules.plan_within)
    return []


# ---- the plan and the departure ---------------------------------------------------------------------------


def check_plan(state: CaseState, request: ReturnPlanRequest, now: datetime) -> None:
    authorize_act(state, Act.PLAN_RETURN, request.actor)
    _in_phase(state, "planning the return", ReturnPhase.ASSESSED, ReturnPhase.PLANNED)
    for text, field in (
        (request.route, "the route"),
        (request.escort, "the escort"),
        (request.reception, "the reception"),
    ):
        check_text(text, field, EVIDENCE_MAX)
    check_written(request.reception, "the reception", EVIDENCE_MAX, "a return plan (who receives the person)")
    if not now < request.departure_at <= now + HORIZON:
        raise InvalidRequest(
            f"the planned departure, {request.departure_at:%Y-%m-%d %H:%M}, is not in the next two years"
        )
    if request.coordinate and not state.consents_to(ConsentPurpose.DATA_SHARING):
        raise InvalidRequest(
            "the receiving country may be contacted only with the person's consent to data sharing (withdrawn)"
        )
    _refuse_holds(state, "planning the return", now)


def apply_plan(state: CaseState, request: ReturnPlanRequest, now: datetime) -> list[Message]:
    ret = _in_phase(state, "planning the return", ReturnPhase.ASSESSED, ReturnPhase.PLANNED)
    if ret.plan is not None:  # a new plan replaces the old one and its departure
        _close(state, ret.plan.departure_id, now, "replaced by a new plan")
    elif (planned := state.open_obligation(ObligationKind.RETURN_PLAN)) is not None:
        fulfil(state, planned.id, request.actor, now)
    departure = _owe(state, ObligationKind.RETURN_DEPARTURE, Role.COORDINATOR, now, request.departure_at)
    ret.plan = ReturnPlan(
        departure_at=request.departure_at,
        route=request.route.strip(),
        escort=request.escort.strip(),
        reception=request.reception.strip(),
        travel_documents=request.travel_documents,
        care_confirmed=request.care_confirmed,
        coordinated=request.coordinate,
        planned_at=now,
        planned_by=request.actor,
        departure_id=departure.id,
    )
    ret.phase = ReturnPhase.PLANNED
    return [_letter(state, ReturnEvent.PLANNED, now)]


def departure_check(state: CaseState, ob_id: str, now: datetime) -> list[Message]:
    """At the planned departure (the departure obligation's due time): a hold found then stops the plan, which
    must be made again once the holds are gone; the departure window closes unused (not a breach: nobody failed)
    and the person is told why."""
    ret = current(state)
    ob = state.obligations[ob_id]
    if (
        ret is None
        or ret.plan is None
        or ob.kind is not ObligationKind.RETURN_DEPARTURE
        or ret.plan.departure_id != ob_id
    ):
        return []
    found = [h.text for h in departure_holds(state, now)]
    if not found:
        return []
    ret.suspended += found
    _close(state, ob_id, now, "stopped at the planned departure: " + "; ".join(found))
    letter = _letter(state, ReturnEvent.STOPPED, now, found)
    ret.plan, ret.phase = None, ReturnPhase.ASSESSED
    return [letter]


def check_departure(state: CaseState, request: DepartureRequest, now: datetime) -> None:
    authorize_act(state, Act.RECORD_DEPARTURE, request.actor)
    ret = _in_phase(state, "recording the departure", ReturnPhase.PLANNED)
    assert ret.plan is not None
    when = request.departed_at or now
    if when > now or when < ret.plan.planned_at:
        raise InvalidRequest(f"the departure, {when:%Y-%m-%d %H:%M}, is in the future or before the plan was made")
    check_text(request.note, "the note", EVIDENCE_MAX)
    _refuse_holds(state, "the departure", now)


def apply_departure(state: CaseState, request: DepartureRequest, now: datetime) -> list[Message]:
    ret = _in_phase(state, "recording the departure", ReturnPhase.PLANNED)
    assert ret.plan is not None
    rules = _rules(state)
    fulfil(state, ret.plan.departure_id, request.actor, request.departed_at or now)
    state.obligations[ret.plan.departure_id].recorded_at = now
    ret.departed_at = request.departed_at or now
    state.removal_suspended = False  # the person has left, by their own decision
    if ret.plan.coordinated:  # the receiving side knows the person is coming: it confirms the arrival
        due = ret.departed_at + rules.reception_within
        _owe(state, ObligationKind.RETURN_RECEPTION, rules.checked_in_by, ret.departed_at, due)
    if not (ret.monitoring and state.consents_to(ConsentPurpose.MONITORING)):
        _end(ret, ReturnPhase.ENDED, now, "departed; no reintegration monitoring (the person did not want it)")
        return []
    ret.phase = ReturnPhase.MONITORING
    ret.monitoring_until = monitoring_end(state.referral, state.policy.age, ret.departed_at, rules, state.is_child)
    _next_check_in(state, ret, ret.departed_at, now)
    return []


def monitoring_end(
    referral: Referral, age: AgeRules, departed_at: datetime, rules: ReturnRules, child: bool
) -> datetime:
    """When reintegration monitoring may end: the policy's least period after departure; a child's not before
    coming of age (the policy's majority, counted as the case counts it), when the date of birth is known."""
    end = departed_at + rules.monitoring_at_least
    born = referral.person.date_of_birth
    if not child or born is None:
        return end
    return max(end, aged(born, age.majority, to_month=age.counted_by_month))


# ---- reintegration monitoring -----------------------------------------------------------------------------


def _next_check_in(state: CaseState, ret: VoluntaryReturn, since: datetime, now: datetime) -> None:
    """The next check-in by the schedule (monthly, then quarterly: the policy's intervals, the last repeated), or
    the end of monitoring once its period is over."""
    rules = _rules(state)
    assert ret.monitoring_until is not None
    schedule = rules.check_in_every
    interval = schedule[min(len(ret.check_ins), len(schedule) - 1)]
    due = since + interval
    if due > ret.monitoring_until:
        _end(ret, ReturnPhase.ENDED, now, "reintegration monitoring completed")
        return
    _owe(state, ObligationKind.REINTEGRATION_CHECK_IN, rules.checked_in_by, now, due)


def check_check_in(state: CaseState, request: CheckInRequest, now: datetime) -> None:
    authorize_act(state, Act.RECORD_CHECK_IN, request.actor)
    departed = _in_phase(state, "recording a check-in", ReturnPhase.MONITORING).departed_at
    if state.open_obligation(ObligationKind.REINTEGRATION_CHECK_IN) is None:
        raise WrongStage(f"case {state.reference} owes no check-in now")
    check_written(request.summary, "the summary", SUMMARY_MAX, "a check-in")
    when = request.when or now
    if when > now or (departed is not None and when < departed):
        raise InvalidRequest(
            f"the check-in, {when:%Y-%m-%d %H:%M}, is in the future or before the departure it follows"
        )


def apply_check_in(state: CaseState, request: CheckInRequest, now: datetime) -> list[Message]:
    ret = _in_phase(state, "recording a check-in", ReturnPhase.MONITORING)
    ob = state.open_obligation(ObligationKind.REINTEGRATION_CHECK_IN)
    assert ob is not None
    when = request.when or now
    fulfil(state, ob.id, request.actor, when)
    ob.recorded_at = now
    ret.check_ins.append(
        CheckIn(
            obligation_id=ob.id,
            at=when,
            by=request.actor,
            summary=request.summary.strip(),
            retrafficking=request.retrafficking,
        )
    )
    if request.retrafficking:
        _end(ret, ReturnPhase.ENDED, now, "a re-trafficking indicator at a check-in: protection re-opens")
        rules = state.policy.appeals
        _owe(state, ObligationKind.ONWARD_REFERRAL, Role.COORDINATOR, now, now + rules.final_support_due)
        return []
    _next_check_in(state, ret, ob.due_at, now)
    return []


def consent_withdrawn(state: CaseState, purpose: ConsentPurpose, now: datetime) -> None:
    """Monitoring stops in one step when the person withdraws consent to it: no check-in is owed any more."""
    ret = current(state)
    if purpose is not ConsentPurpose.MONITORING or ret is None or ret.phase is not ReturnPhase.MONITORING:
        return
    for ob in state.open_obligations:
        if ob.kind is ObligationKind.REINTEGRATION_CHECK_IN:
            _close(state, ob.id, now, "consent to monitoring withdrawn")
    _end(ret, ReturnPhase.ENDED, now, "consent to monitoring withdrawn")


def _close(state: CaseState, ob_id: str, now: datetime, why: str) -> None:
    """An obligation no longer owed (never fulfilled): its window closes, the reason kept."""
    ob = state.obligations[ob_id]
    ob.lapsed, ob.evidence, ob.recorded_at = True, why, now


def _end(ret: VoluntaryReturn, phase: ReturnPhase, now: datetime, why: str) -> None:
    ret.phase, ret.ended_at, ret.ended_why = phase, now, why
