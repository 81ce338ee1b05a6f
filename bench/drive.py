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
from domain.kinds import ObligationKind
from domain.policy import Policy
from domain.reference import workflow_id
from domain.requests import AssessmentResult, AssessRequest, DecisionRequest, ProvideRequest
from domain.roles import Actor, Role
from domain.status import ActResult, OpenDeadline
from starter.client import NrmClient


def bench_actor(role: Role) -> Actor:
    """The one actor of each role that benchmarks act as (bench.server registers them all)."""
    return Actor(role=role, id=f"{role.value.replace('_', '-')}-bench")


FIRST_RESPONDER = bench_actor(Role.FIRST_RESPONDER)
AUTHORITY = bench_actor(Role.COMPETENT_AUTHORITY)
POSITIVE = DecisionRequest(
    actor=AUTHORITY, outcome=Outcome.POSITIVE, reasons="bench: indicators present", evidence="bench interview"
)

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
    """Round trips in seconds: workflow starts, and updates (each returns only after it was applied), the first
    update after the start also on its own (it may wait for what the new workflow does first)."""

    start: list[float] = field(default_factory=list)
    update: list[float] = field(default_factory=list)
    first_update: list[float] = field(default_factory=list)

    async def timed(self, call: Awaitable[T], *buckets: list[float]) -> T:
        began = perf_counter()
        result = await call
        for bucket in buckets:
            bucket.append(perf_counter() - began)
        return result


async def open_case(nrm: NrmClient, policy: str, timings: Timings) -> str:
    return await timings.timed(nrm.open_case(referral(), FIRST_RESPONDER, policy=policy), timings.start)


async def decide_stage1(nrm: NrmClient, ref: str, timings: Timings) -> ActResult:
    return await timings.timed(nrm.decide_stage1(ref, POSITIVE), timings.update, timings.first_update)


def fulfil(
    nrm: NrmClient,
    ref: str,
    owed: OpenDeadline,
    rules: Policy,
    as_of: datetime,
    request_id: str | None = None,
    note: str = "bench: done",
) -> Awaitable[ActResult]:
    """The act that fulfils one provision or assessment, by its owner, with `note` as its evidence or summary; an
    assessment sets its next review as far off as the policy allows, counted from `as_of` (when the obligation
    was created)."""
    actor = bench_actor(Role(owed.owner_role))
    kind = ObligationKind(owed.kind)
    if not kind.is_assessment:
        return nrm.provide(ref, ProvideRequest(actor=actor, kind=owed.kind, evidence=note), request_id)
    longest = rules.max_review_interval(kind)
    assert longest is not None, f"the policy sets no review interval for {kind.value}"
    result = AssessmentResult(completed_at=as_of, summary=note, next_review=as_of + longest)
    return nrm.assess(ref, AssessRequest(actor=actor, kind=owed.kind, result=result), request_id)


async def complete_case(
    nrm: NrmClient, ref: str, presumed: ActResult, rules: Policy, timings: Timings
) -> list[ActResult]:
    """From presumed victim (`presumed`: the result of Stage 1) to confirmed victim: every provision and
    assessment owed fulfilled, then Stage 2; the results of each act."""
    statuses = []
    for owed in presumed.open_deadlines:
        if not ObligationKind(owed.kind).is_decision:
            statuses.append(await timings.timed(fulfil(nrm, ref, owed, rules, presumed.as_of), timings.update))
    return [*statuses, await timings.timed(nrm.decide_stage2(ref, POSITIVE), timings.update)]


async def case_in_rr(nrm: NrmClient, policy: str, timings: Timings) -> tuple[str, ActResult]:
    """Open, Stage 1 positive: a presumed victim in the R&R period; the reference and the case then."""
    ref = await open_case(nrm, policy, timings)
    return ref, await decide_stage1(nrm, ref, timings)


async def full_case(nrm: NrmClient, policy: str, rules: Policy, timings: Timings) -> str:
    """Open, Stage 1 positive, everything owed fulfilled, Stage 2 positive; the case's workflow id."""
    ref, presumed = await case_in_rr(nrm, policy, timings)
    await complete_case(nrm, ref, presumed, rules, timings)
    return workflow_id(ref)


async def calibration_case(nrm: NrmClient, policy: str, rules: Policy) -> tuple[str, list[ActResult]]:
    """One full case and the case after every step (the open step read by query): the baseline's template."""
    timings = Timings()
    ref = await open_case(nrm, policy, timings)
    opened = await nrm.status(ref)
    presumed = await decide_stage1(nrm, ref, timings)
    return workflow_id(ref), [opened, presumed, *await complete_case(nrm, ref, presumed, rules, timings)]


async def baseline_case(client: Client, task_queue: str, plan: list[BaselineAct], timings: Timings) -> str:
    handle = await timings.timed(
        client.start_workflow(BaselineWorkflow.run, plan[0], id=f"baseline-{uuid.uuid4().hex}", task_queue=task_queue),
        timings.start,
    )
    for n, act in enumerate(plan[1:]):
        update = handle.execute_update(BaselineWorkflow.act, act, result_type=BaselineStatus)
        await timings.timed(update, timings.update, *([timings.first_update] if n == 0 else []))
    return handle.id


async def run_many(
    label: str, count: int, concurrency: int, one: Callable[[], Awaitable[T]], console: Console
) -> tuple[list[T], float]:
    """Run `one` `count` times with at most `concurrency` at once; what each returned, and the wall time."""
    results: list[T] = []
    if count == 0:
        return results, 0.0
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task(label, total=count)
        remaining = count

        async def lane() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                results.append(await one())
                progress.advance(bar)

        began = perf_counter()
        await asyncio.gather(*(lane() for _ in range(min(concurrency, count))))
        return results, perf_counter() - began
