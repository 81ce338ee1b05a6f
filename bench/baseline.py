"""The baseline: what the engine alone costs for the work a case makes it do.

The minimal design of the same work: a workflow with the same updates, alarm and activities as a case and no
domain logic. It holds a set of duties, each with its reminder times and due time; like a case it keeps one
durable alarm for the nearest of them all (each wakeup followed by an activity when its time comes), and an update
closes some duties, opens others and runs as many activities at once as the matching act of a case does (its
letters, its requests).
The benchmark derives this plan from a calibration case (bench.plan), so the baseline mirrors whatever
obligations and activities nrmflow has. Like a case, it stays open.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from bench.plan import BaselineAct, BaselineStatus
    from plumbing.search_attributes import STAGE

BASELINE_TIMEOUT = timedelta(minutes=2)


@activity.defn(name="baseline_alert")
async def baseline_alert(key: str) -> str:
    return key


@workflow.defn(name="BaselineWorkflow")
class BaselineWorkflow:
    """Shaped like CaseWorkflow: acts change the duties, the main loop moves the one alarm when the nearest
    wakeup changes."""

    @workflow.init
    def __init__(self, start: BaselineAct) -> None:
        self._wakeups: dict[str, datetime] = {}  # "<duty id>/reminder-<n>" or "<duty id>/due" -> when
        self._alarm: tuple[datetime, asyncio.Task[None]] | None = None
        self._acts = 0
        self._changed = True
        self._activities_due = 0
        self._upserts_due = 0
        self._apply(start)

    @workflow.run
    async def run(self, start: BaselineAct) -> None:
        while True:
            for n in range(self._activities_due):
                asyncio.create_task(self._alert(f"act-{self._acts}/{n}"))  # noqa: RUF006 (the loop keeps its tasks)
            self._activities_due = 0
            for n in range(self._upserts_due):
                workflow.upsert_search_attributes([STAGE.value_set(f"act-{self._acts}/{n}")])
            self._upserts_due = 0
            self._set_alarm()
            self._changed = False
            await workflow.wait_condition(lambda: self._changed)

    @workflow.update
    def act(self, request: BaselineAct) -> BaselineStatus:
        self._acts += 1
        self._apply(request)
        self._changed = True
        return BaselineStatus(open=sorted({key.partition("/")[0] for key in self._wakeups}), acts=self._acts)

    def _apply(self, request: BaselineAct) -> None:
        for duty_id in request.closes:
            self._wakeups = {k: at for k, at in self._wakeups.items() if not k.startswith(f"{duty_id}/")}
        now = workflow.now()
        for duty in request.opens:
            self._wakeups |= {f"{duty.id}/reminder-{n}": now + after for n, after in enumerate(duty.remind_after)}
            self._wakeups[f"{duty.id}/due"] = now + duty.due_after
        self._activities_due += request.activities
        self._upserts_due += request.upserts

    def _set_alarm(self) -> None:
        nearest = min(self._wakeups.values(), default=None)
        if self._alarm is not None and self._alarm[0] == nearest:
            return
        if self._alarm is not None:
            self._alarm[1].cancel()
        self._alarm = (nearest, asyncio.create_task(self._ring(nearest))) if nearest else None

    async def _ring(self, at: datetime) -> None:
        delay = at - workflow.now()
        if delay > timedelta(0):
            await workflow.sleep(delay)
        self._alarm = None
        now = workflow.now()
        for key in [k for k, when in self._wakeups.items() if when <= now]:
            del self._wakeups[key]
            asyncio.create_task(self._alert(key))  # noqa: RUF006 (the loop keeps its tasks)
        self._changed = True

    async def _alert(self, key: str) -> None:
        await workflow.execute_activity(baseline_alert, key, start_to_close_timeout=BASELINE_TIMEOUT)
