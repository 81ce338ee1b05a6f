"""A full child path on the seconds-scale policy: the child's Stage 1 window, reminders in the outbox, both stages."""

from __future__ import annotations

from datetime import timedelta

from pytest import approx

from domain.case import Stage
from domain.status import DeadlineState
from starter.client import NrmClient
from tests.conftest import FAST_POLICY, eventually
from tests.integration.helpers import (
    AUTHORITY,
    FIRST_RESPONDER,
    child_decision,
    child_referral,
    guardian_advocate_allocated,
    outbox_messages,
    published_deadlines,
    timer_offsets,
)

SENTINEL_NAME = "Zyxwv Sentinel-Person"


def met_state(deadline) -> DeadlineState:
    """Whether a decision was in time depends on the machine's speed; the state must agree with the times."""
    return DeadlineState.MET if deadline.fulfilled_at <= deadline.due_at else DeadlineState.MET_LATE


async def test_child_path_with_reminders_and_both_stages(nrm: NrmClient) -> None:
    referral = child_referral(person={"name": SENTINEL_NAME, "date_of_birth": "2011-05-04"})
    ref = await nrm.open_case(referral, FIRST_RESPONDER, policy=FAST_POLICY)
    status = await nrm.status(ref)
    assert status.stage is Stage.STAGE1_PENDING and status.is_child
    [stage1] = [d for d in status.deadlines if d.kind == "stage1_decision"]
    assert stage1.due_at - status.referred_at == timedelta(seconds=4)  # the child's window, not the adult's 6 s
    assert ("stage1_decision", stage1.due_at) in (await published_deadlines(nrm.client, ref))[0]
    # the alarm: the first reminder of all, half-way to the Golden Day plan owed 2 s after referral
    assert await timer_offsets(nrm.client, ref, status.referred_at) == approx([1.0], abs=0.05)

    outbox = nrm.settings.outbox_path

    async def reminded(kind: str):
        return [m for m in outbox_messages(outbox, ref) if m["X-NRM-Kind"] == "reminder" and kind in m["Subject"]]

    [reminder] = await eventually(lambda: reminded("Stage 1 decision"), timeout=15)
    assert reminder["To"] == "competent-authority@nrm.invalid"
    subject = " ".join(reminder["Subject"].split())  # the header is folded
    assert subject.startswith(f"Reminder: Stage 1 decision (reasonable grounds) for case {ref} is due ")
    assert reminder["X-NRM-Alert"] == f"{ref}/stage1_decision/v0/reminder-1"
    assert SENTINEL_NAME not in reminder.as_string() and "2011" not in reminder.as_string()

    # The fast policy delegates Stage 1 to first responders, as the OSCE model does; a guardian advocate first.
    await guardian_advocate_allocated(nrm, ref)
    await nrm.decide_stage1(ref, child_decision(actor=FIRST_RESPONDER, reasons="indicators of sexual exploitation"))
    status = await nrm.status(ref)
    assert status.stage is Stage.PRESUMED_VICTIM and status.removal_suspended
    stage1 = next(d for d in status.deadlines if d.kind == "stage1_decision")
    assert stage1.state is met_state(stage1) and stage1.fulfilled_by == str(FIRST_RESPONDER)
    assert status.rr is not None and status.rr.end - status.rr.start == timedelta(seconds=8)
    stage2 = next(d for d in status.deadlines if d.kind == "stage2_decision")
    assert stage2.due_at == status.rr.end

    await eventually(lambda: reminded("Stage 2 decision"), timeout=15)
    await nrm.decide_stage2(
        ref,
        child_decision(
            actor=AUTHORITY, reasons="balance of probabilities met", evidence="guardian interview", informed_in="uk"
        ),
    )
    status = await nrm.status(ref)
    assert status.stage is Stage.CONFIRMED_VICTIM
    assert [(d.act, d.outcome, d.actor) for d in status.decisions] == [
        ("stage1_decision", "positive", FIRST_RESPONDER),
        ("stage2_decision", "positive", AUTHORITY),
    ]
    assert [d.informed_in for d in status.decisions] == ["ro", "uk"]  # the referral's language unless given
    assert any(("stage2_decision", stage2.due_at) in p for p in await published_deadlines(nrm.client, ref))
