"""Consent withdrawn per purpose through `nrm case withdraw-consent`, on the seconds-scale policy: without consent
to data sharing no assessment request leaves; without consent to referral no identification decision is made, and
the audit judges the decisions only until then; removal stays suspended and support owed stays owed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from domain.case import Stage
from domain.consent import ConsentPurpose
from domain.requests import ConsentWithdrawalRequest
from domain.roles import Actor, Role
from plumbing.connection import data_converter
from starter.audit.compliance import Status, evaluate_history
from starter.audit.history import decode_case, fetch_case
from starter.client import NrmClient
from tests.conftest import FAST_POLICY
from tests.integration.helpers import AUTHORITY, FIRST_RESPONDER, adult_referral, decision, outbox_messages, settled
from tests.integration.nrm_cli import run_nrm

AS_SUPPORT = ("--as", "support_provider:sp-1")
SUPPORT = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")


async def test_consent_withdrawn_per_purpose_stops_what_depends_on_it_and_keeps_protection(
    nrm: NrmClient, cli_env: dict[str, str], finish: list[str]
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=FAST_POLICY)
    finish.append(ref)
    withdrawn = await run_nrm(
        "case", "withdraw-consent", ref, "--purpose", "data-sharing", "--json", *AS_SUPPORT, env=cli_env
    )
    assert [w["purpose"] for w in withdrawn.json()["consent_withdrawals"]] == ["data_sharing"]
    await nrm.decide_stage1(ref, decision(actor=AUTHORITY))
    # at once (the R&R period is 8 s): referral and monitoring in one step
    both = ConsentWithdrawalRequest(
        actor=SUPPORT, purposes=[ConsentPurpose.REFERRAL, ConsentPurpose.MONITORING], reasons="wants no identification"
    )
    await nrm.withdraw_consent(ref, both)
    status = await nrm.status(ref)
    stage2 = next(d for d in status.deadlines if d.kind == "stage2_decision")
    assert stage2.state.value == "lapsed" and stage2.evidence.startswith("consent to referral withdrawn")
    assert status.removal_suspended and status.stage is Stage.PRESUMED_VICTIM
    assessments = [d for d in status.deadlines if d.kind in ("needs_risks_assessment", "safety_support_plan")]
    assert len(assessments) == 2 and all(d.state.value != "met" for d in assessments)  # still owed
    await settled(nrm.client, ref)
    kinds = {m["X-NRM-Kind"] for m in outbox_messages(nrm.settings.outbox_path, ref)}
    assert "assessment_request" not in kinds and "decision_letter" in kinds  # the person's own letter still goes

    again = await run_nrm("case", "withdraw-consent", ref, "--purpose", "data-sharing", *AS_SUPPORT, env=cli_env)
    assert "is withdrawn already" in again.error_line(3)
    decided = await run_nrm(
        "case", "decide", "stage2", ref, "--outcome", "positive", "--reasons", "x", "--as", "competent_authority:ca-1",
        env=cli_env,
    )  # fmt: skip
    assert "the person withdrew consent to referral" in decided.error_line(3)

    status = await nrm.status(ref)
    assert status.rr is not None
    await asyncio.sleep(max(0.0, (status.rr.end - status.as_of).total_seconds()) + 0.5)  # past the R&R end
    events = await decode_case(await fetch_case(nrm.client, ref), data_converter(nrm.settings))
    findings = {f.rule: f for f in evaluate_history(events, status.rr.end + timedelta(seconds=1)).findings}
    assert findings["stage2_decision"].status is Status.PENDING  # when consent was withdrawn: no breach after it
    assert findings["rr_extended_not_lapsed"].status is not Status.BREACHED
    after = await nrm.status(ref)
    assert after.rr is not None and after.rr.extensions == []  # no Stage 2 owed: nothing to extend it for
    assert after.removal_suspended
