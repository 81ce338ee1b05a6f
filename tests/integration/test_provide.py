"""Recording provisions and assessments: bad inputs are refused with nothing written, a repeated request id acts
once; the CLI records, shows and lists obligations; the daily digest schedule lists them across cases."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities import digest as digest_activities
from domain.requests import AssessmentResult, AssessRequest, ProvideRequest
from domain.roles import Actor, Role
from faults.smtp_server import SmtpServer
from starter.client import NrmClient, Refused
from starter.schedules import DIGEST_SCHEDULE_ID, apply_schedules
from tests.conftest import FAST_POLICY, eventually
from tests.integration.helpers import (
    COORDINATOR,
    FIRST_RESPONDER,
    adult_referral,
    decision,
    history_events,
    settled,
)
from workflows.digest import DigestRequest, DigestWorkflow

SUPPORT = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
NRM = str(Path(sys.executable).parent / "nrm")


async def refused(nrm: NrmClient, ref: str, act, message: str) -> None:
    before = len(await history_events(nrm.client, ref))
    with pytest.raises(Refused) as caught:
        await act()
    assert str(caught.value) == message
    assert len(await history_events(nrm.client, ref)) == before


async def test_bad_fulfilments_are_refused_and_write_nothing_and_a_repeated_request_id_acts_once(
    nrm: NrmClient, finish: list[str]
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)  # OSCE policy: nothing fires meanwhile
    finish.append(ref)
    await nrm.decide_stage1(ref, decision())
    await settled(nrm.client, ref)
    later = datetime.now(UTC) + timedelta(hours=1)
    open_kinds = (
        "stage2_decision, nrm_referral, rr_granted, independent_advocate, needs_risks_assessment, "
        "safety_support_plan, urgent_healthcare, emergency_kit, accommodation, legal_advice"
    )

    await refused(
        nrm,
        ref,
        lambda: nrm.provide(ref, ProvideRequest(actor=SUPPORT, kind="pony", evidence="x")),
        f"unknown obligation kind 'pony' (open in case {ref}: {open_kinds})",
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.provide(ref, ProvideRequest(actor=SUPPORT, kind="legal_guardian", evidence="x")),
        f"case {ref} has no open legal_guardian obligation (open: {open_kinds})",
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.provide(ref, ProvideRequest(actor=COORDINATOR, kind="legal_advice", evidence="x")),
        "role coordinator may not record legal_advice: it is owed by support_provider",
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.provide(ref, ProvideRequest(actor=SUPPORT, kind="legal_advice", evidence="x", when=later)),
        f"the time legal_advice was done, {later.isoformat()}, is in the future",
    )
    now = datetime.now(UTC)
    too_late = now + timedelta(days=93)
    await refused(
        nrm,
        ref,
        lambda: nrm.assess(
            ref,
            AssessRequest(
                actor=SUPPORT,
                kind="needs_risks_assessment",
                result=AssessmentResult(completed_at=now, summary="s", next_review=too_late),
            ),
        ),
        f"the date of next review, {too_late.isoformat()}, is later than the policy allows: "
        "needs_risks_assessment is reviewed at most 92 days after the assessment",
    )

    request = ProvideRequest(actor=SUPPORT, kind="legal_advice", evidence="lawyer assigned, L-7")
    first = await nrm.provide(ref, request, request_id="provide-legal-advice-1")
    count = len(await history_events(nrm.client, ref))
    again = await nrm.provide(ref, request, request_id="provide-legal-advice-1")
    same = {"as_of", "repeated"}
    assert again.model_dump(exclude=same) == first.model_dump(exclude=same) and again.repeated
    assert len(await history_events(nrm.client, ref)) == count
    assert "legal_advice" not in {d.kind for d in again.open_deadlines}
    recorded = next(d for d in (await nrm.status(ref)).deadlines if d.id == "legal_advice")
    assert (recorded.state.value, recorded.fulfilled_by, recorded.evidence) == (
        "met",
        "support_provider:sp-1",
        "lawyer assigned, L-7",
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.provide(ref, request, request_id="provide-legal-advice-2"),
        f"case {ref} has no open legal_advice obligation (open: {open_kinds.replace(', legal_advice', '')})",
    )


async def nrm_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        NRM, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


async def test_the_cli_records_shows_and_lists_obligations(
    nrm: NrmClient, cli_env: dict[str, str], tmp_path: Path, finish: list[str]
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=FAST_POLICY)
    finish.append(ref)
    await nrm.decide_stage1(ref, decision())
    env = {**cli_env, "NRM_ACTOR": "support_provider:sp-1"}

    code, out, err = await nrm_cli(
        "case", "provide", ref, "accommodation", "--not-needed", "stays with family", "--json", env=env
    )
    assert code == 0, err
    assert next(d for d in json.loads(out)["deadlines"] if d["id"] == "accommodation")["state"] == "waived"

    result = tmp_path / "assessment.json"
    now = datetime.now(UTC)
    result.write_text(
        json.dumps(
            {
                "completed_at": now.isoformat(),
                "summary": "needs: shelter; risk: low",
                "next_review": (now + timedelta(seconds=50)).isoformat(),
            }
        )
    )
    code, out, err = await nrm_cli(
        "case", "assess", ref, "needs_risks_assessment", "--result", str(result), "--json", env=env
    )
    assert code == 0, err
    assert "needs_risks_assessment#2" in {d["id"] for d in json.loads(out)["deadlines"]}

    code, out, err = await nrm_cli(
        "case", "provide", ref, "legal_advice", "--as", "auditor:au-1", "--evidence", "x", env=env
    )
    assert (code, out, err.strip()) == (
        3,
        "",
        "error: role auditor may not record a provision; allowed: "
        "child_protection, competent_authority, coordinator, first_responder, "
        "guardian_advocate, immigration_authority, legal_representative, receiving_support_provider, "
        "review_panel, support_provider",
    )

    async def overdue():
        rows = [r for r in await nrm.list_cases(overdue=True) if r.reference == ref]
        return rows and "nrm_referral" in rows[0].overdue

    await eventually(overdue, timeout=25)  # the fast policy's provisions fall due after 10 s
    code, out, err = await nrm_cli("cases", "list", "--overdue", "--all", "--json", env=env)
    [row] = [r for r in json.loads(out) if r["reference"] == ref]
    assert {"nrm_referral", "legal_advice"} <= set(row["overdue"]) and "accommodation" not in row["overdue"]
    code, out, err = await nrm_cli("case", "show", ref, env=env)
    assert code == 0 and "Obligations and deadlines" in out and "waived" in out and "overdue" in out


async def test_the_daily_digest_schedule_lists_overdue_and_soon_due_obligations(
    smtp_nrm: NrmClient,
    smtp_server: SmtpServer,
    temporal_env: WorkflowEnvironment,
    finish: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the session's other cases are due too: list them all here, so that this test's cases are among those listed
    monkeypatch.setattr(digest_activities, "DIGEST_ROWS", 100_000)
    late = await smtp_nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=FAST_POLICY)  # Stage 1 due in 6 s
    soon = await smtp_nrm.open_case(adult_referral(), FIRST_RESPONDER)  # Stage 1 due in 5 days
    finish += [late, soon]
    assert await apply_schedules(temporal_env.client, smtp_nrm.settings) == {DIGEST_SCHEDULE_ID: "created"}
    assert await apply_schedules(temporal_env.client, smtp_nrm.settings) == {DIGEST_SCHEDULE_ID: "updated"}
    described = await temporal_env.client.get_schedule_handle(DIGEST_SCHEDULE_ID).describe()
    assert described.schedule.spec.calendars[0].hour[0].start == 7

    async def overdue():
        return [r for r in await smtp_nrm.list_cases(overdue=True) if r.reference == late]

    await eventually(overdue, timeout=20)
    await smtp_nrm.decide_stage1(soon, decision())  # provisions due in 48 h
    await temporal_env.client.get_schedule_handle(DIGEST_SCHEDULE_ID).trigger()

    async def digest():
        found = [m for m in smtp_server.recorder.messages if m["X-NRM-Kind"] == "digest" and late in m.get_content()]
        return found or None

    [message] = await eventually(digest, timeout=20)
    assert message["To"] == "coordinator@nrm.invalid"
    body = message.get_content()
    overdue_part, soon_part = body.split("Due within 48 hours")
    assert f"{late}  Stage 1 decision (reasonable grounds)  was due" in overdue_part
    assert f"{soon}  urgent healthcare  due" in soon_part and soon not in overdue_part


async def test_after_a_surge_the_digest_counts_every_case_and_lists_only_the_soonest(
    smtp_nrm: NrmClient, smtp_server: SmtpServer, temporal_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digest_activities, "DIGEST_ROWS", 3)  # a surge, in small: more obligations than listed
    refs = [await smtp_nrm.open_case(adult_referral(), FIRST_RESPONDER) for _ in range(2)]
    for ref in refs:
        await smtp_nrm.decide_stage1(ref, decision())  # nine provisions each, due in 48 h
    run = f"digest-surge-{refs[0]}"
    listed = await temporal_env.client.execute_workflow(
        DigestWorkflow.run, DigestRequest(window_hours=48), id=run, task_queue=smtp_nrm.settings.task_queue
    )
    assert listed == 3

    async def sent():
        return [m for m in smtp_server.recorder.messages if m["X-NRM-Alert"] == f"digest/{run}"] or None

    [message] = await eventually(sent, timeout=20)
    body = " ".join(message.get_content().split())
    assert "The 3 obligations due soonest are listed; every case: nrm cases list --due-within 48h --all" in body
    due = int(message["Subject"].split(" with obligations due")[0].rsplit(", ", 1)[1])
    assert due >= 2
