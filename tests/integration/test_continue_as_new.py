"""Continue-as-new: a case lives for months or years, so it starts a fresh history when the server suggests it.

Temporal suggests it after `limit.historyCount.suggestContinueAsNew` events (4096 by default, dynamic config of
the server; set low here on a server of this test's own) and the workflow must carry its whole state over.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio.api.enums.v1 import EventType

from domain.case import Stage
from domain.reference import workflow_id
from domain.requests import ExtendRRRequest
from domain.status import ActResult
from plumbing.settings import Settings
from starter.audit.history import fetch_case
from starter.audit.replay import replay
from tests.devserver import own_server
from tests.integration.helpers import AUTHORITY, FIRST_RESPONDER, adult_referral, decision

SUGGEST_AFTER = 120  # history events: well above a new run's own start (a timer per open obligation, actors)
MAX_EXTENSIONS = 30  # each adds about ten events


def brief(case: ActResult) -> dict[str, object]:
    """What an act returns, from an act's result or the whole status alike."""
    return case.model_dump(include=set(ActResult.model_fields) - {"as_of", "repeated"})


def extension(n: int) -> ExtendRRRequest:
    return ExtendRRRequest(actor=AUTHORITY, reasons=f"extension {n}", extend_by=timedelta(days=1))


async def test_case_continues_as_new_when_the_server_suggests_it(settings: Settings) -> None:
    own = settings.model_copy(update={"task_queue": f"nrm-can-{uuid.uuid4().hex[:8]}"})
    server_args = ["--dynamic-config-value", f"limit.historyCount.suggestContinueAsNew={SUGGEST_AFTER}"]
    async with own_server(own, extra_args=server_args) as nrm:
        ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)  # OSCE model: no timer fires meanwhile
        await nrm.decide_stage1(ref, decision())
        handle = nrm.client.get_workflow_handle(workflow_id(ref))
        first_run = (await handle.describe()).run_id

        extensions = 0
        while (await handle.describe()).run_id == first_run:
            assert extensions < MAX_EXTENSIONS, "the workflow did not continue as new"
            extensions += 1
            before = await nrm.extend_rr(ref, extension(extensions), request_id=f"ext-{ref}-{extensions}")

        first_history = [
            e async for e in nrm.client.get_workflow_handle(workflow_id(ref), run_id=first_run).fetch_history_events()
        ]
        assert len(first_history) >= SUGGEST_AFTER
        assert first_history[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
        new_history = [e async for e in handle.fetch_history_events()]
        started = new_history[0].workflow_execution_started_event_attributes
        assert started.continued_execution_run_id == first_run
        assert len(new_history) < SUGGEST_AFTER

        after = await nrm.status(ref)
        assert brief(after) == brief(before)
        repeated = await nrm.extend_rr(ref, extension(extensions), request_id=f"ext-{ref}-{extensions}")
        assert brief(repeated) == brief(before) and repeated.repeated, (
            "an act repeated with its request id in the new run was carried out again"
        )
        assert after.stage is Stage.PRESUMED_VICTIM and [d.act for d in after.decisions] == ["stage1_decision"]
        assert after.rr is not None and len(after.rr.extensions) == extensions
        assert after.rr.end - after.rr.start == timedelta(days=90 + extensions)

        status = await nrm.extend_rr(ref, extension(extensions + 1))  # the new run takes acts
        assert status.rr is not None and status.rr.end - status.rr.start == timedelta(days=91 + extensions)
        stage2 = next(d for d in status.open_deadlines if d.kind == "stage2_decision")
        assert stage2.due_at == status.rr.end
        status = await nrm.decide_stage2(ref, decision())
        assert status.stage is Stage.CONFIRMED_VICTIM

        # as `nrm audit replay` replays it: the repeat the new run answered (and did not apply) replays as it ran
        outcomes = [o async for o in replay([await fetch_case(nrm.client, ref)], nrm.client.data_converter)]
        assert len(outcomes) == 2 and all(o.faithful for o in outcomes), outcomes
