"""DigestWorkflow: what the daily Schedule runs. It collects every overdue and soon-due obligation across cases
and sends the list to the coordinators; each run's message key is its workflow id (one per scheduled time)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.digest import DigestActivities
    from activities.notifications import NotificationActivities
    from workflows.delivery import DELIVERY_RETRY, DELIVERY_TIMEOUT, HEARTBEAT_TIMEOUT


class DigestRequest(BaseModel):
    """The schedule's input: obligations due within this many hours are listed."""

    window_hours: int = Field(48, ge=1, le=24 * 31)


@workflow.defn(name="DigestWorkflow")
class DigestWorkflow:
    @workflow.run
    async def run(self, request: DigestRequest) -> int:
        digest = await workflow.execute_activity_method(
            DigestActivities.collect_due_obligations,
            request.window_hours,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=DELIVERY_RETRY,
            summary="collect due obligations",
        )
        await workflow.execute_activity_method(
            NotificationActivities.send_notice,
            digest,
            start_to_close_timeout=DELIVERY_TIMEOUT,
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            retry_policy=DELIVERY_RETRY,
            summary="digest",
        )
        return len(digest.rows)
