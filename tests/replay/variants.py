"""TEST-ONLY: CaseWorkflow changed without regenerating the stored histories (it never waits for reminders),
registered under the same workflow name, to prove that replaying the stored histories catches such a change."""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import Obligation
    from domain.requests import OpenCase
    from workflows.case import CaseWorkflow


@workflow.defn(name="CaseWorkflow")
class CaseWorkflowWithoutReminders(CaseWorkflow):
    @workflow.run
    async def run(self, request: OpenCase) -> None:
        await super().run(request)

    async def _remind(self, ob: Obligation, stale: Callable[[], bool]) -> None:
        return None
