"""Case histories as auditors read them, and their events decoded into a few typed facts.

A case is one workflow id; after continue-as-new it has several runs, and a re-opening starts a new chain of them:
all are kept, oldest first. Histories come from the server (every run of the id) or from exported JSON files
(Temporal's own history format, as written by `nrm audit export`, `temporal workflow show -o json` or the Web UI).

Each decoded event carries `at`, the case's own clock: for what a workflow task wrote (acts, timers, alerts)
that is the start of that task, the `workflow.now()` the case computed with; otherwise the event's time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import DomainError
from domain.reference import check_reference, workflow_id
from domain.requests import OpenCase
from plumbing.codec import UnknownKey
from plumbing.search_attributes import upserted_open_deadlines
from starter.client import NrmError, UnknownCase

CASE_QUERY = "WorkflowType = 'CaseWorkflow'"
MANIFEST_NAME = "manifest.json"


class AuditError(NrmError):
    """A history that cannot be read: missing, unreadable, or encrypted with a key this auditor lacks."""


@dataclass(frozen=True)
class CaseHistory:
    workflow_id: str
    runs: tuple[WorkflowHistory, ...]

    @property
    def reference(self) -> str:
        return self.workflow_id.removeprefix("case-")

    @property
    def events(self) -> list[HistoryEvent]:
        return [e for run in self.runs for e in run.events]


# ---- fetching from the server -----------------------------------------------------------------------------


async def fetch_case(client: Client, reference_or_id: str) -> CaseHistory:
    """Every run of one case, oldest first: the chain of the latest run (followed back through continue-as-new) and
    every earlier chain that visibility lists by the case's id (a re-opening starts a new chain: the closed case's
    runs come before it)."""
    if reference_or_id.startswith("case-"):
        wid = reference_or_id
    else:
        try:
            wid = workflow_id(check_reference(reference_or_id))
        except DomainError as exc:
            raise NrmError(str(exc)) from None
    runs: dict[str, WorkflowHistory] = {}
    await _chain_back(client, wid, None, runs)
    try:
        listed = [e.run_id async for e in client.list_workflows(f"WorkflowId = '{wid}'")]
    except RPCError as exc:
        raise NrmError(f"the server refused the request: {exc.message}") from None
    for run_id in listed:
        await _chain_back(client, wid, run_id, runs)
    return CaseHistory(wid, tuple(sorted(runs.values(), key=_start_time)))


async def _chain_back(client: Client, wid: str, run_id: str | None, runs: dict[str, WorkflowHistory]) -> None:
    """Add the run `run_id` (the latest when None) and the runs it continues to `runs`, up to one already there."""
    while run_id not in runs:
        try:
            history = await client.get_workflow_handle(wid, run_id=run_id).fetch_history()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise UnknownCase(f"no case with reference {wid.removeprefix('case-')}") from None
            raise NrmError(f"the server refused the request: {exc.message}") from None
        runs[history.run_id] = history
        run_id = _started(history).continued_execution_run_id or None
        if run_id is None:
            return


def _start_time(history: WorkflowHistory) -> datetime:
    return _time(history.events[0].event_time)


async def case_ids(client: Client, query: str | None = None) -> list[str]:
    """Workflow ids of the cases a visibility query finds (each case once, whatever its number of runs)."""
    ids: dict[str, None] = {}
    try:
        async for execution in client.list_workflows(query or CASE_QUERY):
            ids.setdefault(execution.id, None)
    except RPCError as exc:
        raise NrmError(f"the server refused the query {query!r}: {exc.message}") from None
    return list(ids)


# ---- files ------------------------------------------------------------------------------------------------


def load_path(path: Path) -> list[CaseHistory]:
    """Histories from one JSON file, or from every JSON file below a directory (an export), grouped by case."""
    if not path.exists():
        raise AuditError(f"{path} does not exist")
    files = [path] if path.is_file() else _listed(path)
    if not files:
        raise AuditError(f"no history files (*.json) in {path}")
    by_case: dict[str, list[WorkflowHistory]] = {}
    for file in files:
        history = load_history_file(file)
        by_case.setdefault(history.workflow_id, []).append(history)
    return [CaseHistory(wid, _chain(runs, wid)) for wid, runs in by_case.items()]


def _listed(directory: Path) -> list[Path]:
    """An exported set is the files its manifest lists; a directory without one, every JSON file below it."""
    manifest = directory / MANIFEST_NAME
    if not manifest.exists():
        return sorted(p for p in directory.rglob("*.json"))
    try:
        return [directory / entry["path"] for entry in json.loads(manifest.read_text(encoding="utf-8"))["files"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise AuditError(f"{manifest} is not a valid manifest: {exc}") from None


def load_history_file(file: Path) -> WorkflowHistory:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        history = WorkflowHistory.from_json(file.stem, data)
        started = _started(history)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise AuditError(f"{file} is not a workflow history in JSON: {exc}") from None
    return WorkflowHistory(started.workflow_id or file.stem, history.events)


def _chain(runs: list[WorkflowHistory], wid: str) -> tuple[WorkflowHistory, ...]:
    """Order the runs of one case: each chain by its continue-as-new links, the chains (the case as opened, then
    each re-opening) by their start."""
    after = {c: r for r in runs if (c := _started(r).continued_execution_run_id)}
    starts = sorted((r for r in runs if not _started(r).continued_execution_run_id), key=_start_time)
    ordered: list[WorkflowHistory] = []
    for run in starts:
        ordered.append(run)
        while (nxt := after.get(ordered[-1].run_id)) is not None:
            ordered.append(nxt)
    if len(after) + len(starts) != len(runs) or len(ordered) != len(runs):
        raise AuditError(f"the history files of {wid} do not form chains of runs: a run is missing or repeated")
    return tuple(ordered)


def _started(history: WorkflowHistory):
    if not history.events or not history.events[0].HasField("workflow_execution_started_event_attributes"):
        raise RuntimeError("the first event is not the start of a workflow")
    return history.events[0].workflow_execution_started_event_attributes


# ---- decoded events ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseOpened:
    at: datetime
    request: OpenCase
    continued: bool  # a later run carrying the state on (continue-as-new), not a new case


@dataclass(frozen=True)
class ActAccepted:
    """A human act (an Update) that passed its validator. Refused acts never reach the history."""

    at: datetime
    update_id: str
    name: str
    request: dict[str, Any]


@dataclass(frozen=True)
class ActCompleted:
    at: datetime
    update_id: str
    name: str
    result: dict[str, Any] | None
    failed: bool


@dataclass(frozen=True)
class TimerEvent:
    """The case's alarm, named by its summary ("<obligation id> due|reminder") for the wakeup it was set for:
    `purpose` "due" (the obligation's due time) or "reminder". `timer_id` is unique within the case (the run's
    number and its own id)."""

    at: datetime
    what: str  # started | fired | canceled
    timer_id: str
    obligation: str  # the obligation's id: its kind, or "<kind>#<n>" for a review
    purpose: str
    fires_at: datetime

    @property
    def kind(self) -> str:
        return self.obligation.partition("#")[0]


def timer_name(summary: str) -> tuple[str, str]:
    """(obligation id, purpose) from a timer's summary; a timer without one (not the case's) names nothing."""
    obligation, _, purpose = summary.rpartition(" ")
    return (obligation, purpose) if obligation else ("", summary)


@dataclass(frozen=True)
class DeadlinesPublished:
    """The case's open deadlines as it published them (kind, due), soonest first: every set, moved or closed
    deadline is one of these in the history, whatever timer the case happened to be waiting on."""

    at: datetime
    deadlines: tuple[tuple[str, datetime], ...]


@dataclass(frozen=True)
class ActivityScheduled:
    at: datetime
    scheduled_id: int
    activity: str
    input: dict[str, Any]


@dataclass(frozen=True)
class ActivityOutcome:
    at: datetime
    scheduled_id: int
    delivered: bool
    how: str  # completed | failed | timed out | canceled


@dataclass(frozen=True)
class TaskFailed:
    """A workflow task that failed: a software fault the auditor should see (the cause only, no message)."""

    at: datetime
    cause: str


@dataclass(frozen=True)
class RunEnded:
    at: datetime
    how: str


AuditEvent = (
    CaseOpened
    | ActAccepted
    | ActCompleted
    | TimerEvent
    | DeadlinesPublished
    | ActivityScheduled
    | ActivityOutcome
    | TaskFailed
    | RunEnded
)

_T = EventType
_WRITTEN_BY_TASK = {
    _T.EVENT_TYPE_TIMER_STARTED,
    _T.EVENT_TYPE_TIMER_CANCELED,
    _T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    _T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
}
_ENDINGS = {
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: "continued as new (the history goes on in the next run)",
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: "completed",
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: "failed",
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: "terminated by an operator",
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: "canceled",
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: "timed out",
}
_ACTIVITY_ENDS = {
    _T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: ("activity_task_completed_event_attributes", True, "completed"),
    _T.EVENT_TYPE_ACTIVITY_TASK_FAILED: ("activity_task_failed_event_attributes", False, "failed"),
    _T.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: ("activity_task_timed_out_event_attributes", False, "timed out"),
    _T.EVENT_TYPE_ACTIVITY_TASK_CANCELED: ("activity_task_canceled_event_attributes", False, "canceled"),
}


@dataclass
class _Decoder:
    converter: DataConverter
    reference: str
    run: int
    task_time: datetime | None = None
    timers: dict[int, TimerEvent] = field(default_factory=dict)
    updates: dict[str, str] = field(default_factory=dict)

    async def values(self, payloads: Sequence[Payload]) -> list[Any]:
        try:
            return await self.converter.decode(payloads)
        except UnknownKey as exc:
            raise AuditError(f"case {self.reference}: {exc}") from None
        except InvalidTag:
            raise AuditError(
                f"case {self.reference}: a payload does not decrypt with the key of the same id "
                "(wrong key file, or the history was altered)"
            ) from None

    async def summary(self, event: HistoryEvent) -> str:
        if not event.user_metadata.HasField("summary"):
            return ""
        [text] = await self.values([event.user_metadata.summary])
        return str(text)

    async def decode(self, event: HistoryEvent, first_in_run: bool) -> AuditEvent | None:
        stamp = _time(event.event_time)
        if event.event_type == _T.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            self.task_time = stamp
        at = self.task_time if event.event_type in _WRITTEN_BY_TASK and self.task_time else stamp
        t = event.event_type
        if t == _T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            started = event.workflow_execution_started_event_attributes
            [value] = await self.values(started.input.payloads)
            try:
                request = OpenCase.model_validate(value)
            except ValidationError as exc:
                raise AuditError(
                    f"case {self.reference}: its opening input does not match the case model: "
                    f"{exc.error_count()} problem(s)"
                ) from None
            return CaseOpened(stamp, request, continued=not first_in_run or request.state is not None)
        if t == _T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            req = event.workflow_execution_update_accepted_event_attributes.accepted_request
            args = await self.values(req.input.args.payloads)
            self.updates[req.meta.update_id] = req.input.name
            return ActAccepted(at, req.meta.update_id, req.input.name, args[0] if args else {})
        if t == _T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            completed = event.workflow_execution_update_completed_event_attributes
            outcome = completed.outcome
            result = await self.values(outcome.success.payloads) if outcome.HasField("success") else []
            update_id = completed.meta.update_id
            return ActCompleted(
                at,
                update_id,
                self.updates.get(update_id, "?"),
                result[0] if result else None,
                failed=outcome.HasField("failure"),
            )
        if t == _T.EVENT_TYPE_TIMER_STARTED:
            timer_started = event.timer_started_event_attributes
            fires_at = at + timer_started.start_to_fire_timeout.ToTimedelta()
            timer = TimerEvent(
                at, "started", f"{self.run}:{timer_started.timer_id}", *timer_name(await self.summary(event)), fires_at
            )
            self.timers[event.event_id] = timer
            return timer
        if t in (_T.EVENT_TYPE_TIMER_FIRED, _T.EVENT_TYPE_TIMER_CANCELED):
            fired = t == _T.EVENT_TYPE_TIMER_FIRED
            ended = event.timer_fired_event_attributes if fired else event.timer_canceled_event_attributes
            timer_of = self.timers.get(ended.started_event_id)
            what = "fired" if fired else "canceled"
            if timer_of is None:
                return TimerEvent(at, what, f"{self.run}:{ended.timer_id}", "", "", at)
            return replace(timer_of, at=at, what=what)
        if t == _T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            upserted = event.upsert_workflow_search_attributes_event_attributes.search_attributes
            deadlines = upserted_open_deadlines(upserted)
            return None if deadlines is None else DeadlinesPublished(at, tuple(deadlines))
        if t == _T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled = event.activity_task_scheduled_event_attributes
            args = await self.values(scheduled.input.payloads)
            value = args[0] if args and isinstance(args[0], dict) else {}
            return ActivityScheduled(at, event.event_id, scheduled.activity_type.name, value)
        if t in _ACTIVITY_ENDS:
            name, delivered, how = _ACTIVITY_ENDS[t]
            return ActivityOutcome(at, getattr(event, name).scheduled_event_id, delivered, how)
        if t == _T.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            cause = event.workflow_task_failed_event_attributes.cause
            return TaskFailed(stamp, _enum_name(cause))
        if t in _ENDINGS:
            return RunEnded(at, _ENDINGS[t])
        return None


def _enum_name(cause: WorkflowTaskFailedCause.ValueType) -> str:
    return WorkflowTaskFailedCause.Name(cause).removeprefix("WORKFLOW_TASK_FAILED_CAUSE_").lower()


def _time(ts: Any) -> datetime:
    return ts.ToDatetime().replace(tzinfo=UTC)


async def decode_case(case: CaseHistory, converter: DataConverter) -> list[AuditEvent]:
    """The events an audit reads, in history order, with their payloads decrypted and decoded."""
    decoded: list[AuditEvent] = []
    for index, run in enumerate(case.runs):
        decoder = _Decoder(converter, case.reference, run=index + 1)
        for event in run.events:
            item = await decoder.decode(event, first_in_run=index == 0 and event.event_id == 1)
            if item is not None:
                decoded.append(item)
    return decoded


def opened(events: Iterable[AuditEvent]) -> CaseOpened:
    for event in events:
        if isinstance(event, CaseOpened):
            return event
    raise AuditError("the history has no start event")
