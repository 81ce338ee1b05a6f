"""Provisions and assessments after a positive Stage 1: which are owed, by whom, by when; fulfilment, waivers,
late records, assessment reviews; and the refusals, each with the message a coordinator reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from domain import transitions
from domain.case import CaseState
from domain.case import ObligationKind as K
from domain.errors import DomainError, PolicyError
from domain.policy import parse_policy
from domain.requests import AssessmentResult, AssessRequest, ProvideRequest
from domain.roles import Actor, Role
from domain.status import DeadlineState, deadline_state
from tests.integration.helpers import decision
from tests.unit.builders import OSCE, T0, opened
from tests.unit.test_policy import VALID

DECIDED = T0 + timedelta(days=1)
SUPPORT = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
CHILD_PROTECTION = Actor(role=Role.CHILD_PROTECTION, id="cp-1")
ADULT_KINDS = {
    K.NRM_REFERRAL,
    K.RR_GRANTED,
    K.INDEPENDENT_ADVOCATE,
    K.NEEDS_RISKS_ASSESSMENT,
    K.SAFETY_SUPPORT_PLAN,
    K.URGENT_HEALTHCARE,
    K.EMERGENCY_KIT,
    K.ACCOMMODATION,
    K.LEGAL_ADVICE,
}
CHILD_KINDS = {
    K.CHILD_PROTECTION_REFERRAL,
    K.RR_GRANTED,
    K.URGENT_HEALTHCARE,
    K.PRACTICAL_NEEDS,
    K.ACCOMMODATION,
}
FROM_ENTRY = {K.GUARDIAN_ADVOCATE, K.BEST_INTERESTS_ASSESSMENT, K.LEGAL_GUARDIAN, K.GOLDEN_DAY_PLAN}


def positive(child: bool = False, **overrides) -> CaseState:
    state = opened(child=child, **overrides)
    transitions.apply_stage1(state, decision(), DECIDED)
    return state


def owed(state: CaseState) -> dict[K, tuple[Role, timedelta]]:
    return {o.kind: (o.owner_role, o.due_at - DECIDED) for o in state.open_obligations if not o.kind.is_decision}


def test_an_adult_is_owed_the_48_hour_list() -> None:
    got = owed(positive())
    assert set(got) == ADULT_KINDS
    assert {due for _, due in got.values()} == {timedelta(hours=48)}
    assert got[K.RR_GRANTED][0] is Role.COMPETENT_AUTHORITY and got[K.NRM_REFERRAL][0] is Role.COORDINATOR
    assert got[K.NEEDS_RISKS_ASSESSMENT][0] is Role.SUPPORT_PROVIDER


def test_a_child_is_owed_the_24_hour_list_after_stage1_besides_what_is_owed_from_entry() -> None:
    got = owed(positive(child=True))
    assert set(got) == CHILD_KINDS | FROM_ENTRY
    assert {due for kind, (_, due) in got.items() if kind in CHILD_KINDS} == {timedelta(hours=24)}
    # owed from the referral (T0), a day before the decision: never again from the decision
    assert got[K.GUARDIAN_ADVOCATE] == (Role.COORDINATOR, timedelta(hours=24) - (DECIDED - T0))
    assert got[K.BEST_INTERESTS_ASSESSMENT] == (Role.CHILD_PROTECTION, timedelta(hours=48) - (DECIDED - T0))


def test_a_policy_without_provisions_owes_only_stage2() -> None:
    bare = parse_policy(VALID, source="bare.toml")
    assert bare.provisions.adult == () and bare.assessments == ()
    state = opened(policy=bare)
    transitions.apply_stage1(state, decision(), DECIDED)
    assert [o.kind for o in state.open_obligations] == [K.STAGE2_DECISION]


def provide(kind: K, actor: Actor = SUPPORT, **fields) -> ProvideRequest:
    fields.setdefault("evidence", "done, file 12")
    return ProvideRequest(actor=actor, kind=kind.value, **fields)


def record(state: CaseState, request: ProvideRequest, now):
    transitions.check_provide(state, request, now)
    assert transitions.apply_provide(state, request, now) == []
    return state.obligations[request.kind]


def test_a_provision_on_time_late_and_not_needed() -> None:
    state = positive()
    now = DECIDED + timedelta(hours=3)
    ob = record(state, provide(K.LEGAL_ADVICE, when=DECIDED + timedelta(hours=2)), now)
    assert (ob.fulfilled_at, ob.recorded_at, ob.fulfilled_by, ob.evidence) == (
        DECIDED + timedelta(hours=2),
        now,
        SUPPORT,
        "done, file 12",
    )
    assert deadline_state(ob, OSCE, now) is DeadlineState.MET

    late_at = DECIDED + timedelta(hours=50)
    late = record(state, provide(K.EMERGENCY_KIT), late_at)
    assert late.fulfilled_at == late_at and deadline_state(late, OSCE, late_at) is DeadlineState.MET_LATE

    waived = record(state, provide(K.ACCOMMODATION, evidence="", not_needed_reason="lives with her sister"), now)
    assert waived.waived and waived.evidence == "lives with her sister"
    assert deadline_state(waived, OSCE, now) is DeadlineState.WAIVED


NOW = DECIDED + timedelta(hours=1)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            ProvideRequest(actor=SUPPORT, kind="pony", evidence="x"),
            "unknown obligation kind 'pony' (open in case NRM-0000-0001: stage2_decision, nrm_referral, rr_granted, "
            "independent_advocate, needs_risks_assessment, safety_support_plan, urgent_healthcare, emergency_kit, "
            "accommodation, legal_advice)",
        ),
        (
            provide(K.LEGAL_GUARDIAN),
            "case NRM-0000-0001 has no open legal_guardian obligation (open: stage2_decision, "
            "nrm_referral, rr_granted, independent_advocate, needs_risks_assessment, safety_support_plan, "
            "urgent_healthcare, emergency_kit, accommodation, legal_advice)",
        ),
        (
            provide(K.LEGAL_ADVICE, Actor(role=Role.COORDINATOR, id="co-1")),
            "role coordinator may not record legal_advice: it is owed by support_provider",
        ),
        (
            provide(K.LEGAL_ADVICE, Actor(role=Role.AUDITOR, id="au-1")),
            "role auditor may not record a provision; allowed: child_protection, competent_authority, coordinator, "
            "first_responder, guardian_advocate, immigration_authority, legal_representative, "
            "receiving_support_provider, review_panel, support_provider",
        ),
        (
            provide(K.LEGAL_ADVICE, when=NOW + timedelta(minutes=5)),
            f"the time legal_advice was done, {(NOW + timedelta(minutes=5)).isoformat()}, is in the future",
        ),
        (
            provide(K.LEGAL_ADVICE, when=DECIDED - timedelta(minutes=1)),
            f"the time legal_advice was done, {(DECIDED - timedelta(minutes=1)).isoformat()}, is before the obligation "
            f"existed ({DECIDED.isoformat()})",
        ),
        (
            provide(K.LEGAL_ADVICE, evidence="", not_needed_reason="has a lawyer"),
            "the policy does not allow recording legal_advice as not needed",
        ),
        (
            provide(K.ACCOMMODATION, not_needed_reason="has a flat"),
            "give either an evidence note or a reason it is not needed, not both",
        ),
        (
            provide(K.LEGAL_ADVICE, evidence="  "),
            "recording legal_advice needs an evidence note (what was done, reference)",
        ),
        (provide(K.STAGE2_DECISION), "stage2_decision is recorded by a decision: use `nrm case decide`"),
        (
            provide(K.NEEDS_RISKS_ASSESSMENT),
            "needs_risks_assessment is an assessment: record its result with `nrm case assess`",
        ),
    ],
)
def test_a_bad_provision_is_refused(request_: ProvideRequest, message: str) -> None:
    state = positive()
    before = state.model_copy(deep=True)
    with pytest.raises(DomainError) as caught:
        transitions.check_provide(state, request_, NOW)
    assert str(caught.value) == message
    assert state == before


def test_times_without_a_zone_are_refused_by_the_request_models() -> None:
    with pytest.raises(ValidationError, match="when\n  Input should have timezone info"):
        provide(K.LEGAL_ADVICE, when=NOW.replace(tzinfo=None))
    with pytest.raises(ValidationError, match="completed_at\n  Input should have timezone info"):
        AssessmentResult(completed_at=NOW.replace(tzinfo=None), summary="s", next_review=NOW + timedelta(days=30))
    with pytest.raises(ValidationError, match="next_review\n  Input should have timezone info"):
        AssessmentResult(completed_at=NOW, summary="s", next_review=(NOW + timedelta(days=30)).replace(tzinfo=None))


def test_a_provision_already_recorded_is_not_open_any_more() -> None:
    state = positive()
    record(state, provide(K.LEGAL_ADVICE), NOW)
    with pytest.raises(DomainError, match="has no open legal_advice obligation"):
        transitions.check_provide(state, provide(K.LEGAL_ADVICE), NOW)


def assess(kind: K, actor: Actor = SUPPORT, completed=DECIDED + timedelta(hours=20), next_review=None) -> AssessRequest:
    return AssessRequest(
        actor=actor,
        kind=kind.value,
        result=AssessmentResult(
            completed_at=completed,
            summary="needs: shelter, counselling; risk: medium",
            next_review=next_review or completed + timedelta(days=90),
        ),
    )


def test_an_assessment_result_owes_its_next_review() -> None:
    state = positive()
    now = DECIDED + timedelta(hours=30)
    request = assess(K.NEEDS_RISKS_ASSESSMENT)
    transitions.check_assess(state, request, now)
    [sent] = transitions.apply_assess(state, request, now)
    review = state.obligations["needs_risks_assessment#2"]
    assert (sent.obligation_id, review.requested_at) == (review.id, now)  # the review is requested at once
    first = state.obligations["needs_risks_assessment"]
    assert (first.fulfilled_at, first.recorded_at, first.is_open) == (request.result.completed_at, now, False)
    assert (review.id, review.kind, review.owner_role) == (
        "needs_risks_assessment#2",
        K.NEEDS_RISKS_ASSESSMENT,
        Role.SUPPORT_PROVIDER,
    )
    assert (review.window_start, review.due_at) == (now, request.result.next_review)
    [rec] = state.assessments
    assert (rec.obligation_id, rec.next_obligation_id, rec.actor) == (
        "needs_risks_assessment",
        "needs_risks_assessment#2",
        SUPPORT,
    )
    again = assess(K.NEEDS_RISKS_ASSESSMENT, completed=now + timedelta(days=80))
    transitions.check_assess(state, again, now + timedelta(days=81))
    [sent] = transitions.apply_assess(state, again, now + timedelta(days=81))
    assert sent.obligation_id == "needs_risks_assessment#3"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            assess(K.NEEDS_RISKS_ASSESSMENT, next_review=DECIDED + timedelta(hours=20, days=93)),
            f"the date of next review, {(DECIDED + timedelta(hours=20, days=93)).isoformat()}, is later than the "
            "policy allows: needs_risks_assessment is reviewed at most 92 days after the assessment",
        ),
        (
            assess(K.NEEDS_RISKS_ASSESSMENT, next_review=DECIDED + timedelta(hours=21)),
            f"the date of next review, {(DECIDED + timedelta(hours=21)).isoformat()}, is not in the future",
        ),
        (
            assess(K.NEEDS_RISKS_ASSESSMENT, Actor(role=Role.CHILD_PROTECTION, id="cp-1")),
            "role child_protection may not record needs_risks_assessment: it is owed by support_provider",
        ),
        (assess(K.LEGAL_ADVICE), "legal_advice is not an assessment: record it with `nrm case provide`"),
        (
            assess(K.BEST_INTERESTS_ASSESSMENT),
            "case NRM-0000-0001 has no open best_interests_assessment obligation "
            "(open: stage2_decision, nrm_referral, rr_granted, independent_advocate, needs_risks_assessment, "
            "safety_support_plan, urgent_healthcare, emergency_kit, accommodation, legal_advice)",
        ),
    ],
)
def test_a_bad_assessment_is_refused(request_: AssessRequest, message: str) -> None:
    state = positive()
    with pytest.raises(DomainError) as caught:
        transitions.check_assess(state, request_, DECIDED + timedelta(hours=30))
    assert str(caught.value) == message


PROVISIONS = """
[provisions]
adult = [{ kind = "legal_advice", owner = "support_provider" }]
"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            PROVISIONS.replace("legal_advice", "needs_risks_assessment"),
            "t.toml: (top level): Value error, assessments: no max_review_interval for needs_risks_assessment "
            "(listed as a provision)",
        ),
        (
            PROVISIONS.replace('owner = "support_provider"', 'owner = "support_provider", only_if = "unaccompanied"'),
            "t.toml: provisions.adult: Value error, only_if applies to the child list only",
        ),
        (
            PROVISIONS.replace("legal_advice", "stage2_decision"),
            "t.toml: provisions.adult.0.kind: Value error, stage2_decision is a decision, not a provision",
        ),
        (
            PROVISIONS.replace("support_provider", "auditor"),
            "t.toml: provisions.adult.0.owner: Value error, an auditor never owes a provision",
        ),
        (
            PROVISIONS.replace("}]", '}, { kind = "legal_advice", owner = "coordinator" }]'),
            "t.toml: provisions.adult: Value error, listed twice: legal_advice",
        ),
        (
            '[[assessments]]\nkind = "legal_advice"\nmax_review_interval = "P92D"\n',
            "t.toml: assessments.0.kind: Value error, legal_advice is not an assessment; assessments are: "
            "best_interests_assessment, needs_risks_assessment, safety_support_plan",
        ),
    ],
)
def test_a_broken_provision_list_is_named_in_the_error(extra: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(VALID + extra, source="t.toml")
    assert str(caught.value) == message
