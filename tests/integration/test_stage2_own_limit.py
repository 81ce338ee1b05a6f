"""Stage 2 with a limit of its own beyond the R&R period (as in coe-minimum), on the real dev server: under
fast.toml with Stage 2 due 14 s after a positive Stage 1 and an R&R period of 8 s (tests/policies.stage2_own_limit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from plumbing.connection import data_converter
from starter.audit.compliance import Status, evaluate_history
from starter.audit.history import decode_case, fetch_case
from starter.client import NrmClient
from tests.conftest import eventually
from tests.integration.helpers import FIRST_RESPONDER, adult_referral, decision
from tests.policies import stage2_own_limit


async def test_the_rr_period_ends_by_itself_and_stage2_lapses_at_its_own_limit(nrm: NrmClient, tmp_path: Path) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=stage2_own_limit(tmp_path))
    result = await nrm.decide_stage1(ref, decision())
    assert result.rr is not None
    stage2 = next(d for d in result.open_deadlines if d.kind == "stage2_decision")
    assert stage2.due_at - result.rr.start == timedelta(seconds=14)
    assert result.rr.end - result.rr.start == timedelta(seconds=8)

    async def rr_over() -> bool:
        return datetime.now(UTC) > result.rr.end + timedelta(seconds=1)  # type: ignore[union-attr]

    await eventually(rr_over, timeout=12)
    status = await nrm.status(ref)
    assert status.rr is not None and not status.rr.extensions  # nothing lapsed: the period simply ended
    assert status.removal_suspended and [h.kind.value for h in status.holds] == ["identification_not_final"]
    assert next(d for d in status.deadlines if d.kind == "stage2_decision").breaches == 0

    async def escalated() -> bool:
        events = await decode_case(await fetch_case(nrm.client, ref), data_converter(nrm.settings))
        found = {f.rule: f for f in evaluate_history(events, datetime.now(UTC)).findings}
        return found["stage2_decision.escalation"].status is Status.MET and found

    found = await eventually(escalated, timeout=15)
    assert found["stage2_decision"].status is Status.BREACHED
    assert "Stage 2's own limit of 14 seconds" in found["stage2_decision"].detail
    assert found["rr_extended_not_lapsed"].status is Status.NOT_APPLICABLE
    assert found["stage2_decision.policy_limit"].status is Status.BREACHED
    status = await nrm.status(ref)
    assert status.rr is not None and not status.rr.extensions and status.removal_suspended
