"""What the unit tests share: the shipped policies, a fixed clock origin and cases opened and decided at it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain import transitions
from domain.case import CaseState
from domain.policy import Policy, load_policy
from domain.referral import Referral
from domain.requests import OpenCase
from policies import POLICY_DIR
from tests.integration.helpers import FIRST_RESPONDER, adult_referral, child_referral, decision

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DETECTED = date(2026, 3, 1)
OSCE = load_policy("osce-model", POLICY_DIR)


def referral(child: bool = False, **overrides: Any) -> Referral:
    build = child_referral if child else adult_referral
    return Referral.model_validate(build(detected_on=DETECTED.isoformat(), **overrides))


def opened(child: bool = False, policy: Policy = OSCE, at: datetime = T0, **overrides: Any) -> CaseState:
    request = OpenCase(
        reference="NRM-0000-0001", referral=referral(child, **overrides), policy=policy, opened_by=FIRST_RESPONDER
    )
    state, _ = transitions.open_case(request, at)
    return state


def presumed_victim(at: datetime = T0 + timedelta(days=1), policy: Policy = OSCE) -> CaseState:
    """An adult case whose positive Stage 1 was decided at `at` (so the R&R period starts then)."""
    state = opened(policy=policy)
    transitions.apply_stage1(state, decision(), at)
    return state
