"""Auditors on a live server: `nrm audit ...` and `nrm stats` run as an auditor, read only the histories, and
report exactly what happened; no update accepts the auditor."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import TypeAdapter
from temporalio import workflow
from temporalio.api.enums.v1 import EventType

from domain.case import AgeFinding, ClosureReason, JudgmentOutcome, LinkKind, ReviewOutcome
from domain.consent import ConsentPurpose
from domain.permit_records import PermitAction
from domain.policy import load_policy
from domain.proceeding_records import ProceedingKind
from domain.requests import (
    AgeAssessmentRequest,
    AgeDisputeRequest,
    AppealRequest,
    AssessmentResult,
    AssessRequest,
    CheckInRequest,
    CloseRequest,
    ConsentRequest,
    ConsentWithdrawalRequest,
    DepartureRequest,
    ExtendRRRequest,
    FoundRequest,
    JudgmentRequest,
    LinkRequest,
    MissingRequest,
    PermitRequest,
    ProceedingRequest,
    ProvideRequest,
    ReceptionRequest,
    ReconsiderationRequest,
    ReopenRequest,
    ReturnAssessmentRequest,
    ReturnPlanRequest,
    ReturnRequest,
    ReviewRequest,
)
from domain.roles import Act, Actor, Role
from plumbing.connection import data_converter
from plumbing.settings import Settings
from starter.audit.compliance import Status, evaluate_history
from starter.audit.history import decode_case, fetch_case
from starter.audit.replay import replay
from starter.audit.timeline import REFUSED_NOTE
from starter.audit.timeline import build as build_timeline
from starter.client import NrmClient, Refused
from tests.conftest import FAST_POLICY, eventually
from tests.devserver import address, start_dev_server
from tests.integration.helpers import (
    AUDITOR,
    AUTHORITY,
    COORDINATOR,
    FIRST_RESPONDER,
    adult_referral,
    decision,
    history_events,
)
from tests.integration.nrm_cli import run_nrm
from worker import build_worker
from workflows.case import CaseWorkflow

SUPPORT = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
PERSON = {
    "name": "Qwertz Sentinelperson",
    "date_of_birth": "1990-04-17",
    "nationality": "Sentinelland",
    "address": "7 Sentinel Road",
}
PERSONAL = ["Sentinelperson", "1990-04-17", "Sentinelland", "Sentinel Road"]


def one_of(i: int) -> dict[str, str]:
    """The i-th of several persons of the same sentinel data but their name."""
    return {**PERSON, "name": f"{PERSON['name']} {chr(ord('A') + i)}"}


def auditor(env: dict[str, str]) -> dict[str, str]:
    return env | {"NRM_ACTOR": "auditor:au-1"}


def assert_no_personal_data(text: str, *references: str) -> None:
    for secret in [*PERSONAL, *references]:
        assert secret not in text, secret


async def test_no_update_accepts_the_auditor(nrm: NrmClient) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)  # OSCE model: its timers are days away
    await nrm.decide_stage1(ref, decision())  # now provisions and assessments are owed too
    now = datetime.now(UTC)
    result = AssessmentResult(completed_at=now, summary="s", next_review=now + timedelta(days=30))
    attempts = {
        Act.RECORD_CONSENT.value: lambda: nrm.record_consent(ref, ConsentRequest(actor=AUDITOR)),
        Act.STAGE1_DECISION.value: lambda: nrm.decide_stage1(ref, decision(actor=AUDITOR)),
        Act.STAGE2_DECISION.value: lambda: nrm.decide_stage2(ref, decision(actor=AUDITOR)),
        Act.EXTEND_RR.value: lambda: nrm.extend_rr(
            ref, ExtendRRRequest(actor=AUDITOR, reasons="r", extend_by=timedelta(days=1))
        ),
        Act.PROVIDE.value: lambda: nrm.provide(ref, ProvideRequest(actor=AUDITOR, kind="nrm_referral", evidence="e")),
        Act.RECORD_ASSESSMENT.value: lambda: nrm.assess(
            ref, AssessRequest(actor=AUDITOR, kind="needs_risks_assessment", result=result)
        ),
        Act.REQUEST_RECONSIDERATION.value: lambda: nrm.request_reconsideration(
            ref, ReconsiderationRequest(actor=AUDITOR, reasons="r")
        ),
        Act.RECORD_REVIEW.value: lambda: nrm.record_review(
            ref, ReviewRequest(actor=AUDITOR, outcome=ReviewOutcome.UPHELD, reasons="r")
        ),
        Act.LODGE_APPEAL.value: lambda: nrm.lodge_appeal(ref, AppealRequest(actor=AUDITOR, reasons="r")),
        Act.RECORD_JUDGMENT.value: lambda: nrm.record_judgment(
            ref,
            JudgmentRequest(
                actor=AUDITOR, outcome=JudgmentOutcome.ALLOWED, court="c", judgment_ref="j", decided_on=now.date()
            ),
        ),
        Act.PERMIT_DECISION.value: lambda: nrm.permit_decision(
            ref, PermitRequest(actor=AUDITOR, action=PermitAction.REFUSE, reasons="r")
        ),
        Act.REQUEST_RETURN.value: lambda: nrm.request_return(
            ref, ReturnRequest(actor=AUDITOR, decided_on=now.date(), legal_advice="a", destination="RO")
        ),
        Act.ASSESS_RETURN.value: lambda: nrm.assess_return(
            ref, ReturnAssessmentRequest(actor=AUDITOR, risk_found=False, summary="s", covers_family=True)
        ),
        Act.PLAN_RETURN.value: lambda: nrm.plan_return(
            ref, ReturnPlanRequest(actor=AUDITOR, departure_at=now + timedelta(days=9), reception="r")
        ),
        Act.RECORD_DEPARTURE.value: lambda: nrm.record_departure(ref, DepartureRequest(actor=AUDITOR)),
        Act.RECORD_CHECK_IN.value: lambda: nrm.record_check_in(ref, CheckInRequest(actor=AUDITOR, summary="s")),
        Act.RECORD_RECEPTION.value: lambda: nrm.record_reception(ref, ReceptionRequest(actor=AUDITOR, summary="s")),
        Act.RECORD_PROCEEDING.value: lambda: nrm.record_proceeding(
            ref, ProceedingRequest(actor=AUDITOR, kind=ProceedingKind.ASYLUM_CLAIM)
        ),
        Act.DISPUTE_AGE.value: lambda: nrm.dispute_age(ref, AgeDisputeRequest(actor=AUDITOR, reasons="r")),
        Act.RECORD_AGE_ASSESSMENT.value: lambda: nrm.record_age_assessment(
            ref, AgeAssessmentRequest(actor=AUDITOR, outcome=AgeFinding.ADULT, reasons="r")
        ),
        Act.REPORT_MISSING.value: lambda: nrm.report_missing(ref, MissingRequest(actor=AUDITOR)),
        Act.REPORT_FOUND.value: lambda: nrm.report_found(ref, FoundRequest(actor=AUDITOR)),
        Act.WITHDRAW_CONSENT.value: lambda: nrm.withdraw_consent(
            ref, ConsentWithdrawalRequest(actor=AUDITOR, purposes=[ConsentPurpose.MONITORING])
        ),
        Act.CLOSE_CASE.value: lambda: nrm.close_case(
            ref, CloseRequest(actor=AUDITOR, reason=ClosureReason.SUPPORT_ENDED)
        ),
        Act.LINK_CASE.value: lambda: nrm.link_case(
            ref, LinkRequest(actor=AUDITOR, kind=LinkKind.DEPENDENT, reference="NRM-0000-0002")
        ),
        Act.REOPEN_CASE.value: lambda: nrm.reopen_case(ref, ReopenRequest(actor=AUDITOR, reasons="r")),
    }
    assert set(attempts) == set(workflow._Definition.must_from_class(CaseWorkflow).updates), (
        "every update of CaseWorkflow must be tried with the auditor role"
    )

    async def settled() -> int | None:
        """The history's length once the letters and requests the decision sent are delivered."""
        events = await history_events(nrm.client, ref)
        types = Counter(e.event_type for e in events)
        done = events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        sent = (
            types[EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED] == types[EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED]
        )
        return len(events) if done and sent else None

    before = await eventually(settled)
    for name, attempt in attempts.items():
        with pytest.raises(Refused) as caught:
            await attempt()
        assert str(caught.value).startswith("role auditor may not "), name
    assert len(await history_events(nrm.client, ref)) == before


async def test_timeline_and_compliance_report_exactly_the_one_known_breach(
    nrm: NrmClient, cli_env: dict[str, str], tmp_path: Path
) -> None:
    # fast.toml with a reconsideration window of days, so that the negative decision's window cannot lapse meanwhile
    policy = tmp_path / "long-window.toml"
    text = Path(FAST_POLICY).read_text(encoding="utf-8")
    policy.write_text(text.replace('reconsideration_window = "PT8S"', 'reconsideration_window = "P30D"'), "utf-8")
    ref = await nrm.open_case(adult_referral(person=PERSON), FIRST_RESPONDER, policy=str(policy))
    converter = data_converter(nrm.settings)

    async def escalated() -> bool:
        events = await decode_case(await fetch_case(nrm.client, ref), converter)
        found = {f.rule: f for f in evaluate_history(events, datetime.now(UTC)).findings}
        return found["stage1_decision.escalation"].status is Status.MET

    await eventually(escalated, timeout=25)  # Stage 1 was due 6 s after referral: reminded twice, escalated
    await nrm.decide_stage1(
        ref, decision("negative", reasons="<b>no indicators</b> & no grounds", evidence="interview 3")
    )
    status = await nrm.status(ref)
    expected = status.decisions[0].at - status.deadlines[0].due_at  # the case's own account of the delay
    assert expected > timedelta(0)

    env = auditor(cli_env)
    report, text, as_csv, as_json, html = await asyncio.gather(
        run_nrm("audit", "compliance", ref, "--json", env=env),
        *(run_nrm("audit", "timeline", ref, "--format", fmt, env=env) for fmt in ("text", "csv", "json", "html")),
    )

    [case] = report.json()["cases"]
    breaches = [f for f in case["findings"] if f["status"] == "breached"]
    assert [b["rule"] for b in breaches] == ["stage1_decision"]
    delay = TypeAdapter(timedelta).validate_python(breaches[0]["delay"])
    # the audit counts from the server's start event, the case from its first workflow task: a few ms apart
    assert abs(delay - expected) < timedelta(milliseconds=500)
    statuses = {f["rule"]: f["status"] for f in case["findings"]}
    assert statuses["stage1_decision.reminders"] == statuses["stage1_decision.escalation"] == "met"
    assert statuses["stage2_decision"] == statuses["rr_extended_not_lapsed"] == "not applicable"
    stage1_totals = next(t for t in report.json()["totals"] if t["rule"] == "stage1_decision")
    assert (stage1_totals["met"], stage1_totals["breached"]) == (0, 1)

    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert sum("deadline passed: stage1 decision" in line for line in lines) == 1
    assert sum(" escalation scheduled: stage1 decision" in line for line in lines) == 1
    assert sum(" reminder scheduled: stage1 decision" in line for line in lines) == 2
    assert any("Stage 1 decision [competent_authority:ca-1]: outcome negative" in line for line in lines)
    assert "reasons: <b>no indicators</b> & no grounds" in text.out and "evidence: interview 3" in text.out
    assert "prepared" in text.out and "by auditor:au-1" in text.out
    rows = list(csv.DictReader(io.StringIO(as_csv.out)))
    assert rows[0]["event"] == "note" and any(r["event"] == "Stage 1 decision" for r in rows)
    timeline = as_json.json()
    assert timeline["reference"] == ref and REFUSED_NOTE in timeline["notes"]
    assert "&lt;b&gt;no indicators&lt;/b&gt; &amp; no grounds" in html.out and "<b>no indicators" not in html.out
    for output in (text.out, as_csv.out, as_json.out, html.out):
        assert REFUSED_NOTE in output
    for output in (report.out, text.out, as_csv.out, as_json.out, html.out):
        assert_no_personal_data(output)


async def test_provisions_and_assessment_reviews_are_judged_against_the_policy_snapshot(nrm: NrmClient) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=FAST_POLICY)
    await nrm.decide_stage1(ref, decision())
    stage1_at = (await nrm.status(ref)).decisions[0].at
    await nrm.decide_stage2(ref, decision())  # no R&R lapse while the test looks
    await nrm.provide(ref, ProvideRequest(actor=COORDINATOR, kind="nrm_referral", evidence="referred"))
    now = datetime.now(UTC)
    await nrm.assess(
        ref,
        AssessRequest(
            actor=SUPPORT,
            kind="needs_risks_assessment",
            result=AssessmentResult(completed_at=now, summary="s", next_review=now + timedelta(seconds=50)),
        ),
    )
    events = await decode_case(await fetch_case(nrm.client, ref), data_converter(nrm.settings))

    as_of = stage1_at + timedelta(seconds=11)  # tests/policies/fast.toml: provisions due within 10 s
    found = {f.rule: f for f in evaluate_history(events, as_of).findings}
    owed = {i.kind.value for i in load_policy(FAST_POLICY, nrm.settings.policy_dir).provisions.adult}
    assert owed <= set(found)
    assert found["nrm_referral"].status is found["needs_risks_assessment"].status is Status.MET
    assert found["needs_risks_assessment.review"].status is Status.PENDING
    for kind in owed - {"nrm_referral", "needs_risks_assessment"}:
        assert found[kind].status is Status.BREACHED, kind
        assert timedelta(seconds=0.9) <= found[kind].delay <= timedelta(seconds=1.1)  # open 1 s past its due time
        assert found[f"{kind}.escalation"].status is Status.PENDING  # escalating just now


async def test_export_then_a_changed_byte_fails_verification_naming_the_file(
    nrm: NrmClient, cli_env: dict[str, str], tmp_path: Path
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    await nrm.decide_stage1(ref, decision())
    env, target = auditor(cli_env), tmp_path / "audit-set"
    digest = (await run_nrm("audit", "export", ref, "--out", str(target), "--json", env=env)).json()["manifest_sha256"]
    [file] = target.glob("case-*/*.json")
    relative = file.relative_to(target).as_posix()
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["exported_by"] == "auditor:au-1" and [f["path"] for f in manifest["files"]] == [relative]

    good, from_file, live = await asyncio.gather(
        run_nrm("audit", "verify", str(target), "--manifest-sha256", digest, env=env),
        run_nrm("audit", "replay", "--from-file", str(target), env=env),
        run_nrm("audit", "replay", ref, "--json", env=env),
    )
    assert good.code == 0 and "ok: 1 file(s) match the manifest" in good.out
    assert from_file.code == 0 and f"{ref}  run " in from_file.out and "faithful" in from_file.out
    assert [r["faithful"] for r in live.json()] == [True]

    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0x01
    file.write_bytes(bytes(data))
    bad = await run_nrm("audit", "verify", str(target), env=env)
    assert bad.code == 6  # the check ran and found a problem
    assert f"{relative}: SHA-256 mismatch" in bad.err
    assert bad.err.splitlines()[-1].startswith(f"error: {target} does not match its manifest: 1 problem(s)")


async def test_statistics_on_generated_cases(nrm: NrmClient, cli_env: dict[str, str], tmp_path: Path) -> None:
    since = datetime.now(UTC)
    sexes = ["female"] * 6 + ["male"] * 5 + ["other"] * 2
    refs = await asyncio.gather(
        *(
            # thirteen persons (the same person's cases would be linked as re-trafficking)
            nrm.open_case(adult_referral(sex=sex, person=one_of(i)), FIRST_RESPONDER, policy=FAST_POLICY)
            for i, sex in enumerate(sexes)
        )
    )

    async def identify(ref: str, positive: bool) -> None:
        await nrm.decide_stage1(ref, decision("positive" if positive else "negative"))
        if positive:
            await nrm.decide_stage2(ref, decision())

    await asyncio.gather(*(identify(ref, sex == "female") for ref, sex in zip(refs, sexes, strict=True)))
    until = datetime.now(UTC) + timedelta(seconds=1)
    query = (
        f"WorkflowType = 'CaseWorkflow' AND StartTime >= '{since.isoformat()}' AND StartTime < '{until.isoformat()}'"
    )

    async def all_visible() -> bool:
        return (await nrm.client.count_workflows(query)).count == len(refs)

    await eventually(all_visible)
    target = tmp_path / "stats"
    run, checked = await asyncio.gather(
        run_nrm(
            "stats",
            "--from",
            since.isoformat(),
            "--to",
            until.isoformat(),
            "--out",
            str(target),
            "--json",
            env=auditor(cli_env),
        ),
        run_nrm("audit", "compliance", "--query", query, "--json", env=auditor(cli_env)),
    )
    stage1 = next(t for t in checked.json()["totals"] if t["rule"] == "stage1_decision")
    assert (stage1["met"], stage1["breached"]) == (len(refs), 0)
    data = run.json()
    assert data["persons"] == len(refs)
    tables = {t["dimension"]: t["cells"] for t in data["tables"]}
    assert tables["sex"] == {"female": 6, "male": None, "other": None}  # other: 2 < 5; male: its complement
    assert tables["stage1_outcome"] == {"negative": 7, "positive": 6}
    assert tables["stage2_outcome"] == {"not applicable": 7, "positive": 6}
    stage1_all = next(t for t in data["times"] if t["decision"].startswith("stage1") and t["group"] == "all")
    assert stage1_all["persons"] == len(refs) and stage1_all["median_days"] is not None

    counts = (target / "counts.csv").read_text()
    assert "sex,other,<5" in counts and "all,persons,13" in counts
    charts = sorted(target.glob("chart_*.png"))
    assert len(charts) >= 3
    for chart in charts:
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 1000
    outputs = [run.out] + [p.read_bytes().decode("latin-1") for p in target.iterdir()]
    for output in outputs:
        assert_no_personal_data(output, *refs)


async def test_a_case_that_continued_as_new_is_audited_across_its_runs(settings: Settings) -> None:
    """Both runs are fetched, in order; the deadlines and the timeline span them; each run replays."""
    own = settings.model_copy(update={"task_queue": f"nrm-audit-can-{uuid.uuid4().hex[:8]}"})
    env = await start_dev_server(
        own, extra_args=["--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=120"]
    )
    try:
        nrm = NrmClient(env.client, own.model_copy(update={"temporal_address": address(env)}))
        async with build_worker(env.client, own):
            ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)  # OSCE model: no timer fires
            await nrm.decide_stage1(ref, decision())
            stage1_at = (await nrm.status(ref)).decisions[0].at
            extensions = 0
            while len((case := await fetch_case(env.client, ref)).runs) == 1:
                assert extensions < 30, "the workflow did not continue as new"
                extensions += 1
                await nrm.extend_rr(ref, ExtendRRRequest(actor=AUTHORITY, reasons="r", extend_by=timedelta(days=1)))
            await nrm.extend_rr(ref, ExtendRRRequest(actor=AUTHORITY, reasons="r", extend_by=timedelta(days=1)))
            await nrm.decide_stage2(ref, decision())
            case = await fetch_case(env.client, ref)
            converter = data_converter(own)
            events = await decode_case(case, converter)
            outcomes = [o async for o in replay([case], converter)]
    finally:
        await env.shutdown()
    assert len(case.runs) == 2 and [o.faithful for o in outcomes] == [True, True]
    found = {f.rule: f for f in evaluate_history(events, datetime.now(UTC)).findings}
    assert found["stage2_decision"].status is Status.MET
    due = stage1_at + timedelta(days=90 + extensions + 1)  # every extension, in either run, moved it by a day
    assert abs(found["stage2_decision"].due_at - due) < timedelta(milliseconds=1)
    tl = build_timeline(events, runs=len(case.runs), prepared_by="auditor:au-1", prepared_at=datetime.now(UTC))
    kinds = [e.event for e in tl.entries]
    assert kinds.count("history continues") == 1 and kinds.count("R&R period extended") == extensions + 1
    assert kinds.count("case opened") == 1


async def test_stage2_after_the_policy_limit_is_late_whatever_the_authority_extended(nrm: NrmClient) -> None:
    """The competent authority extends the R&R period, then decides after the fixed limit: the case's working due
    time moved (no escalation), but the audit reports the decision late, with the extension as its justification."""
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=FAST_POLICY)  # R&R 8 s
    stage1 = await nrm.decide_stage1(ref, decision())
    assert stage1.rr is not None
    await nrm.extend_rr(
        ref, ExtendRRRequest(actor=AUTHORITY, reasons="medical treatment ongoing", extend_by=timedelta(seconds=30))
    )
    await asyncio.sleep((stage1.rr.end - datetime.now(UTC)).total_seconds() + 1)
    await nrm.decide_stage2(ref, decision())
    events = await decode_case(await fetch_case(nrm.client, ref), nrm.client.data_converter)
    found = {f.rule: f for f in evaluate_history(events, datetime.now(UTC)).findings}
    assert found["stage2_decision"].status is Status.MET  # by the working due time the extension set
    limit = found["stage2_decision.policy_limit"]
    # the audit reads the decision's time off the history, the case its clock: the same instant to within 1 ms
    assert limit.status is Status.BREACHED and abs(limit.due_at - stage1.rr.end) < timedelta(milliseconds=1)
    assert "stated justification: competent_authority:ca-1 on " in limit.detail
    assert limit.detail.endswith(": medical treatment ongoing")
