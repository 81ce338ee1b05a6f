"""Close and re-open through `nrm`, against the real dev server: refused while a challenge is pending; a closed case
ends its workflow, is listed as closed and takes no act; a re-opening unsigned or forged is refused and the case stays
closed; re-opened, it continues as a new run of the same id with its state, recording who and why; its audit reads
the whole life, before the closure and after the re-opening."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy

from domain.case import CaseState
from domain.reference import workflow_id
from domain.requests import OpenCase, ProvideRequest, ReopenRequest
from domain.roles import Act, Actor, Role
from plumbing.connection import data_converter
from starter.actors import SigningInterceptor
from starter.audit.history import decode_case, fetch_case
from starter.audit.timeline import build as build_timeline
from starter.client import NrmClient, Refused
from tests.conftest import FAST_POLICY, eventually
from tests.integration.helpers import AUTHORITY, COORDINATOR, FIRST_RESPONDER, adult_referral, decision
from tests.integration.nrm_cli import run_nrm

AS_CO = ("--as", "coordinator:co-1")
AS_AU = ("--as", "auditor:au-1")


async def listed_closed(env: dict[str, str], ref: str) -> bool:
    rows = (await run_nrm("cases", "list", "--closed", "--json", env=env)).json()
    return any(r["reference"] == ref and r["running"] is False for r in rows)


async def test_close_refused_while_a_challenge_is_pending(nrm: NrmClient, cli_env: dict[str, str]) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)  # the OSCE model: a 30-day window
    await nrm.decide_stage1(ref, decision("negative", actor=AUTHORITY))
    refused = await run_nrm("case", "close", ref, "--reason", "final_decisions", *AS_CO, env=cli_env)
    assert "cannot be closed while reconsideration of the negative Stage 1 decision may be requested" in (
        refused.error_line(3)
    )


async def test_close_list_reopen_continue(nrm: NrmClient, cli_env: dict[str, str], tmp_path: Path) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=FAST_POLICY)
    await nrm.decide_stage1(ref, decision(actor=AUTHORITY))
    await nrm.decide_stage2(ref, decision(actor=AUTHORITY))
    wrong_role = await run_nrm("case", "close", ref, "--reason", "support_ended", "--as", "support_provider:sp-1",
                               env=cli_env)  # fmt: skip
    assert "role support_provider may not close a case" in wrong_role.error_line(3)

    closed = (
        await run_nrm(
            "case", "close", ref, "--reason", "support_ended", "--note", "moved on", "--json", *AS_CO, env=cli_env
        )
    ).json()
    assert closed["closed"] is True and closed["closures"][0]["reason"] == "support_ended"
    handle = nrm.client.get_workflow_handle(workflow_id(ref))
    first_run = await handle.describe()
    assert first_run.status == WorkflowExecutionStatus.COMPLETED
    assert await eventually(lambda: listed_closed(cli_env, ref))
    shown = await run_nrm("case", "show", ref, env=cli_env)  # a closed case stays readable
    assert "closed" in shown.out and "support_ended" in shown.out
    late = await run_nrm("case", "provide", ref, "legal_advice", "--evidence", "x", "--as", "support_provider:sp-1",
                         env=cli_env)  # fmt: skip
    assert f"case {ref} is closed: re-open it first" in late.error_line(3)
    assert "case closed" in [e.event for e in await timeline(nrm, ref)]

    await refused_reopenings(nrm, ref)
    assert await listed_closed(cli_env, ref)  # as before: the refused re-openings' runs ended at once, closed
    late = await run_nrm("case", "provide", ref, "legal_advice", "--evidence", "x", "--as", "support_provider:sp-1",
                         env=cli_env)  # fmt: skip
    assert f"case {ref} is closed: re-open it first" in late.error_line(3)

    reopened = (
        await run_nrm("case", "reopen", ref, "--reasons", "new support needs", "--json", *AS_CO, env=cli_env)
    ).json()
    assert reopened["closed"] is False
    assert reopened["reopenings"][0]["by"] == {"role": "coordinator", "id": "co-1"}
    assert reopened["reopenings"][0]["reasons"] == "new support needs"
    assert reopened["stage"] == "confirmed_victim" and len(reopened["decisions"]) == 4  # its state carried on
    second_run = await handle.describe()
    assert second_run.status == WorkflowExecutionStatus.RUNNING and second_run.run_id != first_run.run_id
    assert await eventually(lambda: _not_listed(cli_env, ref))
    again = await run_nrm("case", "reopen", ref, "--reasons", "again", *AS_CO, env=cli_env)
    assert "is open: only a closed case is re-opened" in again.error_line(3)
    support = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
    await nrm.provide(ref, ProvideRequest(actor=support, kind="legal_advice", evidence="lawyer met"))  # continues
    assert next(d for d in (await nrm.status(ref)).deadlines if d.kind == "legal_advice").fulfilled_at is not None
    life = await timeline(nrm, ref)
    [entry] = [e for e in life if e.event == "case re-opened"]
    assert (entry.actor, entry.reasons) == ("coordinator:co-1", "new support needs")
    acts = [e.event for e in life if e.actor]  # the whole life, in order: the refused re-openings are not in it
    assert acts == [
        "case opened",
        "Stage 1 decision",
        "Stage 2 decision",
        "case closed",
        "case re-opened",
        "provision recorded",
    ]
    assert [e.event for e in life].count("new run of the closed case") == 3  # two refused, one re-opening
    audit = await run_nrm("audit", "timeline", ref, "--as", "auditor:au-1", env=cli_env)
    assert "case closed" in audit.out and "case re-opened" in audit.out and "Stage 1 decision" in audit.out
    judged = (await run_nrm("audit", "compliance", ref, "--json", *AS_AU, env=cli_env)).json()
    [case] = judged["cases"]  # judged over its whole life: the decisions made before the closure count
    findings = {f["rule"]: f["status"] for f in case["findings"]}
    assert findings["stage1_decision"] == "met" and findings["stage2_decision"] == "met", findings
    exported = tmp_path / "export"  # every run in its own file; read back, the runs are put in order again
    await run_nrm("audit", "export", ref, "--out", str(exported), "--as", "auditor:au-1", env=cli_env)
    assert len(list(exported.rglob("*.json"))) == 4 + 1  # the runs: opened, two refused, re-opened; the manifest
    from_files = await run_nrm("audit", "timeline", "--from-file", str(exported), "--json", *AS_AU, env=cli_env)
    assert [e["event"] for e in from_files.json()["entries"] if e["actor"]] == acts
    replayed = await run_nrm("audit", "replay", "--from-file", str(exported), *AS_AU, env=cli_env)
    assert replayed.code == 0, replayed.err


async def refused_reopenings(nrm: NrmClient, ref: str) -> None:
    """A re-opening in the coordinator's name, forged (signed with another key) and unsigned: each refused by the
    case itself, its run ended at once with the closed state."""
    request = ReopenRequest(actor=COORDINATOR, reasons="someone else's re-opening")
    forger = SigningInterceptor(lambda actor: Ed25519PrivateKey.generate())
    with pytest.raises(Refused, match=r"^forged assertion: its signature does not verify with actor co-1's"):
        await NrmClient(Client(**{**nrm.client.config(), "interceptors": [forger]}), nrm.settings).reopen_case(
            ref, request
        )
    closed_state = await nrm.client.get_workflow_handle(workflow_id(ref), result_type=CaseState).result()
    unsigned = Client(**{**nrm.client.config(), "interceptors": []})
    start = WithStartWorkflowOperation(
        "CaseWorkflow",
        OpenCase(
            reference=ref,
            referral=closed_state.referral,
            policy=closed_state.policy,
            opened_by=closed_state.opened_by,
            state=closed_state,
        ),
        id=workflow_id(ref),
        task_queue=nrm.settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await unsigned.execute_update_with_start_workflow(
            Act.REOPEN_CASE.value, request, start_workflow_operation=start
        )
    assert str(caught.value.cause.message).startswith("the act is unsigned")
    handle = nrm.client.get_workflow_handle(workflow_id(ref), result_type=CaseState)
    assert await handle.result() == closed_state  # the latest run, the refused one's, ended with the state unchanged
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    assert (await nrm.status(ref)).closed


async def timeline(nrm: NrmClient, ref: str):
    case = await fetch_case(nrm.client, ref)
    events = await decode_case(case, data_converter(nrm.settings))
    return build_timeline(
        events, runs=len(case.runs), prepared_by="auditor:au-1", prepared_at=datetime.now(UTC)
    ).entries


async def _not_listed(env: dict[str, str], ref: str) -> bool:
    return not await listed_closed(env, ref)
