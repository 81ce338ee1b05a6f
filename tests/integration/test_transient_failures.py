"""An act sent while the case's workflow task fails for a moment (a worker crashing mid-task) is retried by the
client library under its request id until the case takes it, and carried out once."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    Worker,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from plumbing.actor_directory import ActorDirectoryFollower
from plumbing.connection import data_converter
from plumbing.settings import Settings
from starter.client import NrmClient
from tests.integration.helpers import FIRST_RESPONDER, adult_referral, decision, history_events
from workflows.plugin import nrm_plugin


class CrashingTasks(Interceptor):
    """Fails the workflow task that carries out an act, `times` times (as a worker dying mid-task would)."""

    def __init__(self, times: int) -> None:
        self.left = times

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        outer = self

        class _Crash(WorkflowInboundInterceptor):
            async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
                if outer.left > 0 and not workflow.unsafe.is_replaying():
                    outer.left -= 1
                    raise RuntimeError("simulated crash in the middle of a workflow task")
                return await super().handle_update_handler(input)

        return _Crash


async def test_an_act_waits_out_a_failing_workflow_task_and_acts_once(
    temporal_env: WorkflowEnvironment, settings: Settings
) -> None:
    own = settings.model_copy(update={"task_queue": f"crashing-{uuid.uuid4().hex[:8]}"})
    config = temporal_env.client.config()
    config["data_converter"] = data_converter(own, worker=True)
    actors = ActorDirectoryFollower(own)
    crashes = CrashingTasks(times=3)
    worker = Worker(
        Client(**config),
        task_queue=own.task_queue,
        interceptors=[crashes],
        plugins=[nrm_plugin(config["data_converter"], directory=actors.current)],
    )
    nrm = NrmClient(temporal_env.client, own)
    async with worker:
        ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
        first = asyncio.create_task(nrm.decide_stage1(ref, decision(), request_id="form-9"))
        await asyncio.sleep(1.5)  # the case's workflow task is failing now: its retries back off
        again = await nrm.decide_stage1(ref, decision(), request_id="form-9")
        result = await first
        assert result.stage.value == again.stage.value == "presumed_victim"
        assert [result.repeated, again.repeated].count(True) == 1
        assert crashes.left == 0
        status = await nrm.status(ref)
        assert [d.act for d in status.decisions] == ["stage1_decision"]
        events = [e.event_type for e in await history_events(nrm.client, ref)]
        assert events.count(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) >= 1
        assert events.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) == 1
