"""Coming of age by the date of birth (domain.majority): a transition plan before it, an adult for new obligations
on the day, child-level support to the policy's age, nothing taken back; its times counted by month."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain import age, alarms, majority, transitions
from domain.case import AgeStatus, Stage
from domain.case import ObligationKind as K
from domain.notices import CaseEvent, CaseEventKind
from domain.policy import AgeRules, Policy
from domain.requests import AgeDisputeRequest
from domain.roles import Actor, Role
from domain.times import aged, check_age
from tests.integration.helpers import child_decision
from tests.unit.builders import OSCE, T0, opened

BORN = date(2008, 6, 15)  # 17 when detected on 2026-03-01; 18 on 2026-06-15
OF_AGE = datetime(2026, 7, 1, tzinfo=UTC)  # counted from the first of the following month
PLAN_FROM = OF_AGE - timedelta(days=90)


def child(policy: Policy = OSCE, born: date = BORN):
    """A child by the date of birth alone (not declared), in the R&R period after a positive Stage 1."""
    state = opened(policy=policy, person={"date_of_birth": born.isoformat()}, consent_to_referral=None)
    assert state.is_child
    transitions.apply_stage1(state, child_decision(), T0 + timedelta(days=1))
    return state


def policy_with(**age_rules: object) -> Policy:
    return OSCE.model_copy(update={"age": AgeRules.model_validate(OSCE.age.model_dump() | age_rules)})


def test_an_age_is_counted_on_the_calendar_and_by_month_never_earlier() -> None:
    assert aged(BORN, "P18Y", to_month=False) == datetime(2026, 6, 15, tzinfo=UTC)
    assert aged(BORN, "P18Y", to_month=True) == OF_AGE
    assert aged(date(2008, 6, 1), "P18Y", to_month=True) == datetime(2026, 6, 1, tzinfo=UTC)  # a 1st: that day
    assert aged(date(2008, 12, 20), "P18Y", to_month=True) == datetime(2027, 1, 1, tzinfo=UTC)
    assert aged(date(2008, 2, 29), "P18Y", to_month=False) == datetime(2026, 3, 1, tzinfo=UTC)  # no 29 Feb
    assert aged(date(2010, 1, 31), "P1M", to_month=False) == datetime(2010, 3, 1, tzinfo=UTC)
    assert aged(date(2010, 1, 1), "P2DT30S", to_month=False) == datetime(2010, 1, 3, 0, 0, 30, tzinfo=UTC)
    for wrong in ("18", "P", "PT", "P18", "18Y", "P-1Y"):
        with pytest.raises(ValueError, match="is not an age"):
            check_age(wrong)


def test_a_policy_refuses_child_support_ending_before_majority() -> None:
    with pytest.raises(ValidationError, match="child_support_until must not be younger than majority"):
        policy_with(child_support_until="P17Y")
    with pytest.raises(ValidationError, match="is not an age"):
        policy_with(majority="eighteen")
    for wrong, why in (("P13Y", "from 14 to 21 years"), ("P22Y", "from 14 to 21 years"), ("P0D", "from 14")):
        with pytest.raises(ValidationError, match=why):
            policy_with(majority=wrong)
    with pytest.raises(ValidationError, match="at most 26 years"):
        policy_with(child_support_until="P30Y")
    assert policy_with(child_support_until="P21Y").age.child_support_until == "P21Y"


def test_a_child_by_birth_date_owes_a_transition_plan_then_comes_of_age_on_the_first_of_the_month() -> None:
    state = child()
    assert majority.schedule(state) == [(OF_AGE, majority.COMING_OF_AGE), (PLAN_FROM, majority.TRANSITION_PLAN)]
    alarms.ring(state, PLAN_FROM - timedelta(seconds=1))  # the child's other duties remind and lapse meanwhile
    assert K.TRANSITION_PLAN.value not in state.obligations
    alarms.ring(state, PLAN_FROM + timedelta(days=3))  # the alarm rang late: the plan is owed from its own time
    plan = state.obligations[K.TRANSITION_PLAN.value]
    assert (plan.owner_role, plan.window_start, plan.due_at) == (Role.CHILD_PROTECTION, PLAN_FROM, OF_AGE)
    open_before = {o.id for o in state.open_obligations}

    messages = alarms.ring(state, OF_AGE)
    assert (state.is_child, state.came_of_age_at, state.age_status) == (False, OF_AGE, AgeStatus.UNDISPUTED)
    events = [m for m in messages if isinstance(m, CaseEvent)]
    assert [(e.event, e.at, e.until) for e in events] == [
        (CaseEventKind.CAME_OF_AGE, OF_AGE, OF_AGE),
        (CaseEventKind.CHILD_SUPPORT_ENDED, OF_AGE, None),  # under OSCE child-level support ends with the majority
    ]
    assert set(events[0].recipients.roles) == {Role.COORDINATOR, Role.CHILD_PROTECTION, Role.GUARDIAN_ADVOCATE}
    # nothing already owed is taken back; child-level support ends with the majority under OSCE: the handover
    assert open_before - {K.TRANSITION_PLAN.value} <= {o.id for o in state.open_obligations}
    handover = state.obligations[K.ADVOCATE_HANDOVER.value]
    assert (handover.window_start, handover.due_at) == (OF_AGE, OF_AGE + timedelta(days=5))
    assert state.removal_suspended and state.stage is Stage.PRESUMED_VICTIM
    assert {K.INDEPENDENT_ADVOCATE, K.LEGAL_ADVICE} <= {o.kind for o in state.open_obligations}  # the adult's
    assert majority.schedule(state) == [] and alarms.ring(state, OF_AGE + timedelta(days=400)) != []


def test_child_level_support_continues_to_the_policy_age_and_then_the_handover_is_owed() -> None:
    state = child(policy_with(child_support_until="P21Y"))
    alarms.ring(state, OF_AGE)
    assert not state.is_child and K.ADVOCATE_HANDOVER.value not in state.obligations
    support_end = datetime(2029, 7, 1, tzinfo=UTC)
    assert majority.schedule(state) == [(support_end, majority.SUPPORT_END)]
    assert majority.child_support_until(state) == support_end
    alarms.ring(state, support_end + timedelta(hours=1))
    assert state.child_support_ended_at == support_end
    assert state.obligations[K.ADVOCATE_HANDOVER.value].window_start == support_end


def test_the_exact_day_when_the_policy_does_not_count_by_month() -> None:
    state = child(policy_with(counted_by_month=False))
    assert majority.coming_of_age(state) == datetime(2026, 6, 15, tzinfo=UTC)


def test_no_coming_of_age_while_the_age_is_disputed_or_for_a_child_without_a_birth_date() -> None:
    assert majority.schedule(opened(child=True)) == []
    state = child()
    age.apply_dispute(state, AgeDisputeRequest(actor=Actor(role=Role.SUPPORT_PROVIDER, id="sp-1"), reasons="x"), T0)
    assert majority.schedule(state) == []
    adult = opened(person={"date_of_birth": "1990-01-01"})
    assert majority.schedule(adult) == [] and majority.child_support_until(adult) is None


def test_a_child_opened_after_coming_of_age_is_an_adult_at_once_and_owes_no_plan() -> None:
    state = child(born=date(2008, 3, 5))  # 17 when detected on 2026-03-01, of age from 2026-04-01
    alarms.ring(state, T0 + timedelta(days=2))
    assert state.is_child and K.TRANSITION_PLAN.value in state.obligations  # owed from opening, due on the day
    assert state.obligations[K.TRANSITION_PLAN.value].window_start == state.opened_at
    alarms.ring(state, datetime(2026, 4, 1, tzinfo=UTC))
    assert not state.is_child
