"""The baseline: what the engine alone costs for the work a case makes it do.

A minimal workflow with the same updates, timers and activities as a case and no domain logic: it holds a set
of duties; each open duty has the same two watchers as a case's obligation (reminder timers, each followed by an
activity when it fires, and one due timer followed by an activity), and an update closes some duties, opens
others and runs as many activities at once as the matching act of a case does (its letters, its requests).
The benchmark derives this plan from a calibration case (bench.plan), so the baseline mirrors whatever
obligations and activities nrmflow has. Like a case, it stays open.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from bench.plan import BaselineAct, BaselineStatus, Duty
    from plumbing.search_attributes import STAGE

BASELINE_TIMEOUT = timedelta(minutes=2)


@activity.defn(name="baseline_alert")
async def baseline_alert(key: str) -> str:
    return key


@workflow.defn(name="BaselineWorkflow")
class BaselineWorkflow:
    """Shaped like CaseWorkflow: acts change the duties, the main loop starts watchers for newly opened ones."""

    @workflow.init
    def __init__(self, start: BaselineAct) -> None:
        self._duties: dict[str, Duty] = {}
        self._watched: set[str] = set()
        self._acts = 0
        self._changed = True
        self._activities_due = 0
        self._upserts_due = 0
        self._apply(start)

    @workflow.run
    async def run(self, start: BaselineAct) -> None:
        while True:
            for duty in self._duties.values():
                if duty.id not in self._watched:
                    self._watched.add(duty.id)
                    asyncio.create_task(self._watch(duty))  # noqa: RUF006 (the workflow's loop keeps its tasks)
            for n in range(self._activities_due):
                asyncio.create_task(self._alert(f"act-{self._acts}/{n}"))  # noqa: RUF006 (as above)
            self._activities_due = 0
            for n in range(self._upserts_due):
                workflow.upsert_search_attributes([STAGE.value_set(f"act-{self._acts}/{n}")])
            self._upserts_due = 0
            self._changed = False
            await workflow.wait_condition(lambda: self._changed)

    @workflow.update
    def act(self, request: BaselineAct) -> BaselineStatus:
        self._acts += 1
        self._apply(request)
        self._changed = True
        return BaselineStatus(open=sorted(self._duties), acts=self._acts)

    def _apply(self, request: BaselineAct) -> None:
        for duty_id in request.closes:
            self._duties.pop(duty_id, None)
        self._duties.update({duty.id: duty for duty in request.opens})
        self._activities_due += request.activities
        self._upserts_due += request.upserts

    async def _watch(self, duty: Duty) -> None:
        opened = workflow.now()

        def closed() -> bool:
            return duty.id not in self._duties

        async def arrived(after: timedelta) -> bool:
            delay = opened + after - workflow.now()
            if delay > timedelta(0):
                try:
                    await workflow.wait_condition(closed, timeout=delay)
                    return False
                except TimeoutError:
                    pass
            return not closed()

        async def remind() -> None:
            for n, after in enumerate(duty.remind_after):
                if not await arrived(after):
                    return
                await self._alert(f"{duty.id}/reminder-{n}")

        async def expire() -> None:
            if await arrived(duty.due_after):
                await self._alert(f"{duty.id}/due")

        await asyncio.gather(remind(), expire())

    async def _alert(self, key: str) -> None:
        await workflow.execute_activity(baseline_alert, key, start_to_close_timeout=BASELINE_TIMEOUT)
