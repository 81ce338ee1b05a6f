"""How a workflow sends a message: which delivery activity, with which timeouts and retries, under which summary.

Transient failures are retried with backoff until delivered; a permanent refusal raises a non-retryable error the
case records. Each activity's summary names what it carries (kind and obligation), never its content.

Delivery runs on a task queue of its own (NRM_DELIVERY_TASK_QUEUE, `nrm worker --role delivery`), so that SMTP and
webhook delivery can sit in another network zone and scale apart from case logic. The queue belongs to the
deployment, not to a case: the worker reads it from its settings at start and DeliveryQueue puts it on every delivery
activity its workflows schedule (the cases' and the digest's). Not in the case's input, where a case that lives for
years would keep a queue an operator has since renamed, and every client would have to know the workers' layout.
Deterministic all the same: the queue is recorded in each ActivityTaskScheduled event, and replay does not read it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.worker import (
    Interceptor,
    StartActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

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


DELIVERY_ACTIVITIES = frozenset({"send_alert", "send_notice", "request_assessment"})  # NotificationActivities'


class DeliveryQueue(Interceptor):
    """Schedules the delivery activities on `queue` (the worker's NRM_DELIVERY_TASK_QUEUE); others stay on the
    workflow's own queue."""

    def __init__(self, queue: str) -> None:
        self.queue = queue

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        queue = self.queue

        class _Outbound(WorkflowOutboundInterceptor):
            def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
                if input.activity in DELIVERY_ACTIVITIES:
                    input.task_queue = queue
                return super().start_activity(input)

        class _Inbound(WorkflowInboundInterceptor):
            def init(self, outbound: WorkflowOutboundInterceptor) -> None:
                super().init(_Outbound(outbound))

        return _Inbound


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
