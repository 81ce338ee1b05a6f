"""What each human act requires (`check_*`, run by the Update validators) and what it changes (`apply_*`).

`check_*` must refuse everything that `apply_*` cannot carry out, with a message fit for the command line, so
that a refused act writes nothing to the case history. `apply_*` changes the state and returns the messages the
act causes (letters, assessment requests): the workflow sends them, so side effects start in one place.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import age, appeals, children, lifecycle, links, permits
from domain.case import (
    AssessmentRecord,
    CaseState,
    DecisionRecord,
    Obligation,
    ObligationKind,
    Outcome,
    RRExtension,
    Stage,
)
from domain.deadlines import move_due, new_obligation
from domain.entry import refer
from domain.errors import InvalidRequest, NotAuthorized
from domain.notices import Message, decision_letter
from domain.requests import AssessRequest, ConsentRequest, DecisionRequest, ExtendRRRequest, OpenCase, ProvideRequest
from domain.roles import Act, Actor, authorize
from domain.rules import (
    authorize_act,
    check_language,
    fulfil,
    open_decision,
    owe,
    presume_victim,
    record,
    require_reasons,
    require_stage,
)
from domain.text import (
    EVIDENCE_MAX,
    REFERENCE_MAX,
    SUMMARY_MAX,
    check_text,
    is_written,
    quote,
)

DATE_HORIZON = timedelta(days=10 * 365)  # no deadline of a case lies further ahead than this


def _check_when_in_range(when: datetime, now: datetime, what: str) -> None:
    """A date an act names lies within the horizon any deadline of a case can have (no year 9999)."""
    if when.tzinfo is not None and when > now + DATE_HORIZON:
        raise InvalidRequest(f"{what}, {when:%Y-%m-%d}, is more than {DATE_HORIZON.days // 365} years ahead")


def open_case(request: OpenCase, now: datetime) -> tuple[CaseState, list[Message]]:
    """The case as the referral opens it, and the messages its opening sends (a child's assessment requests);
    `now` is when the case was opened (its workflow's start), from which every deadline of the referral counts."""
    referral = request.referral
    state = CaseState(
        reference=request.reference,
        policy=request.policy,
        referral=referral,
        is_child=referral.is_child,
        opened_at=now,
        opened_by=request.opened_by,
        stage=Stage.OUTSIDE_NRM,
    )
    if request.dependent_of is not None:
        links.dependent_of(state, request.dependent_of, request.opened_by, now)
    messages = refer(state, now) if referral.enters_nrm else []
    if referral.age_disputed:
        messages += age.dispute(state, now)
    return state, messages


def check_consent(state: CaseState, request: ConsentRequest) -> None:
    authorize_act(state, Act.RECORD_CONSENT, request.actor)
    check_text(request.note, "the note", EVIDENCE_MAX)
    require_stage(state, "recording consent to referral", Stage.OUTSIDE_NRM)


def apply_consent(state: CaseState, request: ConsentRequest, now: datetime) -> list[Message]:
    state.decisions.append(
        DecisionRecord(
            act=Act.RECORD_CONSENT.value, outcome="consent given", actor=request.actor, at=now, reasons=request.note
        )
    )
    return refer(state, now)


def _check_decision(state: CaseState, act: Act, request: DecisionRequest, what: str, pending: Stage) -> None:
    authorize_act(state, act, request.actor)
    require_stage(state, what, pending)
    lifecycle.check_referral_consent(state, what)
    require_reasons(request.reasons, what)
    check_text(request.evidence, "the evidence summary", EVIDENCE_MAX)
    check_language(request.informed_in)


def _record_decision(state: CaseState, act: Act, request: DecisionRequest, now: datetime) -> None:
    record(
        state,
        act,
        request.outcome.value,
        request.actor,
        now,
        reasons=request.reasons.strip(),
        evidence=request.evidence.strip(),
        informed_in=request.informed_in,
        child_views=request.child_views.strip(),
    )


def check_stage1(state: CaseState, request: DecisionRequest) -> None:
    _check_decision(state, Act.STAGE1_DECISION, request, "a Stage 1 decision", Stage.STAGE1_PENDING)
    children.check_stage1(state)
    children.check_child_views(state, request.child_views, "a Stage 1 decision")


def apply_stage1(state: CaseState, request: DecisionRequest, now: datetime) -> list[Message]:
    _record_decision(state, Act.STAGE1_DECISION, request, now)
    fulfil(state, open_decision(state, ObligationKind.STAGE1_DECISION).id, request.actor, now)
    if request.outcome is Outcome.NEGATIVE:
        state.stage = Stage.STAGE1_NEGATIVE
        return appeals.open_challenge(state, 1, now)
    provisions = presume_victim(state, now)
    return [decision_letter(state), *provisions]


def check_stage2(state: CaseState, request: DecisionRequest, now: datetime) -> None:
    _check_decision(state, Act.STAGE2_DECISION, request, "a Stage 2 decision", Stage.PRESUMED_VICTIM)
    children.check_child_views(state, request.child_views, "a Stage 2 decision")
    rr = state.rr
    if (
        request.outcome is Outcome.NEGATIVE
        and rr is not None
        and now < rr.end
        and not state.policy.stage2.negative_before_rr_end
    ):
        raise InvalidRequest(
            f"a negative Stage 2 decision before the R&R period ends ({rr.end:%Y-%m-%d %H:%M} UTC) would cut the "
            f"person's recovery short; policy {state.policy.label} does not allow it (a positive one may come now)"
        )


def apply_stage2(state: CaseState, request: DecisionRequest, now: datetime) -> list[Message]:
    _record_decision(state, Act.STAGE2_DECISION, request, now)
    fulfil(state, open_decision(state, ObligationKind.STAGE2_DECISION).id, request.actor, now)
    if request.outcome is Outcome.POSITIVE:
        owed = permits.confirm_victim(state, now)
        return [decision_letter(state), *owed]
    state.stage = Stage.STAGE2_NEGATIVE
    return appeals.open_challenge(state, 2, now)


def check_extend_rr(state: CaseState, request: ExtendRRRequest) -> None:
    authorize_act(state, Act.EXTEND_RR, request.actor)
    require_stage(state, "extending the R&R period", Stage.PRESUMED_VICTIM)
    require_reasons(request.reasons, "an R&R extension")
    if (request.new_end is None) == (request.extend_by is None):
        raise InvalidRequest("an R&R extension needs either a new end date or a duration to extend by, not both")
    if request.new_end is not None and request.new_end.tzinfo is None:
        raise InvalidRequest("the new R&R end needs a time zone (e.g. 2026-12-31T00:00:00Z)")
    assert state.rr is not None
    longest = state.policy.rr.max_extension
    if (request.extend_by is not None and request.extend_by > longest) or (
        request.new_end is not None and request.new_end - state.rr.end > longest
    ):
        raise InvalidRequest(
            f"an R&R extension is at most {_days(longest)} at a time under policy {state.policy.label}"
        )
    new_end = extended_end(state, request)
    if new_end <= state.rr.end:
        raise InvalidRequest(
            f"the new R&R end {new_end.isoformat()} is not after the current end {state.rr.end.isoformat()}"
        )


def extended_end(state: CaseState, request: ExtendRRRequest) -> datetime:
    assert state.rr is not None
    if request.new_end is not None:
        return request.new_end
    assert request.extend_by is not None
    return state.rr.end + request.extend_by


def apply_extend_rr(state: CaseState, request: ExtendRRRequest, now: datetime) -> list[Message]:
    rr = state.rr
    assert rr is not None
    new_end = extended_end(state, request)
    rr.extensions.append(
        RRExtension(
            previous_end=rr.end,
            new_end=new_end,
            at=now,
            automatic=False,
            actor=request.actor,
            reasons=request.reasons.strip(),
        )
    )
    rr.end = new_end
    if state.policy.stage2_tied:  # Stage 2 is due at the end of the period; a limit of its own stays put
        move_due(open_decision(state, ObligationKind.STAGE2_DECISION), new_end, from_time=now)
    return []


# ---- provisions and assessments -----------------------------------------------------------------------------


def _owed(state: CaseState, kind_text: str) -> Obligation:
    """The open obligation of that kind, or a refusal that says which ones the case does owe."""
    open_kinds = ", ".join(o.kind.value for o in state.open_obligations) or "none"
    try:
        kind = ObligationKind(kind_text)
    except ValueError:
        raise InvalidRequest(
            f"unknown obligation kind {quote(kind_text)} (open in case {state.reference}: {open_kinds})"
        ) from None
    ob = state.open_obligation(kind)
    if ob is None:
        raise InvalidRequest(f"case {state.reference} has no open {kind.value} obligation (open: {open_kinds})")
    return ob


def _check_owner(ob: Obligation, actor: Actor, act: Act) -> None:
    authorize(act, actor, stage1_delegated=False)
    if actor.role is not ob.owner_role:
        raise NotAuthorized(
            f"role {actor.role.value} may not record {ob.kind.value}: it is owed by {ob.owner_role.value}"
        )


def _check_when(ob: Obligation, when: datetime, now: datetime, what: str) -> None:
    if when.tzinfo is None:
        raise InvalidRequest(f"the time {what} was done needs a time zone (e.g. 2026-11-20T10:00:00Z)")
    if when > now:
        raise InvalidRequest(f"the time {what} was done, {when.isoformat()}, is in the future")
    if when < ob.created_at:
        raise InvalidRequest(
            f"the time {what} was done, {when.isoformat()}, is before the obligation existed "
            f"({ob.created_at.isoformat()})"
        )


def check_provide(state: CaseState, request: ProvideRequest, now: datetime) -> None:
    ob = _owed(state, request.kind)
    if ob.kind.recorded_by:
        by = "a decision" if ob.kind.is_decision else "an act of its own"
        raise InvalidRequest(f"{ob.kind.value} is recorded by {by}: use `{ob.kind.recorded_by}`")
    if ob.kind.is_assessment:
        raise InvalidRequest(f"{ob.kind.value} is an assessment: record its result with `nrm case assess`")
    _check_owner(ob, request.actor, Act.PROVIDE)
    _check_when(ob, request.when or now, now, ob.kind.value)
    check_text(request.evidence, "the evidence note", EVIDENCE_MAX)
    check_text(request.not_needed_reason, "the reason it is not needed", EVIDENCE_MAX)
    if is_written(request.not_needed_reason):
        if not ob.waivable:
            raise InvalidRequest(f"the policy does not allow recording {ob.kind.value} as not needed")
        if request.evidence.strip():
            raise InvalidRequest("give either an evidence note or a reason it is not needed, not both")
    elif not is_written(request.evidence):
        raise InvalidRequest(f"recording {ob.kind.value} needs an evidence note (what was done, reference)")


def apply_provide(state: CaseState, request: ProvideRequest, now: datetime) -> list[Message]:
    ob = _owed(state, request.kind)
    reason = request.not_needed_reason.strip()
    ob.fulfilled_at = request.when or now
    ob.fulfilled_by = request.actor
    ob.recorded_at = now
    ob.waived = bool(reason)
    ob.evidence = reason or request.evidence.strip()
    appeals.release_removal(state)
    return []


def check_assess(state: CaseState, request: AssessRequest, now: datetime) -> None:
    ob = _owed(state, request.kind)
    if not ob.kind.is_assessment:
        raise InvalidRequest(f"{ob.kind.value} is not an assessment: record it with `nrm case provide`")
    _check_owner(ob, request.actor, Act.RECORD_ASSESSMENT)
    result = request.result
    _check_when(ob, result.completed_at, now, "the assessment")
    check_text(result.summary, "the assessment's summary", SUMMARY_MAX)
    check_text(result.document, "the document reference", REFERENCE_MAX)
    if not is_written(result.summary):
        raise InvalidRequest("an assessment result needs a summary")
    _check_when_in_range(result.next_review, now, "the date of next review")
    if result.next_review.tzinfo is None:
        raise InvalidRequest("the date of next review needs a time zone (e.g. 2027-02-01T00:00:00Z)")
    if result.next_review <= now:
        raise InvalidRequest(f"the date of next review, {result.next_review.isoformat()}, is not in the future")
    longest = state.policy.max_review_interval(ob.kind)
    if longest is not None and result.next_review - result.completed_at > longest:
        raise InvalidRequest(
            f"the date of next review, {result.next_review.isoformat()}, is later than the policy allows: "
            f"{ob.kind.value} is reviewed at most {_days(longest)} after the assessment"
        )


def _days(span: timedelta) -> str:
    return f"{span.days} days" if span.days else f"{int(span.total_seconds())} seconds"


def apply_assess(state: CaseState, request: AssessRequest, now: datetime) -> list[Message]:
    """Fulfil the assessment and owe its next review (requested from the assessor at once)."""
    ob = _owed(state, request.kind)
    result = request.result
    ob.fulfilled_at = result.completed_at
    ob.fulfilled_by = request.actor
    ob.recorded_at = now
    ob.evidence = result.summary.strip()
    number = sum(1 for o in state.obligations.values() if o.kind is ob.kind) + 1
    review = new_obligation(
        ob.kind, ob.owner_role, start=now, due=result.next_review, ob_id=f"{ob.kind.value}#{number}"
    )
    messages = owe(state, review, now)
    state.assessments.append(
        AssessmentRecord(
            kind=ob.kind,
            obligation_id=ob.id,
            actor=request.actor,
            completed_at=result.completed_at,
            recorded_at=now,
            summary=result.summary.strip(),
            document=result.document.strip(),
            next_review=result.next_review,
            next_obligation_id=review.id,
        )
    )
    appeals.release_removal(state)  # a child's best-interests assessment after a final negative
    return messages
