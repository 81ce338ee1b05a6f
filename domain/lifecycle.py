"""The life of a case besides its decisions: the person missing and found, consent withdrawn.

A missing child is escalated at once to the coordinator and child protection; while anyone is missing every
obligation keeps its deadline but its reminders go to the coordinator (deadlines.reminder_alert). An adult missing
for the policy's `missing.adult_suspended_after` has the case suspended, never closed: it resumes when found. The
suspension is a timed event of the case's one alarm (alarms.MISSING).

Consent is withdrawn per purpose, several in one step, and never taken back by a later act. What depends on it
stops; what protects the person stays (deadlines of support, removal suspended, the R&R period as it stands):
without consent to data sharing no assessment request goes to another agency's system (the assessment stays owed,
its owner reminded); without an adult's consent to referral no identification decision is made any more (the
pending one ends unmade). A child's referral needs no consent and cannot be withdrawn.

A case is closed with a reason (never while a challenge of a negative decision is pending): its workflow ends with
the closing record and stays listable and auditable. Re-opened, it continues as a new run of the same workflow id
with its state, recording who re-opened it and why.
"""

from __future__ import annotations

from datetime import datetime

from domain import returns
from domain.case import CaseState, Closure, ClosureReason, MissingReport, ObligationKind, Reopening, Stage
from domain.consent import ConsentPurpose, ConsentWithdrawal
from domain.errors import InvalidRequest, WrongStage
from domain.notices import CaseEvent, CaseEventKind, Message, Recipients
from domain.requests import CloseRequest, ConsentWithdrawalRequest, FoundRequest, MissingRequest, ReopenRequest
from domain.roles import Act, Role
from domain.rules import authorize_act, record, require_reasons
from domain.status import pending
from domain.text import EVIDENCE_MAX, REASONS_MAX, check_text, check_written


def _told(state: CaseState) -> list[Role]:
    """Who must know at once: the coordinator, and for a child child protection too."""
    coordinator = state.policy.escalation.to_role
    return [coordinator, Role.CHILD_PROTECTION] if state.is_child else [coordinator]


def _event(state: CaseState, event: CaseEventKind, at: datetime) -> CaseEvent:
    return CaseEvent(
        key=f"{state.reference}/missing-{len(state.missing_reports)}/{event.value}",
        reference=state.reference,
        recipients=Recipients(roles=_told(state)),
        event=event,
        at=at,
        is_child=state.is_child,
    )


def check_missing(state: CaseState, request: MissingRequest) -> None:
    authorize_act(state, Act.REPORT_MISSING, request.actor)
    if state.missing is not None:
        raise WrongStage(
            f"the person in case {state.reference} is reported missing already (since "
            f"{state.missing.since:%Y-%m-%d %H:%M} UTC); record `nrm case found` when they are found"
        )
    check_text(request.note, "the note", EVIDENCE_MAX)


def apply_missing(state: CaseState, request: MissingRequest, now: datetime) -> list[Message]:
    state.missing_reports.append(MissingReport(since=now, reported_by=request.actor, note=request.note.strip()))
    return [_event(state, CaseEventKind.MISSING, now)]


def check_found(state: CaseState, request: FoundRequest) -> None:
    authorize_act(state, Act.REPORT_FOUND, request.actor)
    if state.missing is None:
        raise WrongStage(f"the person in case {state.reference} is not reported missing")
    check_text(request.note, "the note", EVIDENCE_MAX)


def apply_found(state: CaseState, request: FoundRequest, now: datetime) -> list[Message]:
    report = state.missing
    assert report is not None
    report.found_at, report.found_by, report.found_note = now, request.actor, request.note.strip()
    return [_event(state, CaseEventKind.FOUND, now)]


def suspension_due(state: CaseState) -> datetime | None:
    """When a missing adult's case is to be suspended, unless it is already (a child's never is)."""
    report = state.missing
    if report is None or report.suspended_at is not None or state.is_child:
        return None
    return report.since + state.policy.missing.adult_suspended_after


def suspend(state: CaseState, at: datetime) -> list[Message]:
    report = state.missing
    assert report is not None
    report.suspended_at = at
    return [_event(state, CaseEventKind.SUSPENDED, at)]


REFERRAL_WITHDRAWN = "consent to referral withdrawn: no identification decision is made"


def check_withdrawal(state: CaseState, request: ConsentWithdrawalRequest) -> None:
    authorize_act(state, Act.WITHDRAW_CONSENT, request.actor)
    check_text(request.reasons, "the reasons", REASONS_MAX)
    if len(set(request.purposes)) < len(request.purposes):
        raise InvalidRequest("each purpose is named once")
    if done := [p.value for p in request.purposes if not state.consents_to(p)]:
        raise WrongStage(f"consent for {', '.join(done)} is withdrawn already in case {state.reference}")
    if ConsentPurpose.REFERRAL in request.purposes:
        if state.is_child:
            raise WrongStage("a child is referred without consent: the referral of a child cannot be withdrawn")
        if state.stage is Stage.OUTSIDE_NRM:
            raise WrongStage(f"case {state.reference} is outside the NRM: consent to referral was never given")


def apply_withdrawal(state: CaseState, request: ConsentWithdrawalRequest, now: datetime) -> list[Message]:
    reasons = request.reasons.strip()
    state.consent_withdrawals += [
        ConsentWithdrawal(purpose=p, at=now, actor=request.actor, reasons=reasons) for p in request.purposes
    ]
    if ConsentPurpose.REFERRAL in request.purposes:
        for ob in state.open_obligations:
            if ob.kind.is_decision:  # the pending decision ends unmade; nothing else the person is owed changes
                ob.lapsed, ob.evidence = True, REFERRAL_WITHDRAWN
    for purpose in request.purposes:
        returns.consent_withdrawn(state, purpose, now)  # monitoring after a return stops in the same step
    return []


def check_referral_consent(state: CaseState, what: str) -> None:
    """An identification decision needs an adult's consent to referral still in force."""
    if not state.is_child and not state.consents_to(ConsentPurpose.REFERRAL):
        raise WrongStage(f"{what} is not possible: the person withdrew consent to referral in case {state.reference}")


def check_close(state: CaseState, request: CloseRequest) -> None:
    authorize_act(state, Act.CLOSE_CASE, request.actor)
    if (open_challenge := pending(state)) is not None:
        raise WrongStage(f"case {state.reference} cannot be closed while {open_challenge.text}")
    if state.open_obligation(ObligationKind.RETURN_RECEPTION) is not None:
        raise WrongStage(
            f"case {state.reference} cannot be closed while the receiving side's record of the reception is awaited"
        )
    if (voluntary_return := returns.current(state)) is not None:
        raise WrongStage(
            f"case {state.reference} cannot be closed while its voluntary return is {voluntary_return.phase.value} "
            "(monitoring ends by its schedule or when the person withdraws consent to it)"
        )
    if request.reason is ClosureReason.OTHER:
        check_written(request.note, "the note", EVIDENCE_MAX, "closing a case for another reason")
    check_text(request.note, "the note", EVIDENCE_MAX)


def apply_close(state: CaseState, request: CloseRequest, now: datetime) -> list[Message]:
    note = request.note.strip()
    state.closures.append(Closure(at=now, by=request.actor, reason=request.reason, note=note))
    record(state, Act.CLOSE_CASE, request.reason.value, request.actor, now, reasons=note)
    return []


def check_not_closed(state: CaseState) -> None:
    if state.is_closed:
        raise WrongStage(f"case {state.reference} is closed: re-open it first with `nrm case reopen`")


def check_reopen(state: CaseState, request: ReopenRequest) -> None:
    authorize_act(state, Act.REOPEN_CASE, request.actor)
    if not state.is_closed:
        raise WrongStage(f"case {state.reference} is open: only a closed case is re-opened")
    require_reasons(request.reasons, "re-opening a case")


def apply_reopen(state: CaseState, request: ReopenRequest, now: datetime) -> None:
    reasons = request.reasons.strip()
    state.reopenings.append(Reopening(at=now, by=request.actor, reasons=reasons))
    record(state, Act.REOPEN_CASE, "reopened", request.actor, now, reasons=reasons)
