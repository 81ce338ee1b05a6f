"""The challenge of a negative Stage 1 or Stage 2 decision (DOMAIN.md sections 1 and 4), and the entry to every
challenge act: `request.of` names what is challenged, the identification decision when it names nothing
(domain.challenges holds the shape all challenges share; domain.age and domain.permits their own outcomes).

Where the policy has the review panel confirm negative decisions of a stage first, the decision is provisional (no
letter, no window) until the panel upholds it, and one it sets aside takes the positive path. Overturned takes the
positive path of the stage (a presumed victim from the panel's decision, or a confirmed victim); remitted sends the
stage back to the competent authority with a new deadline. While anything is pending removal stays suspended; a
final negative owes a vulnerability assessment and an onward referral, and only once both are recorded may removal
stop being suspended.
"""

from __future__ import annotations

from datetime import datetime

from domain import age, challenges, permits
from domain.case import (
    CaseState,
    Challenge,
    ChallengePhase,
    ChallengeSubject,
    DecisionRecord,
    ObligationKind,
    ReviewOutcome,
    RRExtension,
    Stage,
)
from domain.challenges import Outcomes
from domain.deadlines import new_obligation
from domain.notices import Message, decision_letter
from domain.requests import AppealRequest, JudgmentRequest, ReconsiderationRequest, ReviewRequest
from domain.roles import Act, Role
from domain.rules import owe, presume_victim

REMITTED_REASON = "Stage 2 remitted by the court: decided again within the policy's time, removal stays suspended"
FINAL_SUPPORT = (ObligationKind.VULNERABILITY_ASSESSMENT, ObligationKind.ONWARD_REFERRAL)
NEGATIVE_STAGES = (Stage.STAGE1_NEGATIVE, Stage.STAGE2_NEGATIVE)


def open_challenge(state: CaseState, stage: int, now: datetime) -> list[Message]:
    """A negative decision of `stage` was just recorded; removal stays suspended. It is issued (its letter sent,
    the reconsideration window open) unless the policy has the review panel confirm it first."""
    state.removal_suspended = True
    subject = ChallengeSubject.of_stage(stage)
    if stage in state.policy.appeals.panel_confirms:
        review = challenges.panel_review(state, now)
        state.challenge = Challenge(
            subject=subject, phase=ChallengePhase.PANEL_CONFIRMATION, since=now, obligation_id=review.id
        )
        return []
    challenges.issue(state, subject, now)
    return [decision_letter(state)]


def _stage_decision(state: CaseState, stage: int) -> DecisionRecord:
    act = (Act.STAGE1_DECISION if stage == 1 else Act.STAGE2_DECISION).value
    return next(d for d in reversed(state.decisions) if d.act == act)


def _overturned(state: CaseState, challenge: Challenge, now: datetime) -> list[Message]:
    """The negative decision set aside: the stage's positive path from now (the caller sends its letter)."""
    if challenge.stage == 1:
        return presume_victim(state, now)
    return permits.confirm_victim(state, now)


def _final_negative(state: CaseState, challenge: Challenge, now: datetime) -> list[Message]:
    """Nothing left to challenge: support does not just stop. Removal stays suspended until the vulnerability
    assessment and the onward referral are recorded."""
    state.stage = Stage.FINAL_NEGATIVE
    due = now + state.policy.appeals.final_support_due
    for kind in FINAL_SUPPORT:
        if state.open_obligation(kind) is None:
            owe(
                state,
                new_obligation(kind, Role.COORDINATOR, start=now, due=due, ob_id=state.next_obligation_id(kind)),
                now,
            )
    bia = ObligationKind.BEST_INTERESTS_ASSESSMENT
    if state.is_child and state.open_obligation(bia) is None:  # a child's next steps, whatever the outcome
        owner = next((i.owner for i in state.policy.children.from_entry if i.kind is bia), Role.CHILD_PROTECTION)
        owe(state, new_obligation(bia, owner, start=now, due=due, ob_id=state.next_obligation_id(bia)), now)
    return []


def _remit(state: CaseState, challenge: Challenge, now: datetime) -> list[Message]:
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
    return []


def _reopened(state: CaseState, challenge: Challenge) -> None:
    """A late request on new evidence against a final negative: the negative is open again, removal suspended."""
    state.stage = Stage.STAGE1_NEGATIVE if challenge.stage == 1 else Stage.STAGE2_NEGATIVE
    state.removal_suspended = True


IDENTIFICATION = Outcomes(overturned=_overturned, final=_final_negative, remitted=_remit, reopened=_reopened)
OUTCOMES = {
    ChallengeSubject.STAGE1: IDENTIFICATION,
    ChallengeSubject.STAGE2: IDENTIFICATION,
    ChallengeSubject.AGE: age.CHALLENGE,
    ChallengeSubject.PERMIT: permits.CHALLENGE,
}


def _final_support_recorded(state: CaseState) -> bool:
    """The vulnerability assessment and the onward referral recorded; for a child also a best-interests assessment
    recorded since the final negative (the guardian advocate stays)."""
    if any(state.open_obligation(k) is not None for k in FINAL_SUPPORT):
        return False
    since = state.challenge.since if state.challenge else None
    return not state.is_child or any(
        o.kind is ObligationKind.BEST_INTERESTS_ASSESSMENT
        and o.recorded_at is not None
        and since
        and o.recorded_at >= since
        for o in state.obligations.values()
    )


def release_removal(state: CaseState) -> None:
    """After a final negative, removal stops being suspended once the support it owes has been recorded."""
    if state.stage is Stage.FINAL_NEGATIVE and _final_support_recorded(state):
        state.removal_suspended = False


def window_closed(state: CaseState, ob_id: str, now: datetime) -> list[Message]:
    """A window's due time passed (its breach and escalation are recorded by domain.deadlines): if it is still
    unused it closes, and when it is a challenge's current window the decision challenged is final."""
    ob = state.obligations[ob_id]
    if not ob.kind.is_window or ob.fulfilled_at is not None or ob.lapsed or now < ob.due_at:
        return []
    ob.lapsed = True
    ob.recorded_at = now
    ob.evidence = "window closed unused"
    challenge = next((c for c in state.all_challenges if c.obligation_id == ob.id), None)
    if challenge is None or challenge.phase is ChallengePhase.FINAL:
        return []
    return challenges.window_closed(state, challenge, OUTCOMES[challenge.subject], ob)


# ---- the acts: what is challenged, then the shared shape ----------------------------------------------------


def _subject(state: CaseState, of: ChallengeSubject | None) -> ChallengeSubject:
    """What an act challenges: as named, else the identification decision challenged (Stage 1 if none is)."""
    if of is not None:
        return of
    return state.challenge.subject if state.challenge is not None else ChallengeSubject.STAGE1


def check_reconsideration(state: CaseState, request: ReconsiderationRequest, now: datetime) -> None:
    challenges.check_reconsideration(state, _subject(state, request.of), request, now)


def apply_reconsideration(state: CaseState, request: ReconsiderationRequest, now: datetime) -> list[Message]:
    subject = _subject(state, request.of)
    return challenges.apply_reconsideration(state, subject, OUTCOMES[subject], request, now)


def check_review(state: CaseState, request: ReviewRequest) -> None:
    challenges.check_review(state, _subject(state, request.of), request)


def apply_review(state: CaseState, request: ReviewRequest, now: datetime) -> list[Message]:
    subject = _subject(state, request.of)
    challenge = state.challenge_of(subject)
    assert challenge is not None
    confirming = challenge.phase is ChallengePhase.PANEL_CONFIRMATION
    if not confirming or request.outcome is ReviewOutcome.OVERTURNED:
        return challenges.apply_review(state, subject, OUTCOMES[subject], request, now)
    challenges.record_review(state, challenge, request, now)
    challenges.issue(state, subject, now)  # confirmed: the negative decision is issued now
    stage = challenge.stage
    assert stage is not None
    return [decision_letter(state, of=_stage_decision(state, stage))]


def check_appeal(state: CaseState, request: AppealRequest, now: datetime) -> None:
    challenges.check_appeal(state, _subject(state, request.of), request, now)


def apply_appeal(state: CaseState, request: AppealRequest, now: datetime) -> list[Message]:
    return challenges.apply_appeal(state, _subject(state, request.of), request, now)


def check_judgment(state: CaseState, request: JudgmentRequest, now: datetime) -> None:
    challenges.check_judgment(state, _subject(state, request.of), request, now)


def apply_judgment(state: CaseState, request: JudgmentRequest, now: datetime) -> list[Message]:
    subject = _subject(state, request.of)
    return challenges.apply_judgment(state, subject, OUTCOMES[subject], request, now)
