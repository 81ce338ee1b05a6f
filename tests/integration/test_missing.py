"""Missing and found, on the seconds-scale policy against the real dev server: a missing child escalates at once,
reminders go to the coordinator while missing, `nrm cases list --missing` lists the case; a missing adult's case is
suspended (not closed) after the policy's 6 s and resumes when found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.case import Stage
from domain.requests import FoundRequest, MissingRequest
from domain.roles import Actor, Role
from plumbing.connection import data_converter
from starter.audit.history import decode_case, fetch_case
from starter.audit.timeline import build as build_timeline
from starter.client import NrmClient
from tests.conftest import FAST_POLICY, eventually
from tests.integration.helpers import FIRST_RESPONDER, adult_referral, child_referral, outbox_messages
from tests.integration.nrm_cli import run_nrm

SUPPORT = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")


async def listed_missing(env: dict[str, str], ref: str) -> list[dict]:
    rows = (await run_nrm("cases", "list", "--missing", "--all", "--json", env=env)).json()
    return [r for r in rows if r["reference"] == ref]


async def test_a_missing_child_escalates_at_once_and_reminders_go_to_the_coordinator(
    nrm: NrmClient, cli_env: dict[str, str], finish: list[str]
) -> None:
    ref = await nrm.open_case(child_referral(), FIRST_RESPONDER, policy=FAST_POLICY)
    finish.append(ref)
    await nrm.report_missing(ref, MissingRequest(actor=SUPPORT, note="left the shelter"))
    assert (await nrm.status(ref)).missing is not None
    outbox = nrm.settings.outbox_path

    async def sent(kind: str):
        return [m for m in outbox_messages(outbox, ref) if m["X-NRM-Kind"] == kind]

    [escalated] = await eventually(lambda: sent("case_event"))
    assert escalated["To"] == "coordinator@nrm.invalid, child-protection@nrm.invalid"
    assert escalated["Subject"].startswith(f"URGENT: a child in case {ref} is missing")

    async def stage1_reminders():
        found = [m for m in await sent("reminder") if "/stage1_decision/" in m["X-NRM-Alert"]]
        return found if len(found) == 2 else None

    reminders = await eventually(stage1_reminders)  # at 2 s and 3.6 s after referral
    assert {m["To"] for m in reminders} == {"coordinator@nrm.invalid"}  # not the competent authority while missing
    [row] = await eventually(lambda: listed_missing(cli_env, ref))
    assert row["life"] == "missing" and row["is_child"] is True

    again = await run_nrm("case", "missing", ref, "--note", "again", "--as", "coordinator:co-1", env=cli_env)
    assert "is reported missing already" in again.error_line(3)
    await run_nrm("case", "found", ref, "--note", "with the police", "--as", "coordinator:co-1", env=cli_env)
    assert await eventually(lambda: _unlisted(cli_env, ref))
    status_now = await nrm.status(ref)
    assert status_now.missing is None and status_now.missing_reports[0].found_note == "with the police"


async def _unlisted(env: dict[str, str], ref: str) -> bool:
    return not await listed_missing(env, ref)


async def test_a_missing_adults_case_is_suspended_after_the_policys_period_not_closed(
    nrm: NrmClient, cli_env: dict[str, str], finish: list[str]
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=FAST_POLICY)
    finish.append(ref)
    await nrm.report_missing(ref, MissingRequest(actor=SUPPORT))
    gone = (await nrm.status(ref)).missing
    assert gone is not None and gone.suspended_at is None

    async def suspended():
        status = await nrm.status(ref)
        return status if status.missing and status.missing.suspended_at else None

    status = await eventually(suspended, timeout=20)
    assert status.missing is not None and status.missing.suspended_at == gone.since + timedelta(seconds=6)
    assert status.stage is Stage.STAGE1_PENDING  # suspended, not closed: the workflow runs on
    [row] = await eventually(lambda: listed_missing(cli_env, ref))
    assert row["life"] == "suspended"
    messages = outbox_messages(nrm.settings.outbox_path, ref)
    assert [m["To"] for m in messages if m["X-NRM-Alert"].endswith("/suspended")] == ["coordinator@nrm.invalid"]
    await nrm.report_found(ref, FoundRequest(actor=SUPPORT, note="back"))
    assert await eventually(lambda: _unlisted(cli_env, ref))
    assert (await nrm.status(ref)).missing is None
    events = await decode_case(await fetch_case(nrm.client, ref), data_converter(nrm.settings))
    timeline = build_timeline(events, runs=1, prepared_by="auditor:au-1", prepared_at=datetime.now(UTC))
    told = [e.summary.split(";")[0] for e in timeline.entries if e.event == "case event scheduled"]
    assert told == ["the person missing", "case suspended", "the person found"]
    titles = [e.event for e in timeline.entries]
    assert titles.index("reported missing") < titles.index("reported found")
