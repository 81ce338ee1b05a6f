"""The baseline's inputs, and how they are read off a calibration case so that the baseline mirrors nrmflow.

A case's path is a series of steps (opening it, then each act). After each step the case lists its open
obligations: those that closed and those that opened say what the baseline's matching step closes and opens,
with the same due delay and the same reminder fractions, hence the same wakeups of the one alarm and the same
reminder and escalation activities. The activities an act starts at once (letters, assessment requests) are
counted in the case's history, step by step, and the baseline's step runs as many. With `--baseline-upserts` it
also makes as many search-attribute upserts as the case's step (the visibility writes by which coordinators find
cases), so that the engine's own cost of that feature is on both sides.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from domain.policy import Policy
from domain.status import ActResult


class Duty(BaseModel):
    id: str
    remind_after: list[timedelta] = Field(default_factory=list)  # from when the duty opens, increasing
    due_after: timedelta


class BaselineAct(BaseModel):
    """The baseline's workflow input (its first step) and its one update (every later step)."""

    closes: list[str] = Field(default_factory=list)
    opens: list[Duty] = Field(default_factory=list)
    activities: int = 0  # run at once, as a case sends a letter or an assessment request
    upserts: int = 0  # search-attribute upserts, as a case publishes its deadlines


class BaselineStatus(BaseModel):
    open: list[str]
    acts: int


def _open_deadlines(case: ActResult) -> dict[str, timedelta]:
    return {d.id: d.due_at - case.as_of for d in case.open_deadlines}


class Step(BaseModel):
    activities: int = 0
    upserts: int = 0


def work_per_step(history: WorkflowHistory) -> list[Step]:
    """Activities scheduled and search-attribute upserts in each step of a case's history: before its first update,
    then after each update (read from a case driven without pause, in which no timer fires, so all of it is the
    acts' doing)."""
    steps = [Step()]
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            steps.append(Step())
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            steps[-1].activities += 1
        elif event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            steps[-1].upserts += 1
    return steps


def baseline_plan(
    statuses: list[ActResult], work: list[Step], policy: Policy, *, upserts: bool = False
) -> list[BaselineAct]:
    """One baseline step per case step; `statuses[i]` is the case right after step i (an act's result), `work[i]` what
    that step started (its upserts mirrored only if `upserts`)."""
    if len(work) != len(statuses):
        raise ValueError(f"{len(statuses)} steps but work counted for {len(work)}")
    plan: list[BaselineAct] = []
    before: dict[str, timedelta] = {}
    for status, step in zip(statuses, work, strict=True):
        after = _open_deadlines(status)
        plan.append(
            BaselineAct(
                activities=step.activities,
                upserts=step.upserts if upserts else 0,
                closes=sorted(before.keys() - after.keys()),
                opens=[
                    Duty(id=ob_id, due_after=due, remind_after=[due * f for f in policy.reminders.at_fractions])
                    for ob_id, due in sorted(after.items())
                    if ob_id not in before
                ],
            )
        )
        before = after
    return plan
