"""Why a person may not be removed, or may not yet leave: the holds on a case, each with its source.

One pure rule over the case state, so that an immigration authority asking "why is removal suspended?" and a
return that checks before departure read the same list. A hold blocks removal (expulsion) always; some also block
a voluntary departure (`blocks_departure`). The R&R period is the example of the difference: it protects the
person from expulsion, but the person may still choose to leave during it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel

from domain import permits
from domain.case import AgeStatus, CaseState, ChallengePhase, ChallengeSubject, ObligationKind, Stage
from domain.permit_records import PermitType
from domain.proceeding_records import ProceedingKind
from domain.times import utc_seconds


class HoldKind(str, enum.Enum):
    IDENTIFICATION = "identification_not_final"  # a Stage 1 or Stage 2 decision pending
    CHALLENGE = "challenge_pending"  # a negative decision or a permit refusal not final: panel, reconsideration, appeal
    RECOVERY_REFLECTION = "recovery_reflection"  # the R&R period runs: no expulsion
    AGE = "age_not_settled"  # an age dispute without a final finding: treated as a child
    BEST_INTERESTS = "best_interests_pending"  # a child: no best-interests assessment recorded yet
    PERMIT = "permit"  # a residence or interim permit valid, or owed
    RETURN_RISK = "return_risk"  # the pre-return risk assessment found a risk (non-refoulement)
    TRAVEL_DOCUMENTS = "no_travel_documents"  # a planned return without travel documents
    CARE_ARRANGEMENTS = "care_not_confirmed"  # a child's return without confirmed care arrangements
    PROTECTION_CLAIM = "protection_claim_pending"  # an asylum or other protection claim pending
    PROCEEDINGS = "proceedings"  # criminal, civil or compensation proceedings needing the person, who wants to attend


class Hold(BaseModel):
    kind: HoldKind
    text: str
    source: str  # the obligation, decision or record it comes from
    blocks_departure: bool


def holds(state: CaseState, now: datetime) -> list[Hold]:
    """Every hold on the case at `now`, most fundamental first."""
    found: list[Hold] = []
    stage = state.stage
    pending_decision = {
        Stage.STAGE1_PENDING: ObligationKind.STAGE1_DECISION,
        Stage.PRESUMED_VICTIM: ObligationKind.STAGE2_DECISION,
    }.get(stage)
    if pending_decision is not None and (ob := state.open_obligation(pending_decision)) is not None:
        which = "Stage 1" if pending_decision is ObligationKind.STAGE1_DECISION else "Stage 2"
        found.append(
            Hold(
                kind=HoldKind.IDENTIFICATION,
                text=f"identification is not final: the {which} decision is pending (due {utc_seconds(ob.due_at)})",
                source=ob.id,
                blocks_departure=True,
            )
        )
    challenge = state.challenge
    if challenge is not None and challenge.phase is not ChallengePhase.FINAL:
        found.append(
            Hold(
                kind=HoldKind.CHALLENGE,
                text=f"identification is not final: the negative Stage {challenge.stage} decision is "
                f"{challenge.phase.value}",
                source=challenge.obligation_id or f"stage{challenge.stage}_decision",
                blocks_departure=True,
            )
        )
    rr = state.rr
    if stage is Stage.PRESUMED_VICTIM and rr is not None and now < rr.end:
        found.append(
            Hold(
                kind=HoldKind.RECOVERY_REFLECTION,
                text=f"the recovery and reflection period runs until {utc_seconds(rr.end)}: it bars expulsion, "
                "not a departure the person chooses",
                source="rr",
                blocks_departure=False,
            )
        )
    refusal = state.challenge_of(ChallengeSubject.PERMIT)
    if refusal is not None and refusal.phase is not ChallengePhase.FINAL:
        found.append(
            Hold(
                kind=HoldKind.CHALLENGE,
                text=f"the permit refusal is not final: it is {refusal.phase.value}; it bars expulsion",
                source=refusal.obligation_id or ObligationKind.PERMIT_RENEWAL.value,
                blocks_departure=False,
            )
        )
    if state.age_status is AgeStatus.DISPUTED:
        text, source = "the age is disputed and not settled", "age_status"
        finding = state.challenge_of(ChallengeSubject.AGE)
        if finding is not None and finding.phase is not ChallengePhase.FINAL:
            text = f"the age is not settled: the adult finding is {finding.phase.value}"
            source = finding.obligation_id or source
        found.append(
            Hold(
                kind=HoldKind.AGE,
                text=f"{text}: the person is treated as a child until a final finding",
                source=source,
                blocks_departure=True,
            )
        )
    if state.is_child and not _best_interests_assessed(state):
        found.append(
            Hold(
                kind=HoldKind.BEST_INTERESTS,
                text="a child: no best-interests assessment is recorded yet",
                source=ObligationKind.BEST_INTERESTS_ASSESSMENT.value,
                blocks_departure=True,
            )
        )
    found += _permit_holds(state, now)
    found += _return_holds(state)
    found += [
        Hold(
            kind=HoldKind.PROTECTION_CLAIM if p.kind.is_claim else HoldKind.PROCEEDINGS,
            text=(
                "an asylum claim is pending"
                if p.kind is ProceedingKind.ASYLUM_CLAIM
                else "a protection claim is pending"
            )
            if p.kind.is_claim
            else f"{p.kind.value} proceedings need the person's presence, and the person wants to take part",
            source=f"proceeding {p.number}",
            blocks_departure=True,
        )
        for p in state.proceedings
        if p.holds
    ]
    return found


def departure_holds(state: CaseState, now: datetime) -> list[Hold]:
    """The holds that also stop a voluntary departure (checked when a return is planned, at the planned time, and
    at the departure itself)."""
    return [h for h in holds(state, now) if h.blocks_departure]


def _best_interests_assessed(state: CaseState) -> bool:
    return any(
        o.kind is ObligationKind.BEST_INTERESTS_ASSESSMENT and o.fulfilled_at is not None and not o.waived
        for o in state.obligations.values()
    )


def _permit_holds(state: CaseState, now: datetime) -> list[Hold]:
    held = [p for p in state.permits if p.valid_at(now)]
    found = [
        Hold(
            kind=HoldKind.PERMIT,
            text=f"a {p.type.value} permit is valid until {utc_seconds(p.valid_until)}: it bars expulsion",
            source=p.renewal_id or p.type.value,
            blocks_departure=False,
        )
        for p in held
    ]
    for kind in (PermitType.RESIDENCE, PermitType.INTERIM):
        ob = state.open_obligation(permits.OWED[kind])
        if ob is not None:
            found.append(
                Hold(
                    kind=HoldKind.PERMIT,
                    text=f"a {kind.value} permit is owed and not yet decided (due {utc_seconds(ob.due_at)})",
                    source=ob.id,
                    blocks_departure=False,
                )
            )
    return found


def _return_holds(state: CaseState) -> list[Hold]:
    """A risk found by the latest pre-return risk assessment; for a planned return, no travel documents yet and,
    for a child, care arrangements in the country of return not confirmed."""
    latest = state.returns[-1] if state.returns else None
    if latest is None:
        return []
    found: list[Hold] = []
    if latest.risk_found:
        found.append(
            Hold(
                kind=HoldKind.RETURN_RISK,
                text="the pre-return risk assessment found a risk (non-refoulement): no return",
                source=latest.assessment_id,
                blocks_departure=True,
            )
        )
    plan = latest.plan if latest.in_progress else None
    if plan is not None and not plan.travel_documents:
        found.append(
            Hold(
                kind=HoldKind.TRAVEL_DOCUMENTS,
                text="no travel documents yet",
                source=plan.departure_id,
                blocks_departure=True,
            )
        )
    if plan is not None and state.is_child and not plan.care_confirmed:
        found.append(
            Hold(
                kind=HoldKind.CARE_ARRANGEMENTS,
                text="a child: care arrangements in the country of return are not confirmed",
                source=plan.departure_id,
                blocks_departure=True,
            )
        )
    return found
