"""Residence permits: what a case owes after identification, and the immigration authority's decisions on them.

A positive Stage 2 owes a residence permit, so that protection has no gap; a Stage 2 still undecided when the R&R
period ends owes an interim permit. Each granted permit owes the decision on its renewal by the day it expires:
an obligation reminded at fixed times before expiry (domain.deadlines.reminder_schedule) and escalated if it lapses
while the person still holds the permit. A refusal is a decision with reasons, sent to the person with their rights:
it may be challenged (domain.challenges), and while it is, it is a hold on removal (domain.holds). Set aside, the
permit is owed again and must be granted; remitted, it is decided again; a final refusal ends that permit's track.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import challenges
from domain.case import CaseState, Challenge, ChallengeSubject, Obligation, ObligationKind, Stage
from domain.challenges import Outcomes
from domain.deadlines import new_obligation
from domain.errors import InvalidRequest, WrongStage
from domain.notices import Message, PermitLetter, letter_recipients
from domain.permit_records import Permit, PermitAction, PermitRenewal, PermitType
from domain.policy import PermitRules
from domain.requests import PermitRequest
from domain.roles import Act, Role
from domain.rules import authorize_act, check_language, fulfil, owe, record, require_reasons
from domain.text import REASONS_MAX, REFERENCE_MAX, check_text

HORIZON = timedelta(days=10 * 365)  # no permit is valid further ahead than this
OWED = {PermitType.RESIDENCE: ObligationKind.RESIDENCE_PERMIT, PermitType.INTERIM: ObligationKind.INTERIM_PERMIT}
SUPERSEDED = "superseded by the residence permit"


def _rules(state: CaseState) -> PermitRules:
    rules = state.policy.permits
    if rules is None:
        raise InvalidRequest(f"policy {state.policy.label} does not track residence permits in the case")
    return rules


def _permit_obligation(state: CaseState, kind: ObligationKind, within: timedelta, now: datetime) -> Obligation:
    return new_obligation(
        kind, Role.IMMIGRATION_AUTHORITY, start=now, due=now + within, ob_id=state.next_obligation_id(kind)
    )


def _advocate(state: CaseState) -> Role:
    return state.policy.appeals.window_owner(is_child=state.is_child)


def current(state: CaseState, kind: PermitType | None = None) -> Permit | None:
    """The latest permit not ended (of `kind`, if given)."""
    return next((p for p in reversed(state.permits) if p.ended_at is None and kind in (None, p.type)), None)


def confirm_victim(state: CaseState, now: datetime) -> list[Message]:
    """A conclusive positive (a Stage 2 decision, or a negative one overturned): the person is a confirmed victim,
    nothing is left to challenge, and a residence permit is owed (unless the person holds one already). The caller
    records the decision and sends its letter."""
    state.stage = Stage.CONFIRMED_VICTIM
    state.challenge = None
    rules = state.policy.permits
    if rules is None or current(state, PermitType.RESIDENCE) or state.open_obligation(ObligationKind.RESIDENCE_PERMIT):
        return []
    return owe(state, _permit_obligation(state, ObligationKind.RESIDENCE_PERMIT, rules.issue_within, now), now)


def stage2_overdue(state: CaseState, ob_id: str, now: datetime) -> None:
    """Stage 2 undecided when the R&R period ends: an interim permit is owed, once (a refusal is the authority's
    decision, not owed again at the next automatic extension), unless a permit covers the person already."""
    rules = state.policy.permits
    ob = state.obligations[ob_id]
    if (
        rules is None
        or ob.kind is not ObligationKind.STAGE2_DECISION
        or not ob.is_open
        or not ob.breaches  # its due time passed (the R&R period was then extended, so it is not overdue now)
        or state.stage is not Stage.PRESUMED_VICTIM
        or current(state) is not None
        or any(o.kind is ObligationKind.INTERIM_PERMIT for o in state.obligations.values())  # owed once
    ):
        return
    overdue_since = ob.breaches[0].due_at  # counted from the end of the R&R period, not from when it was noticed
    owe(state, _permit_obligation(state, ObligationKind.INTERIM_PERMIT, rules.interim_within, overdue_since), now)


def _target(state: CaseState, request: PermitRequest) -> Obligation:
    """The obligation the decision fulfils: an owed permit (grant, refuse) or the current permit's renewal."""
    wanted = [request.permit] if request.permit else [PermitType.RESIDENCE, PermitType.INTERIM]
    if request.action is not PermitAction.RENEW:
        for kind in wanted:
            if ob := state.open_obligation(OWED[kind]):
                return ob
    if request.action is not PermitAction.GRANT:
        for kind in wanted:
            permit = current(state, kind)
            if permit and permit.renewal_id and (ob := state.obligations[permit.renewal_id]).is_open:
                return ob
    what = {
        PermitAction.GRANT: "no permit is owed",
        PermitAction.RENEW: "no permit awaits renewal",
        PermitAction.REFUSE: "no permit is owed or awaits renewal",
    }[request.action]
    kind_text = f" ({request.permit.value})" if request.permit else ""
    raise WrongStage(
        f"case {state.reference}: {what}{kind_text}; a residence permit is owed with a positive Stage 2, an interim "
        "one when Stage 2 is overdue at the end of the R&R period"
    )


def _permit_of(state: CaseState, renewal: Obligation) -> Permit:
    return next(p for p in state.permits if p.renewal_id == renewal.id)


def _type_of(ob: Obligation) -> PermitType:
    return next(t for t, kind in OWED.items() if kind is ob.kind)


def _check_dates(
    state: CaseState, request: PermitRequest, start: datetime, least: timedelta, now: datetime, what: str
) -> None:
    until = request.valid_until
    if until is None:
        raise InvalidRequest(f"{what} needs the date it is valid until (--valid-until)")
    if until > now + HORIZON:
        raise InvalidRequest(f"a permit valid until {until:%Y-%m-%d} is more than {HORIZON.days // 365} years ahead")
    if until - start < least:
        raise InvalidRequest(
            f"{what} must be valid for at least {least.days or int(least.total_seconds())} "
            f"{'days' if least.days else 'seconds'} under policy {state.policy.label} "
            f"(from {start:%Y-%m-%d %H:%M:%S} to {until:%Y-%m-%d %H:%M:%S} UTC is shorter)"
        )


def check_permit(state: CaseState, request: PermitRequest, now: datetime) -> None:
    authorize_act(state, Act.PERMIT_DECISION, request.actor)
    rules = _rules(state)
    check_text(request.document, "the document reference", REFERENCE_MAX)
    check_language(request.informed_in)
    ob = _target(state, request)
    if request.action is PermitAction.REFUSE:
        _check_refusable(state, ob)
        require_reasons(request.reasons, "refusing a permit")
        return
    check_text(request.reasons, "the reasons", REASONS_MAX)
    if request.action is PermitAction.RENEW:
        if not rules.renewable:
            raise InvalidRequest(f"permits are not renewable under policy {state.policy.label}")
        permit = _permit_of(state, ob)
        least = rules.min_duration if permit.type is PermitType.RESIDENCE else rules.interim_min_duration
        _check_dates(state, request, permit.valid_until, least, now, "a renewal")
        return
    allowed = rules.grounds_for(is_child=state.is_child)
    if not request.grounds:
        names = ", ".join(g.value for g in allowed)
        raise InvalidRequest(f"a permit needs its grounds (--ground; under this policy: {names})")
    if bad := [g.value for g in request.grounds if g not in allowed]:
        who = "a child" if state.is_child else "an adult"
        raise InvalidRequest(f"ground {', '.join(bad)} is not a ground for {who}'s permit under {state.policy.label}")
    if len(set(request.grounds)) != len(request.grounds):
        raise InvalidRequest("each ground is given once")
    start = request.valid_from or now
    if start < ob.created_at or start > now + HORIZON:
        raise InvalidRequest(
            f"the permit's start, {start:%Y-%m-%d %H:%M:%S} UTC, is before the permit was owed "
            f"({ob.created_at:%Y-%m-%d %H:%M:%S} UTC) or too far ahead"
        )
    kind = _type_of(ob)
    least = rules.min_duration if kind is PermitType.RESIDENCE else rules.interim_min_duration
    _check_dates(state, request, start, least, now, f"a{'n' if kind is PermitType.INTERIM else ''} {kind.value} permit")


def _check_refusable(state: CaseState, ob: Obligation) -> None:
    """A refusal set aside leaves the permit to be granted; one refusal is challenged at a time."""
    challenge = state.challenge_of(ChallengeSubject.PERMIT)
    if challenge is None:
        return
    if challenge.overturned and challenge.owed_again == ob.id:
        raise WrongStage(
            f"case {state.reference}: the refusal of this permit was set aside on challenge; the immigration "
            f"authority must grant it (by {ob.due_at:%Y-%m-%d %H:%M:%S} UTC)"
        )
    if challenges.is_pending(challenge):
        raise WrongStage(
            f"case {state.reference}: an earlier permit refusal is still challenged ({challenge.phase.value}); a "
            "further refusal waits until that challenge ends"
        )


def apply_permit(state: CaseState, request: PermitRequest, now: datetime) -> list[Message]:
    ob = _target(state, request)
    fulfil(state, ob.id, request.actor, now)
    reasons = request.reasons.strip()
    ob.evidence = f"{request.action.value}: {reasons}" if reasons else request.action.value
    renewing = ob.kind is ObligationKind.PERMIT_RENEWAL
    if request.action is PermitAction.REFUSE:
        permit = _permit_of(state, ob) if renewing else None
        if permit is not None:
            permit.ended_at, permit.ended_why = permit.valid_until, "renewal refused"
        record(state, Act.PERMIT_DECISION, "refused", request.actor, now, reasons=reasons)
        challenge = challenges.issue(state, ChallengeSubject.PERMIT, now, decided=ob.id)
        letter = _letter(state, request, permit, ob, now)
        letter.rights_until = state.obligations[challenge.obligation_id or ""].due_at
        return [letter]
    assert request.valid_until is not None  # checked: a grant and a renewal name it
    if renewing:
        permit = _permit_of(state, ob)
        permit.renewals.append(
            PermitRenewal(previous_until=permit.valid_until, new_until=request.valid_until, at=now, actor=request.actor)
        )
        permit.valid_until = request.valid_until
    else:
        permit = Permit(
            type=_type_of(ob),
            grounds=request.grounds,
            valid_from=request.valid_from or now,
            valid_until=request.valid_until,
            document=request.document.strip(),
            granted_at=now,
            granted_by=request.actor,
        )
        if permit.type is PermitType.RESIDENCE:
            _supersede_interim(state, now)
        state.permits.append(permit)
    outcome = f"{permit.type.value} permit {'renewed' if renewing else 'granted'}"
    record(state, Act.PERMIT_DECISION, outcome, request.actor, now, reasons=reasons)
    renewal = new_obligation(
        ObligationKind.PERMIT_RENEWAL,
        Role.IMMIGRATION_AUTHORITY,
        start=now,
        due=permit.valid_until,
        ob_id=state.next_obligation_id(ObligationKind.PERMIT_RENEWAL),
    )
    renewal.notify = [_advocate(state)]
    owe(state, renewal, now)
    permit.renewal_id = renewal.id
    return [_letter(state, request, permit, ob, now)]


def _supersede_interim(state: CaseState, now: datetime) -> None:
    """The residence permit replaces an interim one: it ends, and so does what it still owed."""
    interim = current(state, PermitType.INTERIM)
    owed = [state.open_obligation(ObligationKind.INTERIM_PERMIT)]
    if interim is not None:
        interim.ended_at, interim.ended_why = now, SUPERSEDED
        owed.append(state.obligations[interim.renewal_id] if interim.renewal_id else None)
    for ob in owed:
        if ob is not None and ob.is_open:
            ob.fulfilled_at = ob.recorded_at = now
            ob.evidence = SUPERSEDED


def _letter(
    state: CaseState, request: PermitRequest, permit: Permit | None, ob: Obligation, now: datetime
) -> PermitLetter:
    recipients, language, to_guardian, by_hand = letter_recipients(state)
    if not to_guardian and request.informed_in:
        language = request.informed_in
    kind = permit.type if permit else _type_of(ob)
    return PermitLetter(
        key=f"{state.reference}/letter/{len(state.decisions)}-{Act.PERMIT_DECISION.value}",
        reference=state.reference,
        recipients=recipients,
        language=language,
        to_guardian=to_guardian,
        by_hand=by_hand,
        action=request.action,
        permit=kind,
        renewal=ob.kind is ObligationKind.PERMIT_RENEWAL,
        grounds=permit.grounds if permit else [],
        valid_from=permit.valid_from if permit else None,
        valid_until=permit.valid_until if permit else None,
        decided_at=now,
        reasons=request.reasons.strip(),
    )


def _owe_again(state: CaseState, challenge: Challenge, now: datetime) -> list[Message]:
    """The refusal set aside or remitted: the permit it refused is owed again, within the policy's time for it (a
    renewal refused: the permit runs on, its renewal owed again)."""
    rules = _rules(state)
    refused = state.obligations[challenge.decided or ""]
    if refused.kind is ObligationKind.PERMIT_RENEWAL:
        permit = _permit_of(state, refused)
        permit.ended_at, permit.ended_why = None, ""
        again = _permit_obligation(state, ObligationKind.PERMIT_RENEWAL, rules.issue_within, now)
        again.notify = [_advocate(state)]
        permit.renewal_id = again.id
    else:
        within = rules.issue_within if refused.kind is ObligationKind.RESIDENCE_PERMIT else rules.interim_within
        again = _permit_obligation(state, refused.kind, within, now)
    challenge.owed_again = again.id
    return owe(state, again, now)


def _refusal_final(state: CaseState, challenge: Challenge, now: datetime) -> list[Message]:
    """Nothing left to challenge: the refusal stands and that permit's track ends (others are owed by their own
    events)."""
    return []


def _refusal_reopened(state: CaseState, challenge: Challenge) -> None:
    """A late request on new evidence: the refusal is challenged again, a hold on removal while it is."""


CHALLENGE = Outcomes(overturned=_owe_again, final=_refusal_final, remitted=_owe_again, reopened=_refusal_reopened)
