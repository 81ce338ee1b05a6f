"""Driving the load: one nrmflow case along its path, one baseline workflow along the same plan, and many of
either at a fixed concurrency behind a progress bar, timing every round trip as the caller sees it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import perf_counter
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from temporalio.client import Client

from bench.baseline import BaselineWorkflow
from bench.plan import BaselineAct, BaselineStatus
from domain.case import Outcome
from domain.reference import workflow_id
from domain.requests import DecisionRequest
from domain.roles import Actor, Role
from domain.status import CaseStatus
from starter.client import NrmClient

FIRST_RESPONDER = Actor(role=Role.FIRST_RESPONDER, id="fr-bench")
AUTHORITY = Actor(role=Role.COMPETENT_AUTHORITY, id="ca-bench")
POSITIVE = DecisionRequest(actor=AUTHORITY, outcome=Outcome.POSITIVE, reasons="bench: indicators present",
                           evidence="bench interview")

T = TypeVar("T")


def referral() -> dict[str, Any]:
    """An adult who consents: the case enters Stage 1 at once."""
    return {
        "first_responder_id": FIRST_RESPONDER.id,
        "detected_on": datetime.now(UTC).date().isoformat(),
        "sex": "female",
        "exploitation_types": ["labour"],
        "cross_border": True,
        "consent_to_referral": True,
        "language": "en",
    }


@dataclass
class Timings:
    """Round trips in seconds: workflow starts and updates (each update returns only after it was applied)."""

    start: list[float] = field(default_factory=list)
    update: list[float] = field(default_factory=list)

    async def timed(self, bucket: list[float], call: Awaitable[T]) -> T:
        began = perf_counter()
        result = await call
        bucket.append(perf_counter() - began)
        return result


async def open_case(nrm: NrmClient, policy: str, timings: Timings) -> str:
    return await timings.timed(timings.start, nrm.open_case(referral(), FIRST_RESPONDER, policy=policy))


async def decide_stage1(nrm: NrmClient, ref: str, timings: Timings) -> CaseStatus:
    return await timings.timed(timings.update, nrm.decide_stage1(ref, POSITIVE))


async def complete_case(nrm: NrmClient, ref: str, timings: Timings) -> list[CaseStatus]:
    """From presumed victim to confirmed victim; the statuses after each act."""
    return [await timings.timed(timings.update, nrm.decide_stage2(ref, POSITIVE))]


async def case_in_rr(nrm: NrmClient, policy: str, timings: Timings) -> str:
    """Open, Stage 1 positive: a presumed victim in the R&R period; the case's reference."""
    ref = await open_case(nrm, policy, timings)
    await decide_stage1(nrm, ref, timings)
    return ref


async def full_case(nrm: NrmClient, policy: str, timings: Timings) -> str:
    """Open, Stage 1 positive, then on to confirmed victim; the case's workflow id."""
    ref = await case_in_rr(nrm, policy, timings)
    await complete_case(nrm, ref, timings)
    return workflow_id(ref)


async def calibration_case(nrm: NrmClient, policy: str) -> list[CaseStatus]:
    """One full case with its status after every step (the open step read by query): the baseline's template."""
    timings = Timings()
    ref = await open_case(nrm, policy, timings)
    statuses = [await nrm.status(ref), await decide_stage1(nrm, ref, timings)]
    return statuses + await complete_case(nrm, ref, timings)


async def baseline_case(client: Client, task_queue: str, plan: list[BaselineAct], timings: Timings) -> str:
    handle = await timings.timed(timings.start, client.start_workflow(
        BaselineWorkflow.run, plan[0], id=f"baseline-{uuid.uuid4().hex}", task_queue=task_queue))
    for act in plan[1:]:
        await timings.timed(timings.update, handle.execute_update(BaselineWorkflow.act, act, result_type=BaselineStatus))
    return handle.id


async def run_many(label: str, count: int, concurrency: int, one: Callable[[], Awaitable[str]],
                   console: Console) -> tuple[list[str], float]:
    """Run `one` `count` times with at most `concurrency` at once; the workflow ids and the wall time."""
    ids: list[str] = []
    if count == 0:
        return ids, 0.0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task(label, total=count)
        remaining = count

        async def lane() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                ids.append(await one())
                progress.advance(bar)

        began = perf_counter()
        await asyncio.gather(*(lane() for _ in range(min(concurrency, count))))
        return ids, perf_counter() - began
