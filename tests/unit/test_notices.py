"""Who a decision letter goes to (a child's never to the child), in which language, with which rights; and how
a permanently undeliverable message is recorded and escalated."""

from __future__ import annotations

from datetime import timedelta

from domain import transitions
from domain.case import Outcome
from domain.notices import Recipients, Right, decision_letter, record_delivery_failure
from domain.roles import Role
from tests.integration.helpers import decision
from tests.unit.builders import T0, opened

DECIDED = T0 + timedelta(days=1)


def decided(outcome: str = "positive", child: bool = False, **overrides):
    state = opened(child=child, **overrides)
    transitions.apply_stage1(state, decision(outcome), DECIDED)
    return state


def test_an_adult_gets_the_letter_at_her_address_in_her_language() -> None:
    letter = decision_letter(decided(person={"email": "a@example.org"}))
    assert letter.recipients == Recipients(addresses=["a@example.org"])
    assert (letter.language, letter.to_guardian, letter.by_hand, letter.stage) == ("ro", False, False, 1)
    assert letter.rights == [Right.RECOVERY_REFLECTION, Right.LEGAL_ADVICE]
    assert letter.rr_end == DECIDED + timedelta(days=90)
    assert letter.key == "NRM-0000-0001/letter/1-stage1_decision"


def test_without_an_address_the_support_provider_hands_it_over() -> None:
    letter = decision_letter(decided("negative"))
    assert letter.recipients == Recipients(roles=[Role.SUPPORT_PROVIDER]) and letter.by_hand
    assert letter.rights == [Right.RECONSIDERATION, Right.APPEAL, Right.LEGAL_ADVICE] and letter.rr_end is None


def test_a_childs_letter_goes_to_the_legal_guardian_in_the_guardians_language_never_to_the_child() -> None:
    guardian = {"email": "guardian@example.org", "language": "uk", "relation": "legal_guardian"}
    letter = decision_letter(decided(child=True, person={"email": "child@example.org"}, guardian=guardian))
    assert letter.recipients == Recipients(addresses=["guardian@example.org"])
    assert (letter.language, letter.to_guardian) == ("uk", True)


def test_a_parent_gets_the_childs_letter_only_after_a_finding_that_the_family_is_safe() -> None:
    parent = {"email": "parent@example.org", "language": "uk"}  # a parent by default
    unsafe = decision_letter(decided(child=True, guardian=parent))  # the family may be the exploiter
    assert unsafe.recipients == Recipients(roles=[Role.GUARDIAN_ADVOCATE]) and unsafe.by_hand
    assert "parent@example.org" not in unsafe.model_dump_json()
    safe = decision_letter(decided(child=True, guardian=parent, family_safe=True))
    assert safe.recipients == Recipients(addresses=["parent@example.org"]) and safe.language == "uk"


def test_a_child_without_a_known_guardian_gets_letters_through_the_guardian_advocate() -> None:
    letter = decision_letter(decided(child=True, person={"email": "child@example.org"}))
    assert letter.recipients == Recipients(roles=[Role.GUARDIAN_ADVOCATE])
    assert letter.to_guardian and letter.by_hand and "child@example.org" not in letter.model_dump_json()


def test_a_stage2_letter_follows_the_stage2_decision() -> None:
    state = decided()
    transitions.apply_stage2(state, decision("negative"), DECIDED + timedelta(days=30))
    letter = decision_letter(state)
    assert (letter.stage, letter.outcome, letter.key) == (2, Outcome.NEGATIVE, "NRM-0000-0001/letter/2-stage2_decision")


def test_an_undeliverable_message_is_recorded_and_escalated_once() -> None:
    state = decided()
    now = DECIDED + timedelta(hours=1)
    escalation = record_delivery_failure(state, "NRM-0000-0001/letter/1", "decision_letter", "refused (550)", now)
    assert escalation is not None and escalation.recipients == Recipients(roles=[Role.COORDINATOR])
    assert (escalation.failed_key, escalation.key) == ("NRM-0000-0001/letter/1", "NRM-0000-0001/delivery-failure/1")
    assert record_delivery_failure(state, escalation.key, "delivery_failure", "refused (550)", now) is None
    assert [(f.what, f.escalated_to) for f in state.delivery_failures] == [
        ("decision_letter", Role.COORDINATOR),
        ("delivery_failure", None),
    ]
