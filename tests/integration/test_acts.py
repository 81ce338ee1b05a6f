"""Acts that succeed: consent given later, idempotent repeats by request id, and finding cases by visibility."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType

from domain.case import Stage
from domain.requests import ConsentRequest, ProvideRequest
from starter.client import NrmClient, Refused
from tests.conftest import FAST_POLICY, eventually
from tests.integration.helpers import (
    AUTHORITY,
    COORDINATOR,
    FIRST_RESPONDER,
    adult_referral,
    child_referral,
    decision,
    history_events,
)


async def test_an_adult_without_consent_stays_outside_until_consent_is_recorded(nrm: NrmClient) -> None:
    ref = await nrm.open_case(adult_referral(consent_to_referral=False), FIRST_RESPONDER)
    status = await nrm.status(ref)
    assert status.stage is Stage.OUTSIDE_NRM and status.referred_at is None
    assert status.deadlines == [] and status.next_deadline is None

    result = await nrm.record_consent(ref, ConsentRequest(actor=FIRST_RESPONDER, note="informed, with interpreter"))
    assert result.stage is Stage.STAGE1_PENDING and [d.kind for d in result.open_deadlines] == ["stage1_decision"]
    status = await nrm.status(ref)  # the act returns the case in brief; the query has the whole case
    assert status.stage is Stage.STAGE1_PENDING and status.referred_at is not None
    assert status.next_deadline is not None and status.next_deadline.kind == "stage1_decision"
    assert status.next_deadline.due_at - status.referred_at == timedelta(days=5)
    [record] = status.decisions
    assert (record.act, record.outcome, record.actor, record.reasons) == (
        "record_consent",
        "consent given",
        FIRST_RESPONDER,
        "informed, with interpreter",
    )


async def test_the_same_request_id_acts_once_and_refuses_another_act(nrm: NrmClient) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    first = await nrm.decide_stage1(ref, decision(reasons="first"), request_id="req-stage1-1")
    again = await nrm.decide_stage1(ref, decision(reasons="first"), request_id="req-stage1-1")
    assert not first.repeated and again.repeated
    assert again.model_dump(exclude={"as_of", "repeated"}) == first.model_dump(exclude={"as_of", "repeated"})
    with pytest.raises(Refused, match=r"^request id 'req-stage1-1' was already used for another act in case "):
        await nrm.decide_stage1(ref, decision("negative", reasons="changed"), request_id="req-stage1-1")
    with pytest.raises(Refused, match=r"^request id 'req-stage1-1' was already used for another act"):
        await nrm.provide(
            ref, ProvideRequest(actor=COORDINATOR, kind="nrm_referral", evidence="referred"), request_id="req-stage1-1"
        )
    status = await nrm.status(ref)
    assert status.stage is Stage.PRESUMED_VICTIM and [d.reasons for d in status.decisions] == ["first"]
    assert next(d for d in status.deadlines if d.kind == "nrm_referral").state.value == "open"
    types = [e.event_type for e in await history_events(nrm.client, ref)]
    assert types.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) == 1
    assert types.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED) == 1


async def test_two_authorities_deciding_at_once_under_one_request_id_learn_whose_act_was_applied(
    nrm: NrmClient,
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    outcomes = await asyncio.gather(
        nrm.decide_stage1(ref, decision("positive", reasons="grounds found"), request_id="form-118"),
        nrm.decide_stage1(ref, decision("negative", reasons="no grounds"), request_id="form-118"),
        return_exceptions=True,
    )
    applied = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, Refused)]
    assert len(applied) == 1 and len(refused) == 1 and not applied[0].repeated, outcomes
    [record] = (await nrm.status(ref)).decisions
    assert applied[0].stage is (Stage.PRESUMED_VICTIM if record.outcome == "positive" else Stage.STAGE1_NEGATIVE)


async def test_cases_list_filters(nrm: NrmClient) -> None:
    adult = await nrm.open_case(adult_referral(), FIRST_RESPONDER)  # Stage 1 due in 5 days
    child = await nrm.open_case(child_referral(), FIRST_RESPONDER)  # Stage 1 due in 48 hours
    presumed = await nrm.open_case(adult_referral(), FIRST_RESPONDER)  # provisions due in 48 h (after child's)
    await nrm.decide_stage1(presumed, decision(actor=AUTHORITY))
    soon = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=FAST_POLICY)  # Stage 1 due in 6 s
    mine = [soon, child, presumed, adult]  # soonest deadline first

    async def listed(expected: list[str], **filters) -> None:
        """Visibility is eventually consistent: wait until the filter shows exactly `expected` of these cases."""

        async def check():
            refs = [r.reference for r in await nrm.list_cases(**filters) if r.reference in mine]
            return refs == expected

        await eventually(check, timeout=20)

    await listed(mine)
    rows = {r.reference: r for r in await nrm.list_cases() if r.reference in mine}
    assert rows[presumed].stage == "presumed_victim" and rows[presumed].next_deadline_kind == "nrm_referral"
    assert rows[child].is_child and not rows[adult].is_child and rows[soon].jurisdiction == "test-fast"
    assert all(rows[r].running and rows[r].breaches == 0 for r in (adult, child, presumed))

    for filters, expected in [
        ({"stage": Stage.PRESUMED_VICTIM}, [presumed]),
        ({"stage": Stage.STAGE1_PENDING}, [soon, child, adult]),
        ({"child": True}, [child]),
        ({"child": False}, [soon, presumed, adult]),
        ({"due_within": timedelta(days=3)}, [soon, child, presumed]),
        ({"due_within": timedelta(days=6), "child": False}, [soon, presumed, adult]),
        ({"overdue": True}, [soon]),  # the fast case's Stage 1 falls due 6 s after it opened
    ]:
        await listed(expected, **filters)
