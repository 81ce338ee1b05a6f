"""An 18th birthday during the R&R period, on the real dev server: a child by the date of birth owes a transition
plan before it, is an adult for new obligations on the day (told to the coordinator, child protection and the
guardian advocate; the next letter goes to the person), keeps child-level support for the policy's time, and then
owes the guardian advocate's handover. The policy (tests/policies.coming_of_age) puts the day 8 s after opening."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from domain.requests import ProvideRequest
from domain.roles import Actor, Role
from plumbing.connection import data_converter
from starter.audit.compliance import Status, evaluate_history
from starter.audit.history import decode_case, fetch_case
from starter.audit.timeline import build as build_timeline
from starter.client import NrmClient
from tests.conftest import eventually
from tests.integration.helpers import (
    FIRST_RESPONDER,
    adult_referral,
    child_decision,
    decision,
    guardian_advocate_allocated,
    outbox_messages,
)
from tests.integration.nrm_cli import run_nrm
from tests.policies import coming_of_age

CHILD_PROTECTION = Actor(role=Role.CHILD_PROTECTION, id="cp-1")
EMAIL = "person@example.org"


def deadline(status, kind: str):  # type: ignore[no-untyped-def]
    return next((d for d in status.deadlines if d.kind == kind), None)


async def test_an_18th_birthday_during_the_rr_period_is_a_transition_not_a_cut_off(
    nrm: NrmClient, cli_env: dict[str, str], finish: list[str], tmp_path: Path
) -> None:
    born = date.today() - timedelta(days=6570)  # nearly 18: a child by the date of birth alone
    of_age = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=8)
    policy = coming_of_age(tmp_path, born, of_age, support_for=timedelta(seconds=6))
    person = {"date_of_birth": born.isoformat(), "email": EMAIL}
    ref = await nrm.open_case(adult_referral(consent_to_referral=None, person=person), FIRST_RESPONDER, policy=policy)
    finish.append(ref)
    status = await nrm.status(ref)
    assert status.is_child and status.comes_of_age_at == of_age
    assert status.child_support_until == of_age + timedelta(seconds=6)
    await guardian_advocate_allocated(nrm, ref)
    result = await nrm.decide_stage1(ref, child_decision())
    assert result.rr is not None and result.rr.end > of_age  # the birthday falls in the R&R period

    async def plan_owed():  # type: ignore[no-untyped-def]
        return deadline(await nrm.status(ref), "transition_plan")

    plan = await eventually(plan_owed, timeout=8)
    assert (plan.owner_role, plan.due_at) == ("child_protection", of_age)
    await nrm.provide(ref, ProvideRequest(actor=CHILD_PROTECTION, kind="transition_plan", evidence="plan agreed"))

    async def adult():  # type: ignore[no-untyped-def]
        now = await nrm.status(ref)
        return now if not now.is_child else None

    status = await eventually(adult, timeout=10)
    assert status.rr is not None and status.removal_suspended  # nothing taken back: the R&R period runs on
    assert deadline(status, "advocate_handover") is None  # child-level support continues for 6 s
    shown = await run_nrm("case", "show", ref, env=cli_env)
    assert f"came of age {of_age:%Y-%m-%d %H:%M} UTC (by the date of birth)" in shown.out

    async def told():  # type: ignore[no-untyped-def]
        found = [m for m in outbox_messages(nrm.settings.outbox_path, ref) if m["X-NRM-Kind"] == "case_event"]
        return found or None

    [event, *_] = await eventually(told)
    assert event["Subject"] == f"The person in case {ref} has come of age"
    assert {a.strip() for a in event["To"].split(",")} == {
        "coordinator@nrm.invalid",
        "child-protection@nrm.invalid",
        "guardian-advocate@nrm.invalid",
    }

    async def handover_owed():  # type: ignore[no-untyped-def]
        return deadline(await nrm.status(ref), "advocate_handover")

    handover = await eventually(handover_owed, timeout=10)
    assert handover.owner_role == "guardian_advocate"

    await nrm.decide_stage2(ref, decision())  # the next letter goes to the adult, no longer to the guardian

    async def letter():  # type: ignore[no-untyped-def]
        found = [m for m in outbox_messages(nrm.settings.outbox_path, ref) if m["X-NRM-Kind"] == "decision_letter"]
        return found[-1] if len(found) == 2 else None

    assert (await eventually(letter))["To"] == EMAIL

    events = await decode_case(await fetch_case(nrm.client, ref), data_converter(nrm.settings))
    found = {f.rule: f for f in evaluate_history(events, datetime.now(UTC)).findings}
    assert found["transition_plan"].status is Status.MET
    assert found["advocate_handover.coming_of_age"].status in (Status.PENDING, Status.BREACHED)
    timeline = build_timeline(events, runs=1, prepared_by="test", prepared_at=datetime.now(UTC))
    shown = "\n".join(f"{e.event}: {e.summary}" for e in timeline.entries)
    assert "deadline set: transition plan due at" in shown
    assert "case event scheduled: the person came of age" in shown
    assert "case event scheduled: child-level support ended" in shown
