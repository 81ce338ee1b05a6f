"""The challenge of a negative Stage 1 or Stage 2 decision (DOMAIN.md sections 1 and 4): reconsideration by the
review panel, then a judicial appeal, then a final negative that still owes support.

A negative decision opens a window (an obligation of the person's advocate, with reminders and an escalation) in
which an allowed role may request reconsideration; where the policy has the review panel confirm negative
decisions of that stage first, the decision is provisional (no letter, no window) until the panel upholds it,
and one it sets aside takes the positive path; after it closes unused, only a request on new evidence is
accepted, where the policy allows it, and recorded late. The panel decides within its own deadline: overturned
takes the positive path of the stage (a presumed victim from the panel's decision, or a confirmed victim); upheld
opens a window to lodge an appeal, or is final where the policy has no appeal. A judgment allowed is as
overturned, remitted sends the stage back to the competent authority with a new deadline, dismissed is final once
the policy's levels of appeal are used. While anything is pending removal stays suspended; a final negative owes
a vulnerability assessment and an onward referral, and only once both are recorded may removal stop being
suspended.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import permits
from domain.case import (
    CaseState,
    Challenge,
    ChallengePhase,
    DecisionRecord,
    JudgmentOutcome,
    Obligation,
    ObligationKind,
    ReviewOutcome,
    RRExtension,
    Stage,
)
from domain.deadlines import new_obligation
from domain.errors import InvalidRequest, WrongStage
from domain.notices import Message, decision_letter
from domain.requests import AppealRequest, JudgmentRequest, ReconsiderationRequest, ReviewRequest
from domain.roles import Act, Role
from domain.rules import (
    authorize_act,
    check_language,
    fulfil,
    owe,
    presume_victim,
    record,
    require_reasons,
)
from domain.text import EVIDENCE_MAX, REASONS_MAX, REFERENCE_MAX, check_text, check_written, is_written

REMITTED_REASON = "Stage 2 remitted by the court: decided again within the policy's time, removal stays suspended"
FINAL_SUPPORT = (ObligationKind.VULNERABILITY_ASSESSMENT, ObligationKind.ONWARD_REFERRAL)
NEGATIVE_STAGES = (Stage.STAGE1_NEGATIVE, Stage.STAGE2_NEGATIVE)


def _window(state: CaseState, kind: ObligationKind, within: timedelta, now: datetime) -> Obligation:
    owner = state.policy.appeals.window_owner(is_child=state.is_child)
    ob = new_obligation(kind, owner, start=now, due=now + within, ob_id=state.next_obligation_id(kind))
    owe(state, ob, now)
    return ob


def open_challenge(state: CaseState, stage: int, now: datetime) -> list[Message]:
    """A negative decision of `stage` was just recorded; removal stays suspended. It is issued (its letter sent,
    the reconsideration window open) unless the policy has the review panel confirm it first."""
    state.removal_suspended = True
    if stage in state.policy.appeals.panel_confirms:
        review = _panel_review(state, now)
        state.challenge = Challenge(
            stage=stage, phase=ChallengePhase.PANEL_CONFIRMATION, since=now, obligation_id=review.id
        )
        return []
    _issue(state, stage, now)
    return [decision_letter(state)]


def _issue(state: CaseState, stage: int, now: datetime) -> None:
    ob = _window(state, ObligationKind.RECONSIDERATION_REQUEST, state.policy.appeals.reconsideration_window, now)
    state.challenge = Challenge(
        stage=stage, phase=ChallengePhase.RECONSIDERATION_WINDOW, since=now, obligation_id=ob.id
    )


def _panel_review(state: CaseState, now: datetime) -> Obligation:
    """The review panel owes its decision within the policy's time."""
    kind = ObligationKind.RECONSIDERATION_REVIEW
    due = now + state.policy.appeals.review_due
    review = new_obligation(kind, Role.REVIEW_PANEL, start=now, due=due, ob_id=state.next_obligation_id(kind))
    owe(state, review, now)
    return review


def _challenge(state: CaseState, what: str, *phases: ChallengePhase) -> Challenge:
    challenge = state.challenge
    if challenge is None or challenge.phase not in phases:
        now_in = f"{state.stage.value}" + (f", {challenge.phase.value}" if challenge else "")
        needed = " or ".join(p.value for p in phases)
        raise WrongStage(f"{what} is not possible: case {state.reference} is {now_in} (needs {needed})")
    return challenge


def _current(state: CaseState, challenge: Challenge) -> Obligation:
    assert challenge.obligation_id is not None
    return state.obligations[challenge.obligation_id]


def _authorize_challenger(state: CaseState, act: Act, request: ReconsiderationRequest | AppealRequest) -> None:
    allowed = state.policy.appeals.challengers(is_child=state.is_child)
    authorize_act(state, act, request.actor, only=allowed)


# ---- reconsideration ----------------------------------------------------------------------------------------


def check_reconsideration(state: CaseState, request: ReconsiderationRequest, now: datetime) -> None:
    what = "a reconsideration request"
    _authorize_challenger(state, Act.REQUEST_RECONSIDERATION, request)
    challenge = _challenge(state, what, ChallengePhase.RECONSIDERATION_WINDOW, ChallengePhase.FINAL)
    require_reasons(request.reasons, what)
    check_text(request.evidence, "the evidence summary", EVIDENCE_MAX)
    window = _current(state, challenge) if challenge.obligation_id else None
    closed = challenge.phase is ChallengePhase.FINAL or (window is not None and now >= window.due_at)
    if challenge.phase is ChallengePhase.FINAL and not challenge.window_lapsed:
        raise WrongStage(
            f"{what} is not possible: the negative decision in case {state.reference} is final after "
            "reconsideration or appeal"
        )
    if not closed:
        return
    until = f" closed at {window.due_at.isoformat()}" if window else " has closed"
    if not state.policy.appeals.late_on_new_evidence:
        raise InvalidRequest(
            f"the reconsideration window of case {state.reference}{until}; policy {state.policy.label} accepts "
            "no request after it"
        )
    if not request.new_evidence:
        raise InvalidRequest(
            f"the reconsideration window of case {state.reference}{until}: a request now needs new evidence "
            "(--new-evidence, with the evidence summarised)"
        )
    check_written(request.evidence, "the evidence summary", EVIDENCE_MAX, "a request on new evidence")


def apply_reconsideration(state: CaseState, request: ReconsiderationRequest, now: datetime) -> list[Message]:
    challenge = state.challenge
    assert challenge is not None
    window = state.obligations.get(challenge.obligation_id or "")
    late = challenge.phase is ChallengePhase.FINAL or (window is not None and now >= window.due_at)
    record(
        state,
        Act.REQUEST_RECONSIDERATION,
        "requested late, on new evidence" if late else "requested",
        request.actor,
        now,
        stage=challenge.stage,
        reasons=request.reasons.strip(),
        evidence=request.evidence.strip(),
        late=late,
    )
    if window is not None and window.is_open:
        fulfil(state, window.id, request.actor, now)
    if challenge.phase is ChallengePhase.FINAL:
        state.stage = Stage.STAGE1_NEGATIVE if challenge.stage == 1 else Stage.STAGE2_NEGATIVE
        state.removal_suspended = True
    review = _panel_review(state, now)
    challenge.phase = ChallengePhase.RECONSIDERATION
    challenge.since = now
    challenge.obligation_id = review.id
    return []


def check_review(state: CaseState, request: ReviewRequest) -> None:
    what = "a review panel's decision"
    authorize_act(state, Act.RECORD_REVIEW, request.actor)
    _challenge(state, what, ChallengePhase.RECONSIDERATION, ChallengePhase.PANEL_CONFIRMATION)
    require_reasons(request.reasons, what)
    check_text(request.evidence, "the evidence summary", EVIDENCE_MAX)
    check_language(request.informed_in)


def apply_review(state: CaseState, request: ReviewRequest, now: datetime) -> list[Message]:
    challenge = state.challenge
    assert challenge is not None
    record(
        state,
        Act.RECORD_REVIEW,
        request.outcome.value,
        request.actor,
        now,
        stage=challenge.stage,
        reasons=request.reasons.strip(),
        evidence=request.evidence.strip(),
        informed_in=request.informed_in,
    )
    fulfil(state, _current(state, challenge).id, request.actor, now)
    if request.outcome is ReviewOutcome.OVERTURNED:
        return _overturned(state, challenge, now)
    if challenge.phase is ChallengePhase.PANEL_CONFIRMATION:  # confirmed: the negative decision is issued now
        _issue(state, challenge.stage, now)
        return [decision_letter(state, of=_stage_decision(state, challenge.stage))]
    return _appeal_or_final(state, challenge, now)


def _stage_decision(state: CaseState, stage: int) -> DecisionRecord:
    act = (Act.STAGE1_DECISION if stage == 1 else Act.STAGE2_DECISION).value
    return next(d for d in reversed(state.decisions) if d.act == act)


def _appeal_or_final(state: CaseState, challenge: Challenge, now: datetime) -> list[Message]:
    """After an upheld review or a dismissed appeal: the next level's window while the policy has one, else final."""
    appeals = state.policy.appeals
    if challenge.appeals_lodged < appeals.appeal_levels and appeals.appeal_window is not None:
        _open_appeal_window(state, challenge, appeals.appeal_window, now)
    else:
        _final_negative(state, challenge, now)
    return [decision_letter(state)]


def _overturned(state: CaseState, challenge: Challenge, now: datetime) -> list[Message]:
    """The negative decision set aside: the stage's positive path from now."""
    if challenge.stage == 1:
        provisions = presume_victim(state, now)
        return [decision_letter(state), *provisions]
    owed = permits.confirm_victim(state, now)
    return [decision_letter(state), *owed]


def _open_appeal_window(state: CaseState, challenge: Challenge, within: timedelta, now: datetime) -> None:
    ob = _window(state, ObligationKind.APPEAL_LODGING, within, now)
    challenge.phase = ChallengePhase.APPEAL_WINDOW
    challenge.since = now
    challenge.obligation_id = ob.id


def _final_negative(state: CaseState, challenge: Challenge, now: datetime) -> None:
    """Nothing left to challenge: support does not just stop. Removal stays suspended until the vulnerability
    assessment and the onward referral are recorded."""
    state.stage = Stage.FINAL_NEGATIVE
    challenge.phase = ChallengePhase.FINAL
    challenge.since = now  # obligation_id keeps the window that lapsed, if one did
    due = now + state.policy.appeals.final_support_due
    for kind in FINAL_SUPPORT:
        if state.open_obligation(kind) is None:
            owe(
                state,
                new_obligation(kind, Role.COORDINATOR, start=now, due=due, ob_id=state.next_obligation_id(kind)),
                now,
            )


def release_removal(state: CaseState) -> None:
    """After a final negative, removal stops being suspended once the support it owes has been recorded."""
    if state.stage is Stage.FINAL_NEGATIVE and all(state.open_obligation(k) is None for k in FINAL_SUPPORT):
        state.removal_suspended = False


def window_closed(state: CaseState, ob_id: str, now: datetime) -> bool:
    """A window's due time passed (its breach and escalation are recorded by domain.deadlines): if it is still
    unused it closes, and the next step follows (a final negative). True if the case changed."""
    ob = state.obligations[ob_id]
    challenge = state.challenge
    if not ob.kind.is_window or ob.fulfilled_at is not None or ob.lapsed or now < ob.due_at or challenge is None:
        return False
    ob.lapsed = True
    ob.recorded_at = now
    ob.evidence = "window closed unused"
    if challenge.obligation_id != ob.id:
        return True
    if ob.kind is ObligationKind.RECONSIDERATION_REQUEST:
        challenge.window_lapsed = True
    _final_negative(state, challenge, now)
    return True


# ---- judicial appeal ----------------------------------------------------------------------------------------


def check_appeal(state: CaseState, request: AppealRequest, now: datetime) -> None:
    what = "an appeal"
    _authorize_challenger(state, Act.LODGE_APPEAL, request)
    appeals = state.policy.appeals
    phases = [ChallengePhase.APPEAL_WINDOW]
    if appeals.appeal_directly and appeals.has_appeal:
        phases.append(ChallengePhase.RECONSIDERATION_WINDOW)
    challenge = _challenge(state, what, *phases)
    require_reasons(request.reasons, what)
    check_text(request.court, "the court", REFERENCE_MAX)
    window = _current(state, challenge)
    if now >= window.due_at:
        raise InvalidRequest(
            f"the window to lodge an appeal in case {state.reference} closed at {window.due_at.isoformat()}"
        )


def apply_appeal(state: CaseState, request: AppealRequest, now: datetime) -> list[Message]:
    challenge = state.challenge
    assert challenge is not None
    record(
        state,
        Act.LODGE_APPEAL,
        "lodged",
        request.actor,
        now,
        stage=challenge.stage,
        reasons=request.reasons.strip(),
        court=request.court.strip(),
    )
    fulfil(state, _current(state, challenge).id, request.actor, now)
    challenge.phase = ChallengePhase.APPEAL
    challenge.since = now
    challenge.obligation_id = None
    challenge.appeals_lodged += 1
    return []


def check_judgment(state: CaseState, request: JudgmentRequest, now: datetime) -> None:
    what = "a judgment"
    authorize_act(state, Act.RECORD_JUDGMENT, request.actor)
    challenge = _challenge(state, what, ChallengePhase.APPEAL)
    check_text(request.court, "the court", REFERENCE_MAX)
    if not is_written(request.court):
        raise InvalidRequest("a judgment needs the court's name")
    check_text(request.judgment_ref, "the judgment reference", REFERENCE_MAX)
    if not is_written(request.judgment_ref):
        raise InvalidRequest("a judgment needs the judgment's reference")
    check_text(request.reasons, "reasons", REASONS_MAX)
    check_language(request.informed_in)
    if request.decided_on > now.date():
        raise InvalidRequest(f"the date of the judgment, {request.decided_on.isoformat()}, is in the future")
    if request.decided_on < challenge.since.date():
        raise InvalidRequest(
            f"the date of the judgment, {request.decided_on.isoformat()}, is before the appeal was lodged "
            f"({challenge.since.date().isoformat()})"
        )


def apply_judgment(state: CaseState, request: JudgmentRequest, now: datetime) -> list[Message]:
    challenge = state.challenge
    assert challenge is not None
    record(
        state,
        Act.RECORD_JUDGMENT,
        request.outcome.value,
        request.actor,
        now,
        stage=challenge.stage,
        reasons=request.reasons.strip(),
        informed_in=request.informed_in,
        court=request.court.strip(),
        judgment_ref=request.judgment_ref.strip(),
        decided_on=request.decided_on,
    )
    if request.outcome is JudgmentOutcome.ALLOWED:
        return _overturned(state, challenge, now)
    if request.outcome is JudgmentOutcome.REMITTED:
        _remit(state, challenge, now)
        return [decision_letter(state)]
    return _appeal_or_final(state, challenge, now)


def _remit(state: CaseState, challenge: Challenge, now: datetime) -> None:
    """The court sent the stage back: the competent authority decides it again by a new deadline."""
    state.challenge = None
    state.removal_suspended = True
    if challenge.stage == 1:
        kind, due = ObligationKind.STAGE1_DECISION, now + state.stage1_due_after()
        state.stage = Stage.STAGE1_PENDING
    else:
        kind, due = ObligationKind.STAGE2_DECISION, now + state.policy.appeals.stage2_redecision_due
        state.stage = Stage.PRESUMED_VICTIM
        rr = state.rr
        if rr is not None and rr.end < due:  # Stage 2 falls due at the end of R&R: the period runs on until then
            rr.extensions.append(
                RRExtension(previous_end=rr.end, new_end=due, at=now, automatic=True, reasons=REMITTED_REASON)
            )
            rr.end = due
    ob = new_obligation(kind, Role.COMPETENT_AUTHORITY, start=now, due=due, ob_id=state.next_obligation_id(kind))
    state.obligations[ob.id] = ob
