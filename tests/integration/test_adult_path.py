"""A full adult path on the seconds-scale policy: reminders, escalation, R&R auto-extension, Stage 2."""

from __future__ import annotations

from datetime import timedelta

from domain.case import Stage
from domain.status import DeadlineState
from starter.client import NrmClient
from tests.conftest import FAST_POLICY, eventually
from tests.integration.helpers import (
    AUTHORITY,
    FIRST_RESPONDER,
    adult_referral,
    decision,
    outbox_messages,
    timer_offsets,
)


async def test_adult_path_with_reminders_escalation_and_auto_extension(nrm: NrmClient) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=FAST_POLICY)
    status = await nrm.status(ref)
    assert status.stage is Stage.STAGE1_PENDING
    stage1 = status.deadlines[0]
    assert stage1.due_at - status.referred_at == timedelta(seconds=6)

    async def escalated():
        s = await nrm.status(ref)
        return s if s.breach_count == 1 else None

    status = await eventually(escalated, timeout=20)
    assert status.deadlines[0].state is DeadlineState.OVERDUE

    async def delivered() -> list[str] | None:  # the breach is recorded before its escalation is delivered
        kinds = [m["X-NRM-Kind"] for m in outbox_messages(nrm.settings.outbox_path, ref)]
        return kinds if len(kinds) >= 3 else None

    assert await eventually(delivered, timeout=20) == ["reminder", "reminder", "escalation"]
    assert 6.0 in await timer_offsets(nrm.client, ref, status.referred_at)

    status = await nrm.decide_stage1(ref, decision())
    assert status.stage is Stage.PRESUMED_VICTIM
    assert status.rr is not None and status.rr.end - status.rr.start == timedelta(seconds=8)
    assert (await nrm.status(ref)).deadlines[0].state is DeadlineState.MET_LATE

    async def auto_extended():
        s = await nrm.status(ref)
        return s if s.rr and s.rr.extensions else None

    status = await eventually(auto_extended, timeout=20)
    ext = status.rr.extensions[0]
    assert ext.automatic and ext.new_end - ext.previous_end == timedelta(seconds=6)
    assert status.removal_suspended
    assert status.stage is Stage.PRESUMED_VICTIM

    assert (await nrm.decide_stage2(ref, decision(actor=AUTHORITY))).stage is Stage.CONFIRMED_VICTIM
    assert [d.act for d in (await nrm.status(ref)).decisions] == ["stage1_decision", "stage2_decision"]
