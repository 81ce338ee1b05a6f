"""The baseline's inputs, and how they are read off a calibration case so that the baseline mirrors nrmflow.

A case's path is a series of steps (opening it, then each act). After each step its status lists the
obligations: those that closed and those that opened say what the baseline's matching step closes and opens,
with the same due delay and the same reminder fractions, hence the same timers and activities.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field

from domain.policy import Policy
from domain.status import CaseStatus


class Duty(BaseModel):
    id: str
    remind_after: list[timedelta] = Field(default_factory=list)   # from when the duty opens, increasing
    due_after: timedelta


class BaselineAct(BaseModel):
    """The baseline's workflow input (its first step) and its one update (every later step)."""

    closes: list[str] = Field(default_factory=list)
    opens: list[Duty] = Field(default_factory=list)


class BaselineStatus(BaseModel):
    open: list[str]
    acts: int


def _open_deadlines(status: CaseStatus | None) -> dict[str, timedelta]:
    if status is None:
        return {}
    return {d.id: d.due_at - status.as_of for d in status.deadlines if d.fulfilled_at is None}


def baseline_plan(statuses: list[CaseStatus], policy: Policy) -> list[BaselineAct]:
    """One baseline step per case step; `statuses[i]` is the case's status right after step i."""
    plan: list[BaselineAct] = []
    before: dict[str, timedelta] = {}
    for status in statuses:
        after = _open_deadlines(status)
        plan.append(BaselineAct(
            closes=sorted(before.keys() - after.keys()),
            opens=[
                Duty(id=ob_id, due_after=due, remind_after=[due * f for f in policy.reminders.at_fractions])
                for ob_id, due in sorted(after.items()) if ob_id not in before
            ],
        ))
        before = after
    return plan
