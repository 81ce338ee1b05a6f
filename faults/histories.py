"""What the case histories say: the messages each case scheduled, its failed workflow tasks, and a copy of the
history of every case that ended in an unexpected state, so that a rare failure can be studied afterwards."""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory

from bench.histories import fetch
from starter.audit.export import write_history

MESSAGE_ACTIVITIES = ("send_alert", "send_notice", "request_assessment")


@dataclass(frozen=True)
class Scheduled:
    """One message a case scheduled: its key (the Message-ID's local part), what it is, and when."""

    key: str
    what: str  # reminder, escalation, decision_letter, assessment_request, delivery_failure
    obligation_id: str | None
    scheduled_at: datetime


async def scheduled_messages(client: Client, history: WorkflowHistory) -> list[Scheduled]:
    """Every delivery activity the history scheduled, with the message it carried (decrypted by the client)."""
    found = []
    for event in history.events:
        if event.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            continue
        attrs = event.activity_task_scheduled_event_attributes
        if attrs.activity_type.name not in MESSAGE_ACTIVITIES:
            continue
        [message] = await client.data_converter.decode(attrs.input.payloads, [dict])
        found.append(
            Scheduled(
                key=message["key"],
                what=message.get("template") or message["kind"],
                obligation_id=message.get("obligation_id"),
                scheduled_at=event.event_time.ToDatetime(tzinfo=UTC),
            )
        )
    return found


def event_types(history: WorkflowHistory) -> Counter[str]:
    return Counter(EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events)


def failed_workflow_tasks(histories: list[WorkflowHistory]) -> dict[str, int]:
    """Workflow ids with WorkflowTaskFailed events, and how many each (a task timed out by a crash is not one)."""
    counts = {h.workflow_id: event_types(h)["WORKFLOW_TASK_FAILED"] for h in histories}
    return {wid: n for wid, n in counts.items() if n}


async def keep(client: Client, workflow_ids: list[str], directory: Path, key_file: Path) -> str | None:
    """Write the histories of `workflow_ids` as JSON under `directory`, with the run's throwaway payload key (the
    scratch home that held it is deleted; the cases are synthetic); the directory, or None if none."""
    if not workflow_ids:
        return None
    for history in await fetch(client, sorted(set(workflow_ids))):
        write_history(history, directory, f"{history.workflow_id}.json")
    shutil.copy2(key_file, directory / "keys.json")
    return str(directory)
