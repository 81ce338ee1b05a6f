"""Reading what the engine stored: histories fetched (for counting their events, or to replay them later)."""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory


async def fetch(client: Client, workflow_ids: list[str], concurrency: int = 10) -> list[WorkflowHistory]:
    gate = asyncio.Semaphore(concurrency)

    async def one(wid: str) -> WorkflowHistory:
        async with gate:
            return await client.get_workflow_handle(wid).fetch_history()

    return list(await asyncio.gather(*(one(w) for w in workflow_ids)))


# The events that Temporal Cloud bills as an action each (docs.temporal.io "Actions"): of what a history shows;
# queries and heartbeats are billed too but leave no event.
BILLABLE = (
    "WORKFLOW_EXECUTION_STARTED",
    "WORKFLOW_EXECUTION_CONTINUED_AS_NEW",
    "WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
    "WORKFLOW_EXECUTION_SIGNALED",
    "ACTIVITY_TASK_SCHEDULED",
    "TIMER_STARTED",
    "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES",
    "UPSERT_WORKFLOW_PROPERTIES",
    "MARKER_RECORDED",
    "START_CHILD_WORKFLOW_EXECUTION_INITIATED",
    "SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED",
)


def event_counts(histories: list[WorkflowHistory]) -> dict[str, Any]:
    """Events per history on average, in all and by type (e.g. TIMER_STARTED, ACTIVITY_TASK_SCHEDULED), and the
    billable actions among them."""
    by_type: Counter[str] = Counter()
    for history in histories:
        by_type.update(EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events)
    n = len(histories) or 1
    return {
        "events_per_case": round(statistics.fmean(len(h.events) for h in histories), 2) if histories else None,
        "by_type": {k: round(v / n, 2) for k, v in sorted(by_type.items())},
        "billable_actions_per_case": round(sum(by_type[k] for k in BILLABLE) / n, 2),
        "histories_counted": len(histories),
    }
