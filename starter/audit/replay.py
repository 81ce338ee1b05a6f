"""Replay case histories with the current workflow code: proof that the code still reproduces every recorded
step (a running case will go on correctly after a deploy), or the first point where it diverges.

The audit replays outside the SDK's sandbox, about twice as fast (README "Replay for auditors without the sandbox"):
the same workflow code, the same interceptors and converter, and the SDK's core checks every command the code issues
against the history as it does for a worker. What the sandbox adds is a guard on the code itself (a clock read,
random, I/O or a module's state kept between runs fails the workflow task); the worker keeps it, and CI replays the
stored histories in it too (`sandboxed=True`)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from dataclasses import dataclass

from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from starter.audit.history import CaseHistory
from workflows.plugin import SANDBOX, WORKFLOWS, nrm_plugin


@dataclass(frozen=True)
class ReplayOutcome:
    workflow_id: str
    run_id: str
    events: int
    divergence: str | None  # None: the replay was faithful

    @property
    def faithful(self) -> bool:
        return self.divergence is None


_NOISE = re.compile(r"^(Workflow activation completion failed: )?(Failure \{ failure: Some\(Failure \{ message: \")?")


# a workflow task that failed (the code raised): its message is encrypted, its type is not
_FAILED_TASK = re.compile(r'message: "Encoded failure".*?r#type: "(\w+)"')


def divergence_message(error: BaseException) -> str:
    """The SDK's replay failure as one readable line: what the code did instead of what the history holds."""
    text = str(error).strip() or type(error).__name__
    failed = _FAILED_TASK.search(text)
    if failed is not None:
        return f"the workflow code raised {failed[1]} on replay"
    first = _NOISE.sub("", text.splitlines()[0])
    return first.split('", source:')[0].replace('\\"', '"')


_EVENT = re.compile(r"HistoryEvent\(id: (\d+), (\w+)\)")


async def _named(message: str, history: WorkflowHistory, converter: DataConverter) -> str:
    """Add what the diverging event was for, from its summary (e.g. "stage1_decision reminder")."""
    found = _EVENT.search(message)
    event = next((e for e in history.events if found and e.event_id == int(found[1])), None)
    if found is None or event is None or not event.user_metadata.HasField("summary"):
        return message
    [summary] = await converter.decode([event.user_metadata.summary])
    return (
        f"{message} (history event {found[1]}: {found[2]} '{summary}'; the current code does not issue the same "
        "commands at this point)"
    )


async def replay(
    cases: Iterable[CaseHistory] | AsyncIterable[CaseHistory],
    converter: DataConverter,
    workflows: Sequence[type] = WORKFLOWS,
    *,
    sandboxed: bool = False,
) -> AsyncIterator[ReplayOutcome]:
    """Each run of each case replayed in order, as the cases come (so that a long audit holds one history at a time);
    a divergence is reported, not raised. `sandboxed` replays in the worker's sandbox (slower; see above)."""
    by_run: dict[str, tuple[str, int]] = {}

    async def each() -> AsyncIterator[CaseHistory]:
        if isinstance(cases, AsyncIterable):
            async for case in cases:
                yield case
        else:
            for case in cases:
                yield case

    async def histories() -> AsyncIterator[WorkflowHistory]:
        async for case in each():
            for run in case.runs:
                by_run[run.run_id] = (case.workflow_id, len(run.events))
                yield run

    # as the worker runs them: the same plugin; `workflows` replaces its set only to replay a variant
    runner = SANDBOX if sandboxed else UnsandboxedWorkflowRunner()
    replayer = Replayer(workflows=[], plugins=[nrm_plugin(converter, workflows=workflows, workflow_runner=runner)])
    async with replayer.workflow_replay_iterator(histories()) as results:
        async for result in results:
            wid, events = by_run.pop(result.history.run_id)
            failure = result.replay_failure
            message = await _named(divergence_message(failure), result.history, converter) if failure else None
            yield ReplayOutcome(wid, result.history.run_id, events, message)
