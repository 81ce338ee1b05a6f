"""Residence permits (domain.permits) and the holds on removal (domain.holds), on the shipped OSCE model."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain import alarms, holds, permits, transitions
from domain.case import CaseState, ChallengePhase, ObligationKind, Stage
from domain.deadlines import Alert, AlertKind, reminder_alert, reminder_times
from domain.errors import DomainError, InvalidRequest, NotAuthorized, WrongStage
from domain.holds import HoldKind
from domain.notices import PermitLetter
from domain.permit_records import PermitAction, PermitGround, PermitType
from domain.requests import PermitRequest
from domain.roles import Actor, Role
from domain.status import case_status
from tests.integration.helpers import decision
from tests.unit.builders import OSCE, T0, opened, presumed_victim

AUTHORITY = Actor(role=Role.IMMIGRATION_AUTHORITY, id="ia-1")
STAGE2_AT = T0 + timedelta(days=40)
RULES = OSCE.permits
assert RULES is not None


def confirmed(child: bool = False) -> CaseState:
    state = opened(child=child)
    transitions.apply_stage1(state, decision(), T0)
    transitions.apply_stage2(state, decision(), STAGE2_AT)
    return state


def act(action: str, **extra: object) -> PermitRequest:
    data: dict[str, object] = {"actor": AUTHORITY, "action": PermitAction(action)}
    return PermitRequest.model_validate({**data, **extra})


def grant(until: datetime, grounds: tuple[str, ...] = ("personal_situation",), **extra: object) -> PermitRequest:
    return act("grant", grounds=list(grounds), valid_until=until, **extra)


def granted(at: datetime = STAGE2_AT + timedelta(days=3), days: int = 365) -> CaseState:
    state = confirmed()
    request = grant(at + timedelta(days=days), document="RP-2026-0001")
    permits.check_permit(state, request, at)
    permits.apply_permit(state, request, at)
    return state


def test_a_positive_stage2_owes_a_residence_permit_within_the_policy_limit() -> None:
    state = confirmed()
    ob = state.open_obligation(ObligationKind.RESIDENCE_PERMIT)
    assert ob is not None
    assert ob.owner_role is Role.IMMIGRATION_AUTHORITY
    assert ob.due_at == STAGE2_AT + RULES.issue_within


def test_no_permit_is_owed_where_the_policy_does_not_track_them() -> None:
    policy = OSCE.model_copy(update={"permits": None})
    state = opened(policy=policy)
    transitions.apply_stage1(state, decision(), T0)
    transitions.apply_stage2(state, decision(), STAGE2_AT)
    assert state.stage is Stage.CONFIRMED_VICTIM
    assert state.open_obligation(ObligationKind.RESIDENCE_PERMIT) is None
    with pytest.raises(InvalidRequest, match="does not track residence permits"):
        permits.check_permit(state, grant(STAGE2_AT + timedelta(days=365)), STAGE2_AT)


def test_a_grant_records_the_permit_writes_to_the_person_and_owes_its_renewal_before_expiry() -> None:
    at = STAGE2_AT + timedelta(days=3)
    until = at + timedelta(days=365)
    state = confirmed()
    request = grant(until, ("personal_situation", "cooperation"), document="RP-2026-0001")
    permits.check_permit(state, request, at)
    [letter] = permits.apply_permit(state, request, at)
    [permit] = state.permits
    assert (permit.type, permit.valid_until, permit.document) == (PermitType.RESIDENCE, until, "RP-2026-0001")
    assert permit.grounds == [PermitGround.PERSONAL_SITUATION, PermitGround.COOPERATION]
    assert not state.obligations["residence_permit"].is_open
    renewal = state.obligations[permit.renewal_id or ""]
    assert renewal.kind is ObligationKind.PERMIT_RENEWAL and renewal.due_at == until
    # reminded 60 and 30 days before expiry, to the authority and the person's advocate
    assert reminder_times(renewal, OSCE) == [until - timedelta(days=60), until - timedelta(days=30)]
    alert = reminder_alert(state, renewal, until - timedelta(days=60))
    assert alert.recipients == [Role.IMMIGRATION_AUTHORITY, Role.SUPPORT_PROVIDER]
    assert isinstance(letter, PermitLetter)
    assert (letter.action, letter.permit, letter.valid_until, letter.renewal) == (
        PermitAction.GRANT,
        PermitType.RESIDENCE,
        until,
        False,
    )
    assert state.decisions[-1].outcome == "residence permit granted"


def test_a_permit_that_lapses_unrenewed_escalates_to_the_authority_and_the_advocate() -> None:
    state = granted(days=200)
    [permit] = state.permits
    messages = alarms.ring(state, permit.valid_until + timedelta(seconds=1))
    alerts = [m for m in messages if isinstance(m, Alert) and m.obligation_id == permit.renewal_id]
    assert [a.kind for a in alerts] == [AlertKind.REMINDER, AlertKind.REMINDER, AlertKind.ESCALATION]
    assert set(alerts[-1].recipients) == {Role.COORDINATOR, Role.IMMIGRATION_AUTHORITY, Role.SUPPORT_PROVIDER}


def test_a_renewal_extends_the_permit_and_owes_the_next_renewal() -> None:
    state = granted()
    [permit] = state.permits
    first = permit.renewal_id
    at = permit.valid_until - timedelta(days=20)
    new_until = permit.valid_until + timedelta(days=365)
    request = act("renew", valid_until=new_until)
    permits.check_permit(state, request, at)
    permits.apply_permit(state, request, at)
    assert permit.valid_until == new_until and len(permit.renewals) == 1
    assert not state.obligations[first or ""].is_open
    assert state.obligations[permit.renewal_id or ""].due_at == new_until


@pytest.mark.parametrize(
    ("request_", "error", "text"),
    [
        (grant(STAGE2_AT + timedelta(days=365), ()), InvalidRequest, "needs its grounds"),
        (grant(STAGE2_AT + timedelta(days=365), ("best_interests",)), InvalidRequest, "not a ground for an adult"),
        (grant(STAGE2_AT + timedelta(days=30)), InvalidRequest, "at least 182 days"),
        (grant(STAGE2_AT + timedelta(days=365 * 11)), InvalidRequest, "more than 10 years ahead"),
        (act("grant", grounds=["cooperation"]), InvalidRequest, "valid until"),
        (act("refuse"), InvalidRequest, "reasons"),
        (act("refuse", reasons="\u200b"), InvalidRequest, "reasons"),
        (act("renew", valid_until=STAGE2_AT + timedelta(days=400)), WrongStage, "no permit awaits renewal"),
        (grant(STAGE2_AT + timedelta(days=365), document="x" * 201), InvalidRequest, "document reference"),
        (
            grant(STAGE2_AT + timedelta(days=365), actor=Actor(role=Role.COMPETENT_AUTHORITY, id="ca-1")),
            NotAuthorized,
            "immigration_authority",
        ),
    ],
)
def test_a_wrong_permit_decision_is_refused_with_its_reason(
    request_: PermitRequest, error: type[DomainError], text: str
) -> None:
    state = confirmed()
    with pytest.raises(error, match=text):
        permits.check_permit(state, request_, STAGE2_AT + timedelta(days=1))


def test_nothing_is_owed_before_identification_so_a_grant_is_refused() -> None:
    state = presumed_victim()
    with pytest.raises(WrongStage, match="no permit is owed"):
        permits.check_permit(state, grant(T0 + timedelta(days=400)), T0 + timedelta(days=2))


def test_a_child_may_be_granted_a_permit_in_the_childs_best_interests() -> None:
    state = confirmed(child=True)
    request = grant(STAGE2_AT + timedelta(days=365), ("best_interests",))
    permits.check_permit(state, request, STAGE2_AT + timedelta(days=1))
    [letter] = permits.apply_permit(state, request, STAGE2_AT + timedelta(days=1))
    assert isinstance(letter, PermitLetter) and letter.to_guardian
    assert state.obligations[state.permits[0].renewal_id or ""].notify == [Role.GUARDIAN_ADVOCATE]


def test_a_refused_renewal_ends_the_permit_at_its_expiry_and_is_written_to_the_person_with_reasons() -> None:
    state = granted()
    [permit] = state.permits
    at = permit.valid_until - timedelta(days=10)
    request = act("refuse", reasons="the grounds no longer apply")
    permits.check_permit(state, request, at)
    [letter] = permits.apply_permit(state, request, at)
    assert isinstance(letter, PermitLetter) and letter.renewal and letter.reasons == "the grounds no longer apply"
    assert permit.ended_at == permit.valid_until
    assert permit.valid_at(at) and not permit.valid_at(permit.valid_until)
    assert state.decisions[-1].outcome == "refused"
    assert not [o for o in state.open_obligations if o.kind is ObligationKind.PERMIT_RENEWAL]


def test_stage2_overdue_at_the_end_of_the_rr_owes_an_interim_permit_once() -> None:
    state = presumed_victim(at=T0)
    rr_end = state.rr.end if state.rr else T0
    alarms.ring(state, rr_end + timedelta(seconds=1))
    [interim] = [o for o in state.open_obligations if o.kind is ObligationKind.INTERIM_PERMIT]
    assert interim.due_at == rr_end + RULES.interim_within  # from the end of the R&R, not from when it was noticed
    step = OSCE.rr.auto_extension_step
    alarms.ring(state, rr_end + step + timedelta(seconds=2))  # overdue again: no second interim permit
    assert len([o for o in state.obligations.values() if o.kind is ObligationKind.INTERIM_PERMIT]) == 1


def test_the_residence_permit_supersedes_the_interim_one() -> None:
    state = presumed_victim(at=T0)
    rr_end = state.rr.end if state.rr else T0
    at = rr_end + timedelta(seconds=1)
    alarms.ring(state, at)
    request = grant(at + timedelta(days=60), ("cooperation",))
    permits.check_permit(state, request, at + timedelta(days=1))
    permits.apply_permit(state, request, at + timedelta(days=1))
    [interim] = state.permits
    assert interim.type is PermitType.INTERIM
    stage2_at = at + timedelta(days=10)
    transitions.apply_stage2(state, decision(), stage2_at)
    residence = grant(stage2_at + timedelta(days=365))
    permits.check_permit(state, residence, stage2_at)
    permits.apply_permit(state, residence, stage2_at)
    assert interim.ended_at == stage2_at and interim.ended_why == permits.SUPERSEDED
    assert [p.type for p in state.permits if p.ended_at is None] == [PermitType.RESIDENCE]
    renewals = [o for o in state.open_obligations if o.kind is ObligationKind.PERMIT_RENEWAL]
    assert len(renewals) == 1 and renewals[0].id == state.permits[-1].renewal_id


# ---- holds ------------------------------------------------------------------------------------------------


def kinds(state: CaseState, at: datetime) -> list[HoldKind]:
    return [h.kind for h in holds.holds(state, at)]


def test_holds_name_each_reason_removal_is_barred_with_its_source() -> None:
    state = opened()
    assert kinds(state, T0) == [HoldKind.IDENTIFICATION]
    state = presumed_victim(at=T0)
    [identification, rr] = holds.holds(state, T0 + timedelta(days=1))
    assert identification.source == "stage2_decision" and identification.blocks_departure
    assert rr.kind is HoldKind.RECOVERY_REFLECTION and not rr.blocks_departure
    assert "not a departure the person chooses" in rr.text


def test_a_negative_decision_under_challenge_holds_and_a_final_one_does_not() -> None:
    state = opened()
    transitions.apply_stage1(state, decision("negative"), T0)
    assert kinds(state, T0) == [HoldKind.CHALLENGE]
    assert state.challenge is not None
    state.challenge.phase = ChallengePhase.FINAL  # nothing left to challenge
    assert kinds(state, T0) == []


def test_a_child_is_held_until_a_best_interests_assessment_is_recorded() -> None:
    state = opened(child=True)
    assert HoldKind.BEST_INTERESTS in kinds(state, T0)


def test_a_valid_permit_holds_until_it_expires_and_shows_in_the_status() -> None:
    state = granted(days=200)
    [permit] = state.permits
    status = case_status(state, permit.valid_until - timedelta(days=1))
    assert [h.kind for h in status.holds] == [HoldKind.PERMIT]
    assert status.permits == state.permits
    assert kinds(state, permit.valid_until + timedelta(seconds=1)) == []
