"""TEST-ONLY: CaseWorkflow changed without regenerating the stored histories (it never waits for reminders),
registered under the same workflow name, to prove that replaying the stored histories catches such a change; and
one that reads the clock, which only the sandbox catches."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.deadlines import reminder_times
    from domain.requests import OpenCase
    from workflows.case import CaseWorkflow


@workflow.defn(name="CaseWorkflow")
class CaseWorkflowWithoutReminders(CaseWorkflow):
    @workflow.run
    async def run(self, request: OpenCase) -> None:
        await super().run(request)

    def _set_alarm(self) -> None:
        """Takes every reminder as sent already, so the alarm only ever waits for due times."""
        for ob in self.state.open_obligations:
            ob.reminders_sent = reminder_times(ob, self.state.policy)
        super()._set_alarm()


@workflow.defn(name="CaseWorkflow")
class CaseWorkflowReadingTheClock(CaseWorkflow):
    """Reads the machine's clock, which workflow code must never do, and otherwise issues the same commands."""

    @workflow.run
    async def run(self, request: OpenCase) -> None:
        datetime.now(UTC)
        await super().run(request)
