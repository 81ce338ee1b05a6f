"""Children from the first moment, on the seconds-scale policy: what a child case owes from referral, the Golden Day,
no Stage 1 before a guardian advocate, the child's views with each decision, letters never to an unsafe family."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType

from domain.case import Stage
from domain.requests import ProvideRequest
from starter.client import NrmClient, Refused
from tests.conftest import FAST_POLICY, eventually
from tests.integration.helpers import (
    AUTHORITY,
    COORDINATOR,
    FIRST_RESPONDER,
    child_referral,
    decision,
    history_events,
    outbox_messages,
)

PARENT = {"email": "parent-sentinel@example.org", "language": "uk"}  # a parent: the family may be the exploiter
VIEWS = "wants to stay with her aunt; afraid of the man who brought her"


async def updates_in_history(nrm: NrmClient, ref: str) -> int:
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    return sum(1 for e in await history_events(nrm.client, ref) if e.event_type == accepted)


async def test_a_child_is_owed_safeguards_from_referral_and_stage1_waits_for_a_guardian_advocate(
    nrm: NrmClient, finish: list[str]
) -> None:
    ref = await nrm.open_case(child_referral(guardian=PARENT), FIRST_RESPONDER, policy=FAST_POLICY)
    finish.append(ref)
    status = await nrm.status(ref)
    assert status.stage is Stage.STAGE1_PENDING and status.referred_at is not None
    owed = {d.kind: (d.owner_role, d.due_at - status.referred_at) for d in status.deadlines}
    assert owed == {
        "stage1_decision": ("competent_authority", timedelta(seconds=4)),
        "guardian_advocate": ("coordinator", timedelta(seconds=3)),
        "best_interests_assessment": ("child_protection", timedelta(seconds=4)),
        "legal_guardian": ("child_protection", timedelta(seconds=8)),  # no finding that the family is safe
        "golden_day_plan": ("child_protection", timedelta(seconds=2)),
    }
    assert status.golden_day_until == status.referred_at + timedelta(seconds=20)  # apart from the assessment
    outbox = nrm.settings.outbox_path

    async def requested():
        return [m for m in outbox_messages(outbox, ref) if m["X-NRM-Kind"] == "assessment_request"]

    [request] = await eventually(requested)  # the best-interests assessment is requested at referral
    assert request["To"] == "child-protection@nrm.invalid"

    before = await updates_in_history(nrm, ref)
    views = decision(actor=AUTHORITY, child_views=VIEWS)
    with pytest.raises(Refused, match="before a guardian advocate is recorded"):
        await nrm.decide_stage1(ref, views)
    guardian_advocate = ProvideRequest(actor=COORDINATOR, kind="guardian_advocate", evidence="GA-7 allocated")
    await nrm.provide(ref, guardian_advocate)
    with pytest.raises(Refused, match="records the child's views"):
        await nrm.decide_stage1(ref, decision(actor=AUTHORITY))
    assert await updates_in_history(nrm, ref) == before + 1  # the refusals wrote nothing: only the provision

    await nrm.decide_stage1(ref, views)
    status = await nrm.status(ref)
    assert status.stage is Stage.PRESUMED_VICTIM
    assert status.decisions[-1].child_views == VIEWS
    kinds = [d.kind for d in status.deadlines]
    assert kinds.count("guardian_advocate") == 1 and kinds.count("best_interests_assessment") == 1  # not owed twice

    async def letters():
        return [m for m in outbox_messages(outbox, ref) if m["X-NRM-Kind"] == "decision_letter"]

    [letter] = await eventually(letters)
    assert letter["To"] == "guardian-advocate@nrm.invalid"  # never the parent without a finding that it is safe
    assert PARENT["email"] not in letter.as_string()


async def test_a_childs_letter_goes_to_the_family_only_after_it_is_found_safe(
    nrm: NrmClient, finish: list[str]
) -> None:
    ref = await nrm.open_case(child_referral(guardian=PARENT, family_safe=True), FIRST_RESPONDER, policy=FAST_POLICY)
    finish.append(ref)
    status = await nrm.status(ref)
    assert "legal_guardian" not in {d.kind for d in status.deadlines}  # safe family care: no legal guardian owed
    await nrm.provide(ref, ProvideRequest(actor=COORDINATOR, kind="guardian_advocate", evidence="GA-8 allocated"))
    await nrm.decide_stage1(ref, decision(actor=AUTHORITY, child_views=VIEWS))

    async def letters():
        found = outbox_messages(nrm.settings.outbox_path, ref)
        return [m for m in found if m["X-NRM-Kind"] == "decision_letter"]

    [letter] = await eventually(letters)
    assert letter["To"] == PARENT["email"]


async def test_an_adults_decision_needs_no_guardian_advocate_nor_views(nrm: NrmClient, finish: list[str]) -> None:
    ref = await nrm.open_case(
        child_referral(declared_child=False, consent_to_referral=True), FIRST_RESPONDER, policy=FAST_POLICY
    )
    finish.append(ref)
    status = await nrm.status(ref)
    assert [d.kind for d in status.deadlines] == ["stage1_decision"] and status.golden_day_until is None
    await nrm.decide_stage1(ref, decision(actor=AUTHORITY))
    assert (await nrm.status(ref)).stage is Stage.PRESUMED_VICTIM
