"""What integration tests share: building referrals and acts, reading histories and the outbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from domain.case import Outcome
from domain.reference import workflow_id
from domain.requests import DecisionRequest, ProvideRequest
from domain.roles import Actor, Role
from plumbing.search_attributes import upserted_open_deadlines

FIRST_RESPONDER = Actor(role=Role.FIRST_RESPONDER, id="fr-1")
AUTHORITY = Actor(role=Role.COMPETENT_AUTHORITY, id="ca-1")
COORDINATOR = Actor(role=Role.COORDINATOR, id="co-1")
AUDITOR = Actor(role=Role.AUDITOR, id="au-1")


def adult_referral(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_responder_id": "fr-1",
        "detected_on": date.today().isoformat(),
        "sex": "female",
        "exploitation_types": ["labour"],
        "cross_border": True,
        "consent_to_referral": True,
        "language": "ro",
    }
    data.update(overrides)
    return data


def child_referral(**overrides: Any) -> dict[str, Any]:
    data = adult_referral(declared_child=True, consent_to_referral=None, exploitation_types=["sexual"])
    data.update(overrides)
    return data


def decision(
    outcome: str = "positive", actor: Actor = AUTHORITY, reasons: str = "indicators present", **extra: Any
) -> DecisionRequest:
    return DecisionRequest(actor=actor, outcome=Outcome(outcome), reasons=reasons, **extra)


CHILD_VIEWS = "the child was heard with the guardian advocate present"


def child_decision(outcome: str = "positive", **extra: Any) -> DecisionRequest:
    """A decision concerning a child: it records the child's views."""
    return decision(outcome, child_views=CHILD_VIEWS, **extra)


async def guardian_advocate_allocated(nrm: Any, reference: str) -> None:
    """Record the child's guardian advocate (owed from referral; a child's Stage 1 waits for it)."""
    await nrm.provide(reference, ProvideRequest(actor=COORDINATOR, kind="guardian_advocate", evidence="allocated"))


async def history_events(client: Client, reference: str) -> list[Any]:
    history = await client.get_workflow_handle(workflow_id(reference)).fetch_history()
    return list(history.events)


async def timer_durations(client: Client, reference: str) -> list[float]:
    """Seconds of every timer the workflow started, in order."""
    return [
        e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta().total_seconds()
        for e in await history_events(client, reference)
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    ]


async def timer_fire_times(client: Client, reference: str) -> list[datetime]:
    """When each started timer fires: its duration from the workflow time of the task that started it."""
    fire_times, task_time = [], None
    for event in await history_events(client, reference):
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            task_time = event.event_time.ToDatetime(tzinfo=UTC)
        elif event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            assert task_time is not None
            fire_times.append(task_time + event.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta())
    return fire_times


async def timer_offsets(client: Client, reference: str, origin: datetime | None) -> list[float]:
    """Seconds from `origin` (e.g. the referral) to when each timer fires, to the millisecond, soonest first: a
    deadline counts from its event, whenever the task that started its timer ran. A timer started in a case's first
    task reads a few milliseconds early here: the task's workflow time has moved on by the opening's verification
    (a local activity), which the task's start event does not show; compare those with `approx`."""
    assert origin is not None
    return sorted(round((t - origin).total_seconds(), 3) for t in await timer_fire_times(client, reference))


async def published_deadlines(client: Client, reference: str) -> list[list[tuple[str, datetime]]]:
    """Each set of open deadlines (kind, due) the case published in its history, in order."""
    published = []
    for event in await history_events(client, reference):
        if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            attributes = event.upsert_workflow_search_attributes_event_attributes.search_attributes
            deadlines = upserted_open_deadlines(attributes)
            if deadlines is not None:
                published.append(deadlines)
    return published


def outbox_messages(outbox: Path, reference: str) -> list[Message]:
    new = outbox / "new"
    if not new.exists():
        return []
    msgs = [message_from_bytes(p.read_bytes()) for p in sorted(new.iterdir(), key=lambda p: p.stat().st_mtime_ns)]
    return [m for m in msgs if m["X-NRM-Case"] == reference]


async def settled(client: Client, reference: str) -> None:
    """Wait until the case has no activity or workflow task in flight (letters, requests), so its history stops
    growing until the next timer."""
    handle = client.get_workflow_handle(workflow_id(reference))

    async def idle() -> bool:
        raw = (await handle.describe()).raw_description
        return not raw.pending_activities and not raw.HasField("pending_workflow_task")

    deadline = asyncio.get_running_loop().time() + 15
    while not await idle():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"case {reference} still has activities in flight")
        await asyncio.sleep(0.1)
