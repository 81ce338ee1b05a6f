"""An age dispute through the `nrm` command line, on the seconds-scale policy: an adult's case disputed after
opening is a child's from then (listed as one), an inconclusive result keeps the child rules, a later adult finding,
once final (its reconsideration window closed unused), applies the adult rules with the guardian advocate's
handover; nothing given is taken back. Its challenge is in test_challenges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.case import AgeFinding, AgeStatus
from domain.reference import workflow_id
from domain.requests import AgeAssessmentRequest, AgeDisputeRequest, ProvideRequest
from domain.roles import Actor, Role
from plumbing.connection import data_converter
from starter.audit.compliance import Status, evaluate_history
from starter.audit.history import decode_case, fetch_case
from starter.audit.timeline import build as build_timeline
from starter.client import NrmClient
from tests.conftest import FAST_POLICY, eventually
from tests.integration.helpers import AUTHORITY, COORDINATOR, FIRST_RESPONDER, adult_referral, decision
from tests.integration.nrm_cli import run_nrm

CP = ("--as", "child_protection:cp-1")
SUPPORT = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
CHILD_PROTECTION = Actor(role=Role.CHILD_PROTECTION, id="cp-1")
VIEWS = ("--child-views", "says she is 16 and wants to stay at school")


async def listed_as_child(nrm: NrmClient, ref: str, child: bool) -> bool:
    rows = await nrm.list_cases(child=child, limit=None)
    return any(r.reference == ref for r in rows)


async def test_an_age_dispute_after_opening_as_an_adult_then_inconclusive_then_adult(
    cli_env: dict[str, str], nrm: NrmClient, finish: list[str]
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=FAST_POLICY)
    finish.append(ref)
    await nrm.decide_stage1(ref, decision(actor=AUTHORITY))
    assert await eventually(lambda: listed_as_child(nrm, ref, False))

    disputed = await run_nrm(
        "case",
        "age-dispute",
        ref,
        "--reasons",
        "school records",
        "--json",
        "--as",
        "support_provider:sp-1",
        env=cli_env,
    )
    status = disputed.json()
    assert (status["age_status"], status["is_child"], status["removal_suspended"]) == ("disputed", True, True)
    owed = {d["kind"]: d for d in status["deadlines"] if d["state"] != "met"}
    assert {"age_assessment", "guardian_advocate", "golden_day_plan", "child_protection_referral"} <= set(owed)
    assert owed["age_assessment"]["owner_role"] == "child_protection"
    assert await eventually(lambda: listed_as_child(nrm, ref, True))  # the search attribute follows the age status

    again = await run_nrm(
        "case", "age-dispute", ref, "--reasons", "again", "--as", "support_provider:sp-1", env=cli_env
    )
    assert "is disputed already" in again.error_line(3)
    no_views = await run_nrm(
        "case", "age-assessment", ref, "--outcome", "adult", "--reasons", "Merton assessment", *CP, env=cli_env
    )
    assert "records the child's views" in no_views.error_line(3)
    events_before = len((await nrm.client.get_workflow_handle(workflow_id(ref)).fetch_history()).events)

    inconclusive = await run_nrm(
        "case", "age-assessment", ref, "--outcome", "inconclusive", "--reasons", "no documents", *VIEWS, "--json", *CP,
        env=cli_env,
    )  # fmt: skip
    status = inconclusive.json()
    assert (status["age_status"], status["is_child"]) == ("child", True)  # the benefit of the doubt
    history = (await nrm.client.get_workflow_handle(workflow_id(ref)).fetch_history()).events
    assert len(history) > events_before  # the refusals before it wrote nothing; this act did

    await run_nrm("case", "age-dispute", ref, "--reasons", "passport found", "--as", "coordinator:co-1", env=cli_env)
    found = await run_nrm(
        "case", "age-assessment", ref, "--outcome", "adult", "--reasons", "passport: 24", *VIEWS, "--json", *CP,
        env=cli_env,
    )  # fmt: skip
    status = found.json()  # not final until its reconsideration window closes unused: a child until then
    assert (status["age_status"], status["is_child"], status["removal_suspended"]) == ("disputed", True, True)

    async def final() -> bool:
        return (await nrm.status(ref)).age_status is AgeStatus.ADULT

    assert await eventually(final, timeout=20)
    status = (await run_nrm("case", "show", ref, "--json", env=cli_env)).json()
    assert (status["age_status"], status["is_child"], status["removal_suspended"]) == ("adult", False, True)
    handover = next(d for d in status["deadlines"] if d["kind"] == "advocate_handover")
    assert handover["owner_role"] == "guardian_advocate"
    kinds = [d["kind"] for d in status["deadlines"]]
    assert "guardian_advocate" in kinds and kinds.count("age_assessment") == 2  # nothing owed is dropped
    assert [d["outcome"] for d in status["decisions"] if d["act"] == "record_age_assessment"] == [
        "inconclusive",
        "adult",
    ]
    assert await eventually(lambda: listed_as_child(nrm, ref, False))
    assert (await nrm.status(ref)).age_status is AgeStatus.ADULT
    text = (await run_nrm("case", "show", ref, env=cli_env)).out
    assert "age: adult" in text and "advocate_handover" in text


async def test_a_referral_with_age_disputed_owes_the_assessment_from_referral(
    nrm: NrmClient, finish: list[str]
) -> None:
    ref = await nrm.open_case(
        adult_referral(age_disputed=True, consent_to_referral=None), FIRST_RESPONDER, policy=FAST_POLICY
    )
    finish.append(ref)
    status = await nrm.status(ref)
    assert status.age_status is AgeStatus.DISPUTED and status.is_child and status.removal_suspended
    assessment = next(d for d in status.deadlines if d.kind == "age_assessment")
    assert status.referred_at is not None and assessment.due_at - status.referred_at == timedelta(seconds=10)


async def test_the_audit_judges_the_childs_safeguards_and_the_age_assessment_from_the_dispute(
    nrm: NrmClient, finish: list[str]
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=FAST_POLICY)
    finish.append(ref)
    await nrm.dispute_age(ref, AgeDisputeRequest(actor=SUPPORT, reasons="looks 15"))
    await nrm.provide(ref, ProvideRequest(actor=COORDINATOR, kind="guardian_advocate", evidence="GA-2 allocated"))
    result = AgeAssessmentRequest(
        actor=CHILD_PROTECTION, outcome=AgeFinding.ADULT, reasons="passport", child_views="agrees"
    )
    await nrm.record_age_assessment(ref, result)
    status = await nrm.status(ref)
    [disputed, found] = [d.at for d in status.decisions]
    events = await decode_case(await fetch_case(nrm.client, ref), data_converter(nrm.settings))

    findings = {f.rule: f for f in evaluate_history(events, found + timedelta(seconds=1)).findings}

    def due(rule: str, expected: datetime) -> bool:  # the audit's event times and the case's clock: within 1 ms
        found_due = findings[rule].due_at
        return found_due is not None and abs(found_due - expected) <= timedelta(milliseconds=1)

    assert findings["age_assessment"].status is Status.MET and due("age_assessment", disputed + timedelta(seconds=10))
    assert findings["guardian_advocate"].status is Status.MET  # owed from the dispute: 3 s in the fast policy
    assert due("guardian_advocate", disputed + timedelta(seconds=3))
    assert findings["reconsideration_request.age"].status is Status.PENDING  # the adult finding is not final
    assert due("reconsideration_request.age", found + timedelta(seconds=8))
    assert "advocate_handover" not in findings
    findings = {f.rule: f for f in evaluate_history(events, found + timedelta(seconds=9)).findings}
    assert findings["reconsideration_request.age"].status is Status.BREACHED  # the window closed unused: final
    assert findings["advocate_handover"].status is Status.PENDING
    assert due("advocate_handover", found + timedelta(seconds=16))  # from the window's end
    later = {f.rule: f for f in evaluate_history(events, found + timedelta(seconds=17)).findings}
    assert later["advocate_handover"].status is Status.BREACHED  # nobody recorded it

    timeline = build_timeline(events, runs=1, prepared_by="auditor:au-1", prepared_at=datetime.now(UTC))
    titles = [e.event for e in timeline.entries]
    assert "age disputed: treated as a child" in titles and "age assessment recorded" in titles
