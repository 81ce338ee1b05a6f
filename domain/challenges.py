"""The challenge of a decision against the person, in one shape whatever it is of (`ChallengeSubject`): a negative
Stage 1 or Stage 2 decision (DOMAIN.md section 4), an adult age finding (section 5), a permit refusal (section 6).

The decision opens a window (an obligation of the person's advocate, with reminders and an escalation) in which an
allowed role may request reconsideration; after it closes unused, only a request on new evidence is accepted, where
the policy allows it, and recorded late. The review panel decides within its own deadline: overturned sets the
decision aside; upheld opens a window to lodge an appeal, or is final where the policy has no appeal. A judgment
allowed is as overturned, remitted sends the decision back to be made again, dismissed is final once the policy's
levels of appeal are used. What each end means for the decision challenged is its subject's `Outcomes`
(domain.appeals holds the identification decisions', domain.age the age finding's, domain.permits the refusal's);
windows, deadlines and who may challenge are the policy's appeals section for every subject.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.case import (
    CaseState,
    Challenge,
    ChallengePhase,
    ChallengeSubject,
    JudgmentOutcome,
    Obligation,
    ObligationKind,
    ReviewOutcome,
)
from domain.deadlines import new_obligation
from domain.errors import InvalidRequest, WrongStage
from domain.notices import Message, decision_letter
from domain.requests import AppealRequest, JudgmentRequest, ReconsiderationRequest, ReviewRequest
from domain.roles import Act, Role
from domain.rules import authorize_act, check_language, fulfil, owe, record, require_reasons
from domain.text import EVIDENCE_MAX, REASONS_MAX, REFERENCE_MAX, check_text, check_written, is_written

Step = Callable[[CaseState, Challenge, datetime], list[Message]]


@dataclass(frozen=True)
class Outcomes:
    """What the end of a challenge means for the decision challenged; each returns the messages it causes besides
    the letter of the review or judgment."""

    overturned: Step  # set aside by the review panel or the court
    final: Step  # nothing left to challenge: the decision stands
    remitted: Step  # the court sent it back: it is made again
    reopened: Callable[[CaseState, Challenge], None]  # a late request on new evidence after it was final


def keep(state: CaseState, challenge: Challenge) -> None:
    """The case's challenge of that subject from now (an identification one replaces any earlier of either stage)."""
    if challenge.stage is None:
        state.challenges[challenge.subject] = challenge
    else:
        state.challenge = challenge


def is_pending(challenge: Challenge | None) -> bool:
    return challenge is not None and challenge.phase is not ChallengePhase.FINAL


def window(state: CaseState, kind: ObligationKind, within: timedelta, now: datetime) -> Obligation:
    owner = state.policy.appeals.window_owner(is_child=state.is_child)
    ob = new_obligation(kind, owner, start=now, due=now + within, ob_id=state.next_obligation_id(kind))
    owe(state, ob, now)
    return ob


def issue(state: CaseState, subject: ChallengeSubject, now: datetime, decided: str | None = None) -> Challenge:
    """A decision of `subject` against the person is issued: the window to request its reconsideration opens."""
    ob = window(state, ObligationKind.RECONSIDERATION_REQUEST, state.policy.appeals.reconsideration_window, now)
    challenge = Challenge(
        subject=subject, phase=ChallengePhase.RECONSIDERATION_WINDOW, since=now, obligation_id=ob.id, decided=decided
    )
    keep(state, challenge)
    return challenge


def panel_review(state: CaseState, now: datetime) -> Obligation:
    """The review panel owes its decision within the policy's time."""
    kind = ObligationKind.RECONSIDERATION_REVIEW
    due = now + state.policy.appeals.review_due
    review = new_obligation(kind, Role.REVIEW_PANEL, start=now, due=due, ob_id=state.next_obligation_id(kind))
    owe(state, review, now)
    return review


def _challenge(state: CaseState, subject: ChallengeSubject, what: str, *phases: ChallengePhase) -> Challenge:
    challenge = state.challenge_of(subject)
    if challenge is None or challenge.phase not in phases:
        needed = " or ".join(p.value for p in phases)
        if subject.stage is None:
            now_in = challenge.phase.value if challenge else "not challengeable now"
            raise WrongStage(
                f"{what} of {subject.decision} is not possible: in case {state.reference} it is {now_in} "
                f"(needs {needed})"
            )
        now_in = state.stage.value + (f", {challenge.phase.value}" if challenge else "")
        other = state.challenge
        if challenge is None and other is not None:
            now_in += f"; it is {other.subject.decision} that is challenged"
        hint = "".join(
            f"; for {c.subject.decision} add --of {c.subject.value}"
            for c in state.challenges.values()
            if challenge is None and is_pending(c)
        )
        raise WrongStage(f"{what} is not possible: case {state.reference} is {now_in} (needs {needed}){hint}")
    return challenge


def _current(state: CaseState, challenge: Challenge) -> Obligation:
    assert challenge.obligation_id is not None
    return state.obligations[challenge.obligation_id]


def _authorize_challenger(state: CaseState, act: Act, request: ReconsiderationRequest | AppealRequest) -> None:
    allowed = state.policy.appeals.challengers(is_child=state.is_child)
    authorize_act(state, act, request.actor, only=allowed)


ChallengeAct = ReconsiderationRequest | ReviewRequest | AppealRequest | JudgmentRequest


def _record(
    state: CaseState, act: Act, outcome: str, challenge: Challenge, request: ChallengeAct, now: datetime, **kw: Any
) -> None:
    record(state, act, outcome, request.actor, now, stage=challenge.stage, challenged=challenge.subject, **kw)


# ---- reconsideration ----------------------------------------------------------------------------------------


def check_reconsideration(
    state: CaseState, subject: ChallengeSubject, request: ReconsiderationRequest, now: datetime
) -> None:
    what = "a reconsideration request"
    _authorize_challenger(state, Act.REQUEST_RECONSIDERATION, request)
    challenge = _challenge(state, subject, what, ChallengePhase.RECONSIDERATION_WINDOW, ChallengePhase.FINAL)
    require_reasons(request.reasons, what)
    check_text(request.evidence, "the evidence summary", EVIDENCE_MAX)
    window = _current(state, challenge) if challenge.obligation_id else None
    closed = challenge.phase is ChallengePhase.FINAL or (window is not None and now >= window.due_at)
    settled = challenge.overturned or challenge.owed_again is not None  # set aside or remitted: nothing to reconsider
    if challenge.phase is ChallengePhase.FINAL and (settled or not challenge.window_lapsed):
        decision = subject.decision
        raise WrongStage(
            f"{what} is not possible: {decision} in case {state.reference} is final after reconsideration or appeal"
            if subject.stage is None
            else f"{what} is not possible: the negative decision in case {state.reference} is final after "
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


def apply_reconsideration(
    state: CaseState, subject: ChallengeSubject, outcomes: Outcomes, request: ReconsiderationRequest, now: datetime
) -> list[Message]:
    challenge = state.challenge_of(subject)
    assert challenge is not None
    window = state.obligations.get(challenge.obligation_id or "")
    late = challenge.phase is ChallengePhase.FINAL or (window is not None and now >= window.due_at)
    outcome = "requested late, on new evidence" if late else "requested"
    reasons, evidence = request.reasons.strip(), request.evidence.strip()
    _record(
        state,
        Act.REQUEST_RECONSIDERATION,
        outcome,
        challenge,
        request,
        now,
        reasons=reasons,
        evidence=evidence,
        late=late,
    )
    if window is not None and window.is_open:
        fulfil(state, window.id, request.actor, now)
    if challenge.phase is ChallengePhase.FINAL:
        outcomes.reopened(state, challenge)
    review = panel_review(state, now)
    challenge.phase = ChallengePhase.RECONSIDERATION
    challenge.since = now
    challenge.obligation_id = review.id
    return []


def check_review(state: CaseState, subject: ChallengeSubject, request: ReviewRequest) -> None:
    what = "a review panel's decision"
    authorize_act(state, Act.RECORD_REVIEW, request.actor)
    _challenge(state, subject, what, ChallengePhase.RECONSIDERATION, ChallengePhase.PANEL_CONFIRMATION)
    require_reasons(request.reasons, what)
    check_text(request.evidence, "the evidence summary", EVIDENCE_MAX)
    check_language(request.informed_in)


def record_review(state: CaseState, challenge: Challenge, request: ReviewRequest, now: datetime) -> None:
    """The panel's decision recorded and the review it owed fulfilled."""
    reasons, evidence = request.reasons.strip(), request.evidence.strip()
    _record(
        state,
        Act.RECORD_REVIEW,
        request.outcome.value,
        challenge,
        request,
        now,
        reasons=reasons,
        evidence=evidence,
        informed_in=request.informed_in,
    )
    fulfil(state, _current(state, challenge).id, request.actor, now)


def apply_review(
    state: CaseState, subject: ChallengeSubject, outcomes: Outcomes, request: ReviewRequest, now: datetime
) -> list[Message]:
    challenge = state.challenge_of(subject)
    assert challenge is not None
    record_review(state, challenge, request, now)
    if request.outcome is ReviewOutcome.OVERTURNED:
        return overturned(state, challenge, outcomes, now)
    return _appeal_or_final(state, challenge, outcomes, now)


def overturned(state: CaseState, challenge: Challenge, outcomes: Outcomes, now: datetime) -> list[Message]:
    challenge.overturned = True
    challenge.phase = ChallengePhase.FINAL
    challenge.since = now
    owed = outcomes.overturned(state, challenge, now)
    return [decision_letter(state), *owed]


def _appeal_or_final(state: CaseState, challenge: Challenge, outcomes: Outcomes, now: datetime) -> list[Message]:
    """After an upheld review or a dismissed appeal: the next level's window while the policy has one, else final."""
    appeals = state.policy.appeals
    if challenge.appeals_lodged < appeals.appeal_levels and appeals.appeal_window is not None:
        ob = window(state, ObligationKind.APPEAL_LODGING, appeals.appeal_window, now)
        challenge.phase = ChallengePhase.APPEAL_WINDOW
        challenge.since = now
        challenge.obligation_id = ob.id
        return [decision_letter(state)]
    owed = final(state, challenge, outcomes, now)
    return [decision_letter(state), *owed]


def final(state: CaseState, challenge: Challenge, outcomes: Outcomes, now: datetime) -> list[Message]:
    challenge.phase = ChallengePhase.FINAL
    challenge.since = now  # obligation_id keeps the window that lapsed, if one did
    return outcomes.final(state, challenge, now)


def window_closed(state: CaseState, challenge: Challenge, outcomes: Outcomes, ob: Obligation) -> list[Message]:
    """The challenge's current window closed unused: the decision is final from the window's end (what it owes counts
    from then, not from when the alarm ran)."""
    if ob.kind is ObligationKind.RECONSIDERATION_REQUEST:
        challenge.window_lapsed = True
    return final(state, challenge, outcomes, ob.due_at)


# ---- judicial appeal ----------------------------------------------------------------------------------------


def check_appeal(state: CaseState, subject: ChallengeSubject, request: AppealRequest, now: datetime) -> None:
    what = "an appeal"
    _authorize_challenger(state, Act.LODGE_APPEAL, request)
    appeals = state.policy.appeals
    phases = [ChallengePhase.APPEAL_WINDOW]
    if appeals.appeal_directly and appeals.has_appeal:
        phases.append(ChallengePhase.RECONSIDERATION_WINDOW)
    challenge = _challenge(state, subject, what, *phases)
    require_reasons(request.reasons, what)
    check_text(request.court, "the court", REFERENCE_MAX)
    window = _current(state, challenge)
    if now >= window.due_at:
        raise InvalidRequest(
            f"the window to lodge an appeal in case {state.reference} closed at {window.due_at.isoformat()}"
        )


def apply_appeal(state: CaseState, subject: ChallengeSubject, request: AppealRequest, now: datetime) -> list[Message]:
    challenge = state.challenge_of(subject)
    assert challenge is not None
    reasons, court = request.reasons.strip(), request.court.strip()
    _record(state, Act.LODGE_APPEAL, "lodged", challenge, request, now, reasons=reasons, court=court)
    fulfil(state, _current(state, challenge).id, request.actor, now)
    challenge.phase = ChallengePhase.APPEAL
    challenge.since = now
    challenge.obligation_id = None
    challenge.appeals_lodged += 1
    return []


def check_judgment(state: CaseState, subject: ChallengeSubject, request: JudgmentRequest, now: datetime) -> None:
    what = "a judgment"
    authorize_act(state, Act.RECORD_JUDGMENT, request.actor)
    challenge = _challenge(state, subject, what, ChallengePhase.APPEAL)
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


def apply_judgment(
    state: CaseState, subject: ChallengeSubject, outcomes: Outcomes, request: JudgmentRequest, now: datetime
) -> list[Message]:
    challenge = state.challenge_of(subject)
    assert challenge is not None
    _record(
        state,
        Act.RECORD_JUDGMENT,
        request.outcome.value,
        challenge,
        request,
        now,
        reasons=request.reasons.strip(),
        informed_in=request.informed_in,
        court=request.court.strip(),
        judgment_ref=request.judgment_ref.strip(),
        decided_on=request.decided_on,
    )
    if request.outcome is JudgmentOutcome.ALLOWED:
        return overturned(state, challenge, outcomes, now)
    if request.outcome is JudgmentOutcome.REMITTED:
        challenge.phase = ChallengePhase.FINAL
        challenge.since = now
        owed = outcomes.remitted(state, challenge, now)
        return [decision_letter(state), *owed]
    return _appeal_or_final(state, challenge, outcomes, now)
