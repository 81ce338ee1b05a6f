"""Durable timers as the history records them: when each was due (started + its timeout) and when it fired,
or that it was cancelled (its obligation moved or closed) or is still waiting."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory


@dataclass(frozen=True)
class Timer:
    workflow_id: str
    timer_id: str
    due_at: float  # epoch seconds
    fired_at: float | None
    cancelled: bool


def timers(history: WorkflowHistory) -> list[Timer]:
    started: dict[int, tuple[str, float]] = {}
    fired: dict[int, float] = {}
    cancelled: set[int] = set()
    for e in history.events:
        at = e.event_time.ToMicroseconds() / 1e6
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            attrs = e.timer_started_event_attributes
            started[e.event_id] = (attrs.timer_id, at + attrs.start_to_fire_timeout.ToMicroseconds() / 1e6)
        elif e.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            fired[e.timer_fired_event_attributes.started_event_id] = at
        elif e.event_type == EventType.EVENT_TYPE_TIMER_CANCELED:
            cancelled.add(e.timer_canceled_event_attributes.started_event_id)
    return [
        Timer(history.workflow_id, timer_id, due, fired.get(event_id), event_id in cancelled)
        for event_id, (timer_id, due) in started.items()
    ]
