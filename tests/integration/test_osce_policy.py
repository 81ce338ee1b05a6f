"""The real OSCE model policy (the default): the due times the workflow computed, read from its status, from the
deadlines its history publishes and from its one alarm. Nothing fires here; the times are asserted, not waited
for."""

from __future__ import annotations

from datetime import timedelta

from pytest import approx

from domain.case import Stage
from domain.requests import ExtendRRRequest
from starter.client import NrmClient
from tests.integration.helpers import (
    AUTHORITY,
    FIRST_RESPONDER,
    adult_referral,
    child_referral,
    decision,
    published_deadlines,
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
    # The deadline in the history, and the one alarm: the first reminder (half-way); the due time's comes later.
    assert await published_deadlines(nrm.client, adult) == [[("stage1_decision", adult_status.deadlines[0].due_at)]]
    assert await timer_offsets(nrm.client, adult, adult_status.referred_at) == approx([2.5 * DAY], abs=0.05)
    # a child's first wakeup: the reminder half-way to the Golden Day plan, owed 4 hours after referral
    assert await timer_offsets(nrm.client, child, child_status.referred_at) == approx([DAY / 12], abs=0.05)

    status = await nrm.decide_stage1(adult, decision())
    assert status.stage is Stage.PRESUMED_VICTIM and status.rr is not None
    assert status.rr.end - status.rr.start == timedelta(days=90)
    stage2 = next(d for d in status.open_deadlines if d.kind == "stage2_decision")
    assert stage2.due_at == status.rr.end
    published = await published_deadlines(nrm.client, adult)
    assert ("stage2_decision", stage2.due_at) in published[-1] and len(published[-1]) == 1 + 9  # and 9 provisions
    # The alarm moved from Stage 1's reminder to the nearest new wakeup: the provisions' first reminder (24 h).
    assert (await timer_durations(nrm.client, adult))[-1] == 1 * DAY

    status = await nrm.extend_rr(
        adult, ExtendRRRequest(actor=AUTHORITY, reasons="medical treatment ongoing", extend_by=timedelta(days=30))
    )
    assert status.rr is not None and status.rr.end - status.rr.start == timedelta(days=120)
    stage2 = next(d for d in status.open_deadlines if d.kind == "stage2_decision")
    assert stage2.due_at == status.rr.end
    # The history publishes the new Stage 2 due time, to the microsecond; the alarm stays where it was.
    assert ("stage2_decision", stage2.due_at) in (await published_deadlines(nrm.client, adult))[-1]
    assert len(await timer_fire_times(nrm.client, adult)) == 2
