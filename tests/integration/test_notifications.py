"""Obligations after a positive Stage 1 and the messages they cause, delivered to a real SMTP server on loopback:
the right lists and due times, reminders and escalations, letters to the right person, assessment requests;
an SMTP outage, a refused address and a worker restarted in the middle of sending."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from domain.requests import AssessmentResult, AssessRequest, ProvideRequest
from domain.roles import Actor, Role
from domain.status import CaseStatus, DeadlineState
from faults.smtp_server import SmtpServer
from plumbing.settings import Settings
from starter.client import NrmClient
from tests.conftest import FAST_POLICY, eventually
from tests.integration.conftest import REFUSED, smtp_settings
from tests.integration.helpers import (
    FIRST_RESPONDER,
    adult_referral,
    child_decision,
    child_referral,
    decision,
    guardian_advocate_allocated,
    history_events,
)
from worker import build_worker

SUPPORT = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
ADULT_KINDS = {
    "nrm_referral",
    "rr_granted",
    "independent_advocate",
    "needs_risks_assessment",
    "safety_support_plan",
    "urgent_healthcare",
    "emergency_kit",
    "accommodation",
    "legal_advice",
}
CHILD_KINDS = {
    "child_protection_referral",
    "rr_granted",
    "urgent_healthcare",
    "practical_needs",
    "accommodation",
}
FROM_ENTRY = {"legal_guardian", "guardian_advocate", "best_interests_assessment", "golden_day_plan"}  # from referral


def decided_at(status: CaseStatus):
    return status.decisions[-1].at


def provisions(status: CaseStatus) -> dict[str, tuple[str, timedelta]]:
    start = decided_at(status)
    return {d.id: (d.owner_role, d.due_at - start) for d in status.deadlines if not d.kind.endswith("_decision")}


async def activity_attempts(env: WorkflowEnvironment, ref: str, activity_type: str) -> list[tuple[int, str]]:
    """(attempt of the last start, outcome) of every activity of that type in the case's history."""
    events = await history_events(env.client, ref)
    scheduled = {
        e.event_id
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == activity_type
    }
    started = {
        e.activity_task_started_event_attributes.scheduled_event_id: e.activity_task_started_event_attributes.attempt
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    }
    outcomes = {}
    for e in events:
        for kind, attrs in (
            ("completed", "activity_task_completed_event_attributes"),
            ("failed", "activity_task_failed_event_attributes"),
        ):
            if e.event_type == getattr(EventType, f"EVENT_TYPE_ACTIVITY_TASK_{kind.upper()}"):
                outcomes[getattr(e, attrs).scheduled_event_id] = kind
    return [(started.get(s, 0), outcomes.get(s, "pending")) for s in sorted(scheduled)]


async def test_an_adult_is_owed_the_48h_list_reminded_escalated_and_reminders_stop_on_fulfilment(
    smtp_nrm: NrmClient, smtp_server: SmtpServer, finish: list[str]
) -> None:
    mail = smtp_server.recorder
    ref = await smtp_nrm.open_case(
        adult_referral(person={"email": "person@example.org"}), FIRST_RESPONDER, policy=FAST_POLICY
    )
    finish.append(ref)
    await smtp_nrm.decide_stage1(ref, decision())
    owed = provisions(await smtp_nrm.status(ref))
    assert set(owed) == ADULT_KINDS
    assert {due for _, due in owed.values()} == {timedelta(seconds=10)}
    assert owed["rr_granted"][0] == "competent_authority" and owed["legal_advice"][0] == "support_provider"

    await smtp_nrm.provide(ref, ProvideRequest(actor=SUPPORT, kind="legal_advice", evidence="lawyer assigned, L-7"))
    await smtp_nrm.provide(
        ref, ProvideRequest(actor=SUPPORT, kind="accommodation", not_needed_reason="stays with a relative")
    )

    escalation = f"{ref}/nrm_referral/v0/escalation"
    await eventually(lambda: _async(mail.with_key(escalation)), timeout=25)
    [sent] = mail.with_key(escalation)
    assert sent["To"] == "coordinator@nrm.invalid"  # the owner is the coordinator: one address
    assert "ESCALATION" in sent["Subject"] and "referral to the NRM" in sent["Subject"]
    for n in (1, 2):
        assert len(mail.with_key(f"{ref}/nrm_referral/v0/reminder-{n}")) == 1
    reminder = mail.with_key(f"{ref}/urgent_healthcare/v0/reminder-1")[0]
    assert reminder["To"] == "support-provider@nrm.invalid" and reminder["Message-ID"].startswith(f"<{ref}_")
    for stopped in ("legal_advice", "accommodation"):  # fulfilled before the first reminder: never reminded
        assert not [m for m in mail.for_case(ref) if f"/{stopped}/" in m["X-NRM-Alert"]]

    [letter] = mail.with_key(f"{ref}/letter/1-stage1_decision")
    assert (letter["To"], letter["Content-Language"]) == ("person@example.org", "ro")
    assert "Decizie" in letter["Subject"] and "indicators present" in letter.get_content()
    for kind in ("needs_risks_assessment", "safety_support_plan"):
        [request] = mail.with_key(f"{ref}/{kind}/v0/assessment-request")
        assert (
            request["To"] == "support-provider@nrm.invalid" and f"nrm case assess {ref} {kind}" in request.get_content()
        )

    await smtp_nrm.provide(ref, ProvideRequest(actor=SUPPORT, kind="emergency_kit", evidence="kit given"))
    status = await smtp_nrm.status(ref)
    states = {d.id: d.state for d in status.deadlines}
    assert (states["legal_advice"], states["accommodation"], states["emergency_kit"], states["nrm_referral"]) == (
        DeadlineState.MET,
        DeadlineState.WAIVED,
        DeadlineState.MET_LATE,
        DeadlineState.OVERDUE,
    )

    now = status.as_of
    result = await smtp_nrm.assess(
        ref,
        AssessRequest(
            actor=SUPPORT,
            kind="needs_risks_assessment",
            result=AssessmentResult(
                completed_at=now, summary="needs: shelter; risk: medium", next_review=now + timedelta(seconds=40)
            ),
        ),
    )
    review = next(d for d in result.open_deadlines if d.id == "needs_risks_assessment#2")
    assert (review.owner_role, review.due_at) == ("support_provider", now + timedelta(seconds=40))
    await eventually(lambda: _async(mail.with_key(f"{ref}/needs_risks_assessment#2/v0/assessment-request")))


async def _async(value):
    return value


async def test_a_child_is_owed_the_24h_list_and_the_letter_goes_to_the_guardian_not_the_child(
    smtp_nrm: NrmClient, smtp_server: SmtpServer, finish: list[str]
) -> None:
    referral = child_referral(
        unaccompanied=True,
        person={"email": "child@example.org"},
        guardian={"email": "guardian@example.org", "language": "ro", "relation": "legal_guardian"},
    )
    ref = await smtp_nrm.open_case(referral, FIRST_RESPONDER, policy=FAST_POLICY)
    finish.append(ref)
    await guardian_advocate_allocated(smtp_nrm, ref)
    await smtp_nrm.decide_stage1(ref, child_decision())
    owed = provisions(await smtp_nrm.status(ref))
    assert set(owed) == CHILD_KINDS | FROM_ENTRY
    assert {owed[kind] for kind in CHILD_KINDS} == {("child_protection", timedelta(seconds=8))} | {
        ("coordinator", timedelta(seconds=8)),
        ("competent_authority", timedelta(seconds=8)),
    }

    key = f"{ref}/letter/1-stage1_decision"
    await eventually(lambda: _async(smtp_server.recorder.with_key(key)))
    [letter] = smtp_server.recorder.with_key(key)
    assert letter["To"] == "guardian@example.org" and "tutorele copilului" in letter.get_content()
    assert not [m for m in smtp_server.recorder.messages if "child@example.org" in (m["To"] or "")]


async def test_smtp_down_for_a_while_then_back_delivers_the_letter_exactly_once(
    smtp_nrm: NrmClient, smtp_server: SmtpServer, temporal_env: WorkflowEnvironment, finish: list[str]
) -> None:
    ref = await smtp_nrm.open_case(adult_referral(person={"email": "outage@example.org"}), FIRST_RESPONDER)
    finish.append(ref)
    smtp_server.stop()
    try:
        await smtp_nrm.decide_stage1(ref, decision())
        await eventually(lambda: _retried(smtp_nrm, ref), timeout=20)  # the letter failed at least once
    finally:
        smtp_server.start()
    [(attempt, outcome)] = await eventually(lambda: _done(temporal_env, ref), timeout=30)
    assert attempt >= 2 and outcome == "completed"
    assert len(smtp_server.recorder.with_key(f"{ref}/letter/1-stage1_decision")) == 1


async def _retried(nrm: NrmClient, ref: str) -> bool:
    desc = await nrm.client.get_workflow_handle(f"case-{ref}").describe()
    return any(
        p.activity_type.name == "send_notice" and p.attempt >= 2 for p in desc.raw_description.pending_activities
    )


async def _done(env: WorkflowEnvironment, ref: str):
    letters = await activity_attempts(env, ref, "send_notice")
    return letters if letters and all(outcome != "pending" for _, outcome in letters) else None


async def test_a_permanently_refused_address_is_tried_once_and_escalated(
    smtp_nrm: NrmClient, smtp_server: SmtpServer, temporal_env: WorkflowEnvironment, finish: list[str]
) -> None:
    mail = smtp_server.recorder
    mail.refuse.add(REFUSED)
    ref = await smtp_nrm.open_case(child_referral(), FIRST_RESPONDER)  # no guardian known: the guardian advocate
    finish.append(ref)
    before = mail.rcpt_attempts[REFUSED]
    await guardian_advocate_allocated(smtp_nrm, ref)
    await smtp_nrm.decide_stage1(ref, child_decision())

    async def failure_recorded():
        status = await smtp_nrm.status(ref)
        return status.delivery_failures or None

    [failure] = await eventually(failure_recorded)
    assert (failure.what, failure.escalated_to, failure.key) == (
        "decision_letter",
        Role.COORDINATOR,
        f"{ref}/letter/1-stage1_decision",
    )
    assert failure.reason == "SMTP server refused every recipient for good (550)"
    await eventually(lambda: _async(mail.with_key(f"{ref}/delivery-failure/1")))
    [escalated] = mail.with_key(f"{ref}/delivery-failure/1")
    assert escalated["To"] == "coordinator@nrm.invalid" and "could not be delivered" in escalated["Subject"]
    await asyncio.sleep(2)  # a retry would come within 1 s
    assert mail.rcpt_attempts[REFUSED] == before + 1
    assert (await activity_attempts(temporal_env, ref, "send_notice"))[0] == (1, "failed")


async def test_timers_never_wait_for_a_delivery(
    temporal_env: WorkflowEnvironment, settings: Settings, smtp_server: SmtpServer, finish: list[str]
) -> None:
    """The server stores each reminder but holds its answer past the deadline: the second reminder and the
    escalation still go out on time, and the delivery ends without waiting for QUIT once the server took it."""
    mail = smtp_server.recorder
    slow = smtp_settings(settings, smtp_server, "slow")
    nrm = NrmClient(temporal_env.client, slow)
    mail.hold_data("reminder")
    try:
        async with build_worker(temporal_env.client, slow):
            ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=FAST_POLICY)  # Stage 1 due in 6 s
            finish.append(ref)
            await eventually(lambda: _async(mail.holding.is_set()), timeout=10)

            async def alerts_scheduled() -> list[str]:
                return [
                    e.activity_task_scheduled_event_attributes.activity_type.name
                    for e in await history_events(temporal_env.client, ref)
                    if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                ]

            scheduled = await eventually(lambda: _at_least(alerts_scheduled, 3), timeout=12)
            assert scheduled == ["send_alert"] * 3  # reminder 1 (still held), reminder 2, the escalation
            assert (await nrm.status(ref)).breach_count == 1
            quits = mail.quits
            mail.release_data()
            await eventually(lambda: _async(len([m for m in mail.for_case(ref)]) >= 3), timeout=20)
            assert mail.quits == quits  # nothing waited for the end of the session
    finally:
        mail.release_data()


async def _at_least(check, n: int):
    found = await check()
    return found if len(found) >= n else None
