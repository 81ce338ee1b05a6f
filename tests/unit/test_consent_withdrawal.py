"""Consent withdrawn per purpose (domain.lifecycle): what depends on it stops, what protects the person stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from domain import lifecycle, transitions
from domain.case import ObligationKind as K
from domain.case import Stage
from domain.consent import ConsentPurpose as P
from domain.errors import InvalidRequest, NotAuthorized, WrongStage
from domain.requests import ConsentWithdrawalRequest
from domain.roles import Actor, Role
from tests.integration.helpers import decision
from tests.unit.builders import T0, opened, presumed_victim

SUPPORT = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
LATER = T0 + timedelta(days=3)


def withdraw(state, *purposes: P) -> None:
    request = ConsentWithdrawalRequest(actor=SUPPORT, purposes=list(purposes), reasons="she asked us to")
    lifecycle.check_withdrawal(state, request)
    assert lifecycle.apply_withdrawal(state, request, LATER) == []


def test_without_consent_to_data_sharing_no_assessment_request_goes_out_but_the_assessment_is_owed() -> None:
    state = opened()
    withdraw(state, P.DATA_SHARING)
    messages = transitions.apply_stage1(state, decision(), LATER + timedelta(hours=1))
    assert not [m for m in messages if getattr(m, "template", "") == "assessment_request"]
    assert state.open_obligation(K.NEEDS_RISKS_ASSESSMENT) is not None
    assert state.consents_to(P.REFERRAL) and not state.consents_to(P.DATA_SHARING)


def test_an_adult_withdrawing_consent_to_referral_ends_the_pending_decision_and_keeps_the_protection() -> None:
    state = presumed_victim()
    owed = {o.id for o in state.open_obligations} - {K.STAGE2_DECISION.value}
    withdraw(state, P.REFERRAL, P.MONITORING)  # several purposes in one step
    stage2 = state.obligations[K.STAGE2_DECISION.value]
    assert stage2.lapsed and stage2.evidence == lifecycle.REFERRAL_WITHDRAWN
    assert {o.id for o in state.open_obligations} == owed  # support owed stays owed
    assert state.removal_suspended and state.rr is not None and state.stage is Stage.PRESUMED_VICTIM
    with pytest.raises(WrongStage, match="the person withdrew consent to referral"):
        transitions.check_stage2(state, decision(), LATER)
    assert [w.purpose for w in state.consent_withdrawals] == [P.REFERRAL, P.MONITORING]


def test_refusals() -> None:
    state = opened()
    withdraw(state, P.MONITORING)
    with pytest.raises(WrongStage, match="consent for monitoring is withdrawn already"):
        withdraw(state, P.MONITORING)
    with pytest.raises(InvalidRequest, match="each purpose is named once"):
        withdraw(state, P.DATA_SHARING, P.DATA_SHARING)
    with pytest.raises(WrongStage, match="the referral of a child cannot be withdrawn"):
        withdraw(opened(child=True), P.REFERRAL)
    with pytest.raises(WrongStage, match="consent to referral was never given"):
        withdraw(opened(consent_to_referral=False), P.REFERRAL)
    authority = Actor(role=Role.COMPETENT_AUTHORITY, id="ca-1")
    with pytest.raises(NotAuthorized, match="role competent_authority may not record a withdrawal of consent"):
        lifecycle.check_withdrawal(state, ConsentWithdrawalRequest(actor=authority, purposes=[P.DATA_SHARING]))
    with pytest.raises(ValidationError):
        ConsentWithdrawalRequest(actor=SUPPORT, purposes=[])
