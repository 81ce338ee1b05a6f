"""A server restart mid-R&R: the case lives in the SQLite file, and its timer fires once server and worker are back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from domain.case import Stage
from plumbing.settings import Settings
from tests.conftest import FAST_POLICY, eventually
from tests.devserver import own_server
from tests.integration.helpers import FIRST_RESPONDER, adult_referral, decision, outbox_messages


async def test_case_continues_after_the_server_restarts(settings: Settings, tmp_path: Path) -> None:
    db = tmp_path / "temporal.db"
    own = settings.model_copy(update={"task_queue": f"nrm-restart-{uuid.uuid4().hex[:8]}"})

    async with own_server(own, db=db) as nrm:
        ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=FAST_POLICY)
        status = await nrm.decide_stage1(ref, decision())
    assert status.rr is not None and datetime.now(UTC) < status.rr.end, "the R&R period must still run at shutdown"
    end = status.rr.end

    async with own_server(own, db=db) as nrm:

        async def auto_extended():
            s = await nrm.status(ref)
            return s if s.rr and s.rr.extensions else None

        status = await eventually(auto_extended, timeout=30)

        async def escalated() -> bool:  # recorded with the extension, delivered just after it
            return any(
                m["X-NRM-Alert"] == f"{ref}/stage2_decision/v0/escalation"
                for m in outbox_messages(own.outbox_path, ref)
            )

        await eventually(escalated, timeout=20)
    assert status.stage is Stage.PRESUMED_VICTIM and status.removal_suspended
    [ext] = status.rr.extensions
    assert ext.automatic and ext.previous_end == end
    assert status.rr.end == end + nrm.policy(FAST_POLICY).rr.auto_extension_step
    stage2 = next(d for d in status.deadlines if d.kind == "stage2_decision")
    assert stage2.breaches == 1 and stage2.due_at == status.rr.end
    escalations = [m["X-NRM-Alert"] for m in outbox_messages(own.outbox_path, ref) if m["X-NRM-Kind"] == "escalation"]
    assert f"{ref}/stage2_decision/v0/escalation" in escalations  # sent by the worker after the restart
