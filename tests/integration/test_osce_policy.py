"""The real OSCE model policy (the default): the due times the workflow computed, read from its status and from
the durable timers in its history. Nothing fires here; the durations are asserted, not waited for."""

from __future__ import annotations

from datetime import timedelta

from domain.case import Stage
from domain.requests import ExtendRRRequest
from starter.client import NrmClient
from tests.integration.helpers import (
    AUTHORITY,
    FIRST_RESPONDER,
    adult_referral,
    child_referral,
    decision,
    timer_durations,
    timer_fire_times,
    timer_offsets,
)

DAY = 86400.0


async def test_osce_due_times_from_status_and_timer_events(nrm: NrmClient) -> None:
    adult = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    child = await nrm.open_case(child_referral(), FIRST_RESPONDER)

    adult_status, child_status = await nrm.status(adult), await nrm.status(child)
    assert adult_status.policy == "osce-model@2024.1" and adult_status.jurisdiction == "osce-model"
    assert adult_status.deadlines[0].due_at - adult_status.referred_at == timedelta(days=5)
    assert child_status.deadlines[0].due_at - child_status.referred_at == timedelta(hours=48)
    # The due timer, and the timer of the first reminder (half-way); the next reminder's starts when it fires.
    assert await timer_offsets(nrm.client, adult, adult_status.referred_at) == [2.5 * DAY, 5 * DAY]
    assert await timer_offsets(nrm.client, child, child_status.referred_at) == [1 * DAY, 2 * DAY]

    status = await nrm.decide_stage1(adult, decision())
    assert status.stage is Stage.PRESUMED_VICTIM and status.rr is not None
    assert status.rr.end - status.rr.start == timedelta(days=90)
    stage2 = next(d for d in status.open_deadlines if d.kind == "stage2_decision")
    assert stage2.due_at == status.rr.end
    assert sorted(await timer_durations(nrm.client, adult))[-2:] == [45 * DAY, 90 * DAY]

    status = await nrm.extend_rr(
        adult, ExtendRRRequest(actor=AUTHORITY, reasons="medical treatment ongoing", extend_by=timedelta(days=30))
    )
    assert status.rr is not None and status.rr.end - status.rr.start == timedelta(days=120)
    stage2 = next(d for d in status.open_deadlines if d.kind == "stage2_decision")
    assert stage2.due_at == status.rr.end
    # The last timer the workflow started is the new Stage 2 due time, to the millisecond.
    fire_times = await timer_fire_times(nrm.client, adult)
    assert abs(max(fire_times) - stage2.due_at) < timedelta(milliseconds=1)
    # Stage 1, Stage 2, Stage 2 after the extension, and the 9 provisions owed after Stage 1: due + first
    # reminder each.
    assert len(fire_times) == 2 + 2 + 2 + 9 * 2
