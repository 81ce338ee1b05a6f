"""Voluntary return on the real dev server, under fast.toml with returns on a seconds scale
(tests/policies.with_returns: the risk assessment and the plan within 8 s, check-ins every 6 s then 10 s, for at
least 20 s). Each refusal names its hold and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.requests import (
    CheckInRequest,
    DepartureRequest,
    ReconsiderationRequest,
    ReturnAssessmentRequest,
    ReturnPlanRequest,
    ReturnRequest,
)
from domain.roles import Actor, Role
from plumbing.connection import data_converter
from starter.audit.compliance import Status, evaluate_history
from starter.audit.history import decode_case, fetch_case
from starter.client import NrmClient
from tests.conftest import eventually
from tests.integration.helpers import FIRST_RESPONDER, adult_referral, decision, outbox_messages
from tests.integration.nrm_cli import run_nrm
from tests.integration.test_rejections import refused
from tests.policies import with_returns

ADVOCATE = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
COORDINATOR = Actor(role=Role.COORDINATOR, id="co-1")
ABROAD = Actor(role=Role.RECEIVING_SUPPORT, id="rs-1")
AS_COORDINATOR = ("--as", "coordinator:co-1")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def ask() -> ReturnRequest:
    return ReturnRequest(
        actor=ADVOCATE,
        decided_on=datetime.now(UTC).date(),
        destination="RO",
        legal_advice="options explained by a lawyer",
        informed_of_options=True,
    )


def clear() -> ReturnAssessmentRequest:
    return ReturnAssessmentRequest(actor=ADVOCATE, risk_found=False, summary="family safe", covers_family=True)


def _return_letters(nrm: NrmClient, ref: str) -> list[str]:
    return [
        " ".join(m.get_payload(decode=True).decode().split())
        for m in outbox_messages(nrm.settings.outbox_path, ref)
        if m["X-NRM-Kind"] == "return_letter"
    ]


async def test_a_return_requested_while_a_reconsideration_is_possible_is_refused_naming_the_hold(
    nrm: NrmClient, cli_env: dict[str, str], tmp_path: Path
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=with_returns(tmp_path))
    await nrm.decide_stage1(ref, decision("negative"))  # the reconsideration window opens
    await nrm.request_return(ref, ask())
    await nrm.assess_return(ref, clear())
    departure = datetime.now(UTC) + timedelta(minutes=5)
    plan = await run_nrm(
        "case", "return", "plan", ref, *AS_COORDINATOR, "--departure", _iso(departure),
        "--reception", "IOM office", "--travel-documents",
        env=cli_env,
    )  # fmt: skip
    line = plan.error_line(3)
    assert "planning the return is refused while holds apply" in line
    assert "the negative Stage 1 decision is reconsideration window open" in line
    holds = await run_nrm("case", "holds", ref, env=cli_env)
    assert "also stops a voluntary departure" in holds.out


async def test_a_return_is_told_in_writing_and_waits_behind_a_pending_reconsideration(
    nrm: NrmClient, cli_env: dict[str, str], tmp_path: Path
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=with_returns(tmp_path))
    await nrm.decide_stage1(ref, decision("negative"))
    await nrm.request_reconsideration(ref, ReconsiderationRequest(actor=ADVOCATE, reasons="new indicators"))
    # the person asks to return while the review panel reconsiders: recorded, assessed, but not planned
    requested = await run_nrm(
        "case", "return", "request", ref, "--as", "support_provider:sp-1", "--decided-on",
        datetime.now(UTC).date().isoformat(), "--destination", "RO", "--legal-advice", "explained by a lawyer",
        "--informed-of-options", "--json",
        env=cli_env,
    )  # fmt: skip
    assert requested.json()["returns"][0]["phase"] == "requested"
    assessed = await run_nrm(
        "case", "return", "assess", ref, "--as", "support_provider:sp-1", "--risk", "none", "--summary",
        "family safe", "--covers-family", "--json",
        env=cli_env,
    )  # fmt: skip
    assert assessed.json()["returns"][0]["phase"] == "assessed"
    await eventually(lambda: _letter(nrm, ref, "a fost înregistrată decizia de întoarcere voluntară"))

    departure = datetime.now(UTC) + timedelta(minutes=5)
    refusal = await run_nrm(
        "case", "return", "plan", ref, *AS_COORDINATOR, "--departure", _iso(departure), "--reception", "IOM",
        "--travel-documents",
        env=cli_env,
    )  # fmt: skip
    assert "the negative Stage 1 decision is reconsideration pending" in refusal.error_line(3)


async def _letter(nrm: NrmClient, ref: str, text: str) -> bool:
    return any(text in body for body in _return_letters(nrm, ref))


async def test_a_confirmed_victim_returns_is_checked_in_and_a_missed_check_in_escalates(
    nrm: NrmClient, tmp_path: Path
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=with_returns(tmp_path))
    await nrm.decide_stage1(ref, decision())
    await nrm.decide_stage2(ref, decision())  # confirmed: identification final, nothing holds a chosen departure
    await nrm.request_return(ref, ask())
    await nrm.assess_return(ref, clear())
    soon = datetime.now(UTC) + timedelta(seconds=30)
    await nrm.plan_return(
        ref,
        ReturnPlanRequest(actor=COORDINATOR, departure_at=soon, reception="IOM office", travel_documents=True),
    )
    await eventually(lambda: _letter(nrm, ref, "Întoarcerea este planificată pentru"))
    result = await nrm.record_departure(ref, DepartureRequest(actor=COORDINATOR, note="by air"))
    first = next(d for d in result.open_deadlines if d.kind == "reintegration_check_in")
    assert first.owner_role == "receiving_support_provider"
    await nrm.record_check_in(ref, CheckInRequest(actor=ABROAD, summary="settled"))
    status = await nrm.status(ref)
    [ret] = status.returns
    assert ret.phase.value == "monitoring" and len(ret.check_ins) == 1 and not status.removal_suspended

    async def escalated() -> bool:
        keys = {m["X-NRM-Alert"] for m in outbox_messages(nrm.settings.outbox_path, ref)}
        return f"{ref}/reintegration_check_in#2/v0/escalation" in keys and any(
            k.startswith(f"{ref}/reintegration_check_in#2/v0/reminder") for k in keys
        )

    await eventually(escalated, timeout=30)  # the second check-in (10 s on) is missed: reminded, then escalated
    await refused(
        nrm,
        ref,
        lambda: nrm.record_check_in(ref, CheckInRequest(actor=COORDINATOR, summary="s")),
        "role coordinator may not record a reintegration check-in; allowed: receiving_support_provider",
    )


async def test_a_protection_claim_recorded_from_the_command_line_holds_until_it_ends(
    nrm: NrmClient, cli_env: dict[str, str], tmp_path: Path
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=with_returns(tmp_path))
    await nrm.decide_stage1(ref, decision())
    await nrm.decide_stage2(ref, decision())
    lawyer = ("--as", "legal_representative:lr-1")
    recorded = await run_nrm(
        "case", "proceeding", ref, *lawyer, "--kind", "asylum_claim", "--reference", "AS-2026-77", "--json",
        env=cli_env,
    )  # fmt: skip
    shown = recorded.json()
    assert [h["kind"] for h in shown["holds"]] == ["protection_claim_pending"]
    assert shown["proceedings"][0]["reference"] == "AS-2026-77"
    refused = await run_nrm("case", "proceeding", ref, *lawyer, "--end", "4", env=cli_env)
    assert "no claim or proceeding number 4 in the case (recorded: 1)" in refused.error_line(3)
    ended = await run_nrm("case", "proceeding", ref, *lawyer, "--end", "1", "--json", env=cli_env)
    assert ended.json()["holds"] == []


async def test_the_receiving_side_records_that_the_person_did_not_arrive_and_the_case_reports_them_missing(
    nrm: NrmClient, cli_env: dict[str, str], tmp_path: Path
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=with_returns(tmp_path))
    await nrm.decide_stage1(ref, decision())
    await nrm.decide_stage2(ref, decision())
    await nrm.request_return(ref, ask())
    await nrm.assess_return(ref, clear())
    soon = datetime.now(UTC) + timedelta(seconds=30)
    plan = ReturnPlanRequest(
        actor=COORDINATOR, departure_at=soon, reception="IOM office", travel_documents=True, coordinate=True
    )
    await nrm.plan_return(ref, plan)
    result = await nrm.record_departure(ref, DepartureRequest(actor=COORDINATOR, note="by air"))
    owed = next(d for d in result.open_deadlines if d.kind == "return_reception")
    assert owed.owner_role == "receiving_support_provider"
    wrong = await run_nrm("case", "return", "received", ref, *AS_COORDINATOR, "--summary", "met", env=cli_env)
    assert "role coordinator may not record the reception after a return" in wrong.error_line(3)
    closing = await run_nrm("case", "close", ref, *AS_COORDINATOR, "--reason", "left_country", env=cli_env)
    assert "while the receiving side's record of the reception is awaited" in closing.error_line(3)

    recorded = await run_nrm(
        "case", "return", "received", ref, "--as", "receiving_support_provider:rs-1", "--not-received",
        "--summary", "not at the arrival point; phone off", "--json",
        env=cli_env,
    )  # fmt: skip
    assert recorded.code == 0, recorded.err
    status = await nrm.status(ref)
    assert status.missing is not None and status.missing.note == "did not arrive at the destination of the return"
    reception = status.returns[0].reception
    assert reception is not None and not reception.received

    async def told() -> bool:
        return any(m["X-NRM-Kind"] == "case_event" for m in outbox_messages(nrm.settings.outbox_path, ref))

    await eventually(told)
    events = await decode_case(await fetch_case(nrm.client, ref), data_converter(nrm.settings))
    found = {f.rule: f for f in evaluate_history(events, datetime.now(UTC)).findings}
    assert found["return_reception"].status is Status.MET
