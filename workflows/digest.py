"""DigestWorkflow: what the daily Schedule runs. It collects every overdue and soon-due obligation across cases
and sends the list to the coordinators; each run's message key is its workflow id (one per scheduled time)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.digest import DigestActivities, DigestRequest
    from activities.notifications import NotificationActivities
    from workflows.case import ALERT_RETRY, ALERT_TIMEOUT


@workflow.defn(name="DigestWorkflow")
class DigestWorkflow:
    @workflow.run
    async def run(self, request: DigestRequest) -> int:
        digest = await workflow.execute_activity_method(
            DigestActivities.collect_due_obligations, request,
            start_to_close_timeout=timedelta(minutes=2), retry_policy=ALERT_RETRY,
        )
        await workflow.execute_activity_method(
            NotificationActivities.send_notice, digest,
            start_to_close_timeout=ALERT_TIMEOUT, retry_policy=ALERT_RETRY,
        )
        return len(digest.rows)
