"""How a workflow sends a message: which delivery activity, with which timeouts and retries, under which summary.

Transient failures are retried with backoff until delivered; a permanent refusal raises a non-retryable error the
case records. Each activity's summary names what it carries (kind and obligation), never its content.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.notifications import NotificationActivities
    from domain.deadlines import Alert
    from domain.notices import AssessmentNeeded, Message

DELIVERY_TIMEOUT = timedelta(minutes=2)
HEARTBEAT_TIMEOUT = timedelta(seconds=10)  # a worker killed mid-delivery is noticed within this, and retried
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=0,  # transient failures retry until delivered; permanent ones raise non-retryable errors
)


def summary(message: Message) -> str:
    if isinstance(message, Alert):
        return f"{message.kind.value}: {message.obligation_id}"
    if isinstance(message, AssessmentNeeded):
        return f"assessment request: {message.obligation_id}"
    return message.template.replace("_", " ")


async def deliver(message: Message) -> None:
    options: dict[str, Any] = {
        "start_to_close_timeout": DELIVERY_TIMEOUT,
        "heartbeat_timeout": HEARTBEAT_TIMEOUT,
        "retry_policy": DELIVERY_RETRY,
        "summary": summary(message),
    }
    if isinstance(message, Alert):
        await workflow.execute_activity_method(NotificationActivities.send_alert, message, **options)
    elif isinstance(message, AssessmentNeeded):
        await workflow.execute_activity_method(NotificationActivities.request_assessment, message, **options)
    else:
        await workflow.execute_activity_method(NotificationActivities.send_notice, message, **options)
