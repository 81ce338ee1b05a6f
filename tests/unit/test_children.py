"""Children from the first moment (domain.children): what a child case owes from referral, the Golden Day, no Stage 1
before a guardian advocate, the child's views with each decision, a legal guardian without a safe family."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from domain import transitions
from domain.case import ObligationKind as K
from domain.errors import InvalidRequest, PolicyError, WrongStage
from domain.policy import parse_policy
from domain.requests import ProvideRequest
from domain.roles import Actor, Role
from tests.integration.helpers import child_decision, decision
from tests.unit.builders import T0, opened, referral
from tests.unit.test_policy import VALID

COORDINATOR = Actor(role=Role.COORDINATOR, id="co-1")


def owed_from_referral(**overrides) -> dict[K, tuple[Role, timedelta]]:
    state = opened(child=True, **overrides)
    return {o.kind: (o.owner_role, o.due_at - T0) for o in state.open_obligations if not o.kind.is_decision}


def test_every_child_is_owed_its_safeguards_from_referral_not_from_stage1() -> None:
    assert owed_from_referral() == {
        K.GUARDIAN_ADVOCATE: (Role.COORDINATOR, timedelta(hours=24)),
        K.BEST_INTERESTS_ASSESSMENT: (Role.CHILD_PROTECTION, timedelta(hours=48)),
        K.LEGAL_GUARDIAN: (Role.CHILD_PROTECTION, timedelta(hours=24)),
        K.GOLDEN_DAY_PLAN: (Role.CHILD_PROTECTION, timedelta(hours=4)),
    }


def test_the_golden_day_runs_72_hours_from_entry_apart_from_the_best_interests_assessment() -> None:
    state = opened(child=True)
    assert state.golden_day_until == T0 + timedelta(hours=72)
    assert state.obligations[K.BEST_INTERESTS_ASSESSMENT.value].due_at == T0 + timedelta(hours=48)
    assert opened().golden_day_until is None and [o.kind for o in opened().open_obligations] == [K.STAGE1_DECISION]


def test_a_legal_guardian_for_every_child_without_a_finding_that_the_family_is_safe() -> None:
    assert K.LEGAL_GUARDIAN in owed_from_referral()  # not only when unaccompanied
    assert K.LEGAL_GUARDIAN in owed_from_referral(unaccompanied=True)
    assert K.LEGAL_GUARDIAN not in owed_from_referral(family_safe=True)
    with pytest.raises(ValidationError, match="an unaccompanied child has no family care here to be found safe"):
        referral(child=True, unaccompanied=True, family_safe=True)
    with pytest.raises(ValidationError, match="apply to a child only"):
        referral(family_safe=True)


def test_a_childs_stage1_is_refused_before_a_guardian_advocate_then_needs_the_childs_views() -> None:
    state = opened(child=True)
    with pytest.raises(WrongStage, match="not possible before a guardian advocate is recorded"):
        transitions.check_stage1(state, child_decision())
    given = ProvideRequest(actor=COORDINATOR, kind=K.GUARDIAN_ADVOCATE.value, evidence="GA-3 allocated")
    transitions.check_provide(state, given, T0 + timedelta(hours=1))
    transitions.apply_provide(state, given, T0 + timedelta(hours=1))
    with pytest.raises(InvalidRequest, match="concerning a child records the child's views"):
        transitions.check_stage1(state, decision(child_views="\u200b"))  # invisible: not written
    transitions.check_stage1(state, child_decision())
    transitions.apply_stage1(state, child_decision(), T0 + timedelta(hours=2))
    assert state.decisions[-1].child_views.startswith("the child was heard")
    # a positive Stage 1 does not owe again what the child was owed from referral
    assert sum(1 for o in state.obligations.values() if o.kind is K.GUARDIAN_ADVOCATE) == 1


def test_an_adults_decision_needs_neither() -> None:
    transitions.check_stage1(opened(), decision())


def test_a_policy_may_not_owe_a_child_the_same_duty_from_entry_and_after_stage1() -> None:
    text = VALID + (
        '\n[provisions]\nchild = [{ kind = "guardian_advocate", owner = "coordinator" }]\n'
        '[children]\nfrom_entry = [{ kind = "guardian_advocate", owner = "coordinator" }]\n'
    )
    with pytest.raises(PolicyError, match=r"owed from entry already \(children\.from_entry\): guardian_advocate"):
        parse_policy(text, source="t.toml")
