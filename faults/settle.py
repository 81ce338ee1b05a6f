"""Waiting, bounded, until cases have done what their timers and deliveries will do by themselves: no delivery
pending and every open obligation past its due time (so its reminders and escalation have fallen due)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from time import monotonic

from domain.reference import workflow_id
from starter.client import NrmClient

GRACE = timedelta(seconds=3)


async def _quiet(nrm: NrmClient, reference: str, gate: asyncio.Semaphore) -> bool:
    async with gate:
        try:
            described = await nrm.client.get_workflow_handle(workflow_id(reference)).describe()
            status = await nrm.status(reference)
        except Exception:  # a worker or server coming back: not settled yet
            return False
    now = datetime.now(UTC)
    return not described.raw_description.pending_activities and all(
        d.due_at + GRACE < now for d in status.open_deadlines
    )


async def settle(nrm: NrmClient, references: list[str], timeout: float) -> float | None:
    """Seconds it took for every case to be quiet, or None if they were not within `timeout`."""
    began, gate = monotonic(), asyncio.Semaphore(10)
    pending = list(references)
    while monotonic() - began < timeout:
        quiet = await asyncio.gather(*(_quiet(nrm, r, gate) for r in pending))
        pending = [r for r, q in zip(pending, quiet, strict=True) if not q]
        if not pending:
            return round(monotonic() - began, 1)
        await asyncio.sleep(2)
    return None
