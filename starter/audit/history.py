"""Case histories as auditors read them, and their events decoded into a few typed facts.

A case is one workflow id; after continue-as-new it has several runs, kept oldest first. Histories come from the
server (every run, following the chain back from the latest) or from exported JSON files (Temporal's own history
format, as written by `nrm audit export`, `temporal workflow show -o json` or the Web UI).

Each decoded event carries `at`, the case's own clock: for what a workflow task wrote (acts, timers, alerts)
that is the start of that task, the `workflow.now()` the case computed with; otherwise the event's time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
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
from starter.client import NrmError, UnknownCase
from plumbing.codec import UnknownKey
from plumbing import search_attributes as sa

CASE_QUERY = "WorkflowType = 'CaseWorkflow'"
# a case's clock (workflow.now()) rounds the task's start to the microsecond, the event's time as read here truncates it
SAME_INSTANT = timedelta(milliseconds=1)
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
    """Every run of one case, oldest first (follows continue-as-new back from the latest run)."""
    if reference_or_id.startswith("case-"):
        wid = reference_or_id
    else:
        try:
            wid = workflow_id(check_reference(reference_or_id))
        except DomainError as exc:
            raise NrmError(str(exc)) from None
    runs: list[WorkflowHistory] = []
    run_id: str | None = None
    while True:
        try:
            history = await client.get_workflow_handle(wid, run_id=run_id).fetch_history()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise UnknownCase(f"no case with reference {wid.removeprefix('case-')}") from None
            raise NrmError(f"the server refused the request: {exc.message}") from None
        runs.append(history)
        run_id = _started(history).continued_execution_run_id or None
        if run_id is None:
            return CaseHistory(wid, tuple(reversed(runs)))


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
    """Order the runs of one case by their continue-as-new links."""
    after = {_started(r).continued_execution_run_id: r for r in runs}
    first = [r for r in runs if _started(r).continued_execution_run_id not in {x.run_id for x in runs}]
    if len(first) != 1 or len(after) != len(runs):
        raise AuditError(f"the history files of {wid} do not form one chain of runs")
    ordered = [first[0]]
    while (nxt := after.get(ordered[-1].run_id)) is not None:
        ordered.append(nxt)
    if len(ordered) != len(runs):
        raise AuditError(f"the history files of {wid} do not form one chain of runs")
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
    """A durable timer of the case: `purpose` "due" (an obligation's due time) or "reminder"; `kinds` the kind of the
    obligation it is for, or the kinds it may be for when deadlines of several fall due at the very same instant
    (a positive Stage 1 owes its provisions at one time); none when not recorded (see timer_name)."""

    at: datetime
    what: str                # started | fired | canceled
    timer_id: str
    kinds: tuple[str, ...]
    purpose: str
    fires_at: datetime


def timer_name(summary: str, fires_at: datetime, open_deadlines: Sequence[tuple[str, datetime]]
               ) -> tuple[tuple[str, ...], str]:
    """(kinds, purpose) of a timer. Cases before CURRENT_BEHAVIOUR name each timer in its summary ("<kind> due",
    "<kind> reminder"). Since then timers carry no summary (each was one more encrypted payload to store and
    replay): a due timer fires exactly at the due time of an obligation the case published as open in NrmOpenDeadlines
    by that workflow task; any other timer is a reminder, left unnamed (its alert names the obligation when sent)."""
    if summary:
        kind, _, purpose = summary.rpartition(" ")
        return (kind,), purpose
    kinds = tuple(dict.fromkeys(kind for kind, due in open_deadlines if abs(due - fires_at) <= SAME_INSTANT))
    return (kinds, "due") if kinds else ((), "reminder")


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
    how: str                 # completed | failed | timed out | canceled


@dataclass(frozen=True)
class TaskFailed:
    """A workflow task that failed: a software fault the auditor should see (the cause only, no message)."""

    at: datetime
    cause: str


@dataclass(frozen=True)
class RunEnded:
    at: datetime
    how: str


AuditEvent = CaseOpened | ActAccepted | ActCompleted | TimerEvent | ActivityScheduled | ActivityOutcome | TaskFailed | RunEnded

_T = EventType
_WRITTEN_BY_TASK = {
    _T.EVENT_TYPE_TIMER_STARTED, _T.EVENT_TYPE_TIMER_CANCELED, _T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, _T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, _T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, _T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
}
_ENDINGS = {
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: "continued as new (the history goes on in the next run)",
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: "completed",
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: "failed",
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: "terminated by an operator",
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: "canceled",
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: "timed out",
}
LOCAL_ACTIVITY_MARKER = "core_local_activity"  # the marker name the SDK gives a local activity's record
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
    task_time: datetime | None = None
    timers: dict[int, TimerEvent] = field(default_factory=dict)
    updates: dict[str, str] = field(default_factory=dict)
    open_deadlines: list[tuple[str, datetime]] = field(default_factory=list)   # as last published by the run
    task_open_deadlines: list[tuple[str, datetime]] = field(default_factory=list)  # as the current task found them
    shared: dict[int, list[str]] = field(default_factory=dict)  # running due timer -> the kinds it may still be for

    async def values(self, payloads: Sequence[Payload]) -> list[Any]:
        try:
            return await self.converter.decode(payloads)
        except UnknownKey as exc:
            raise AuditError(f"case {self.reference}: {exc}") from None
        except InvalidTag:
            raise AuditError(f"case {self.reference}: a payload does not decrypt with the key of the same id "
                             "(wrong key file, or the history was altered)") from None

    async def summary(self, event: HistoryEvent) -> str:
        if not event.user_metadata.HasField("summary"):
            return ""
        [text] = await self.values([event.user_metadata.summary])
        return str(text)

    def _settle(self, started_id: int) -> tuple[str, ...]:
        """A due timer shared by several kinds, cancelled: it was the one of the kind whose deadline at that instant
        the case closed in this very workflow task, when exactly one did (that kind is then no other timer's)."""
        fires_at = self.timers[started_id].fires_at

        def open_at(entries: list[tuple[str, datetime]]) -> set[str]:
            return {kind for kind, due in entries if abs(due - fires_at) <= SAME_INSTANT}

        candidates = self.shared.pop(started_id)
        closed = [k for k in candidates if k in open_at(self.task_open_deadlines) - open_at(self.open_deadlines)]
        if len(closed) != 1:
            return tuple(candidates)
        for other, others in self.shared.items():
            if self.timers[other].fires_at == fires_at and closed[0] in others:
                others.remove(closed[0])
        return (closed[0],)

    async def decode(self, event: HistoryEvent, first_in_run: bool) -> AuditEvent | None:
        stamp = _time(event.event_time)
        if event.event_type == _T.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            self.task_time = stamp
            self.task_open_deadlines = self.open_deadlines
        at = self.task_time if event.event_type in _WRITTEN_BY_TASK and self.task_time else stamp
        t = event.event_type
        if t == _T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            attrs = event.workflow_execution_started_event_attributes
            [value] = await self.values(attrs.input.payloads)
            try:
                request = OpenCase.model_validate(value)
            except ValidationError as exc:
                raise AuditError(f"case {self.reference}: its opening input does not match the case model: "
                                 f"{exc.error_count()} problem(s)") from None
            return CaseOpened(stamp, request, continued=not first_in_run or request.state is not None)
        if t == _T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            req = event.workflow_execution_update_accepted_event_attributes.accepted_request
            args = await self.values(req.input.args.payloads)
            self.updates[req.meta.update_id] = req.input.name
            return ActAccepted(at, req.meta.update_id, req.input.name, args[0] if args else {})
        if t == _T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            attrs = event.workflow_execution_update_completed_event_attributes
            outcome = attrs.outcome
            result = await self.values(outcome.success.payloads) if outcome.HasField("success") else []
            update_id = attrs.meta.update_id
            return ActCompleted(at, update_id, self.updates.get(update_id, "?"), result[0] if result else None,
                                failed=outcome.HasField("failure"))
        if t == _T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            if sa.OPEN_DEADLINES.name in fields:
                self.open_deadlines = sa.parse_open_deadlines(json.loads(fields[sa.OPEN_DEADLINES.name].data or "null"))
            return None
        if t == _T.EVENT_TYPE_TIMER_STARTED:
            attrs = event.timer_started_event_attributes
            fires_at = at + attrs.start_to_fire_timeout.ToTimedelta()
            timer = TimerEvent(at, "started", attrs.timer_id,
                               *timer_name(await self.summary(event), fires_at, self.open_deadlines), fires_at)
            self.timers[event.event_id] = timer
            if len(timer.kinds) > 1:
                self.shared[event.event_id] = list(timer.kinds)
            return timer
        if t in (_T.EVENT_TYPE_TIMER_FIRED, _T.EVENT_TYPE_TIMER_CANCELED):
            fired = t == _T.EVENT_TYPE_TIMER_FIRED
            attrs = event.timer_fired_event_attributes if fired else event.timer_canceled_event_attributes
            started = self.timers.get(attrs.started_event_id)
            if started is None:
                return TimerEvent(at, "fired" if fired else "canceled", attrs.timer_id, (), "", at)
            kinds = started.kinds
            if attrs.started_event_id in self.shared:
                kinds = tuple(self.shared.pop(attrs.started_event_id)) if fired else self._settle(attrs.started_event_id)
            return TimerEvent(at, "fired" if fired else "canceled", attrs.timer_id, kinds, started.purpose,
                              started.fires_at)
        if t == _T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            args = await self.values(attrs.input.payloads)
            value = args[0] if args and isinstance(args[0], dict) else {}
            return ActivityScheduled(at, event.event_id, attrs.activity_type.name, value)
        if t in _ACTIVITY_ENDS:
            name, delivered, how = _ACTIVITY_ENDS[t]
            return ActivityOutcome(at, getattr(event, name).scheduled_event_id, delivered, how)
        if t == _T.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            cause = event.workflow_task_failed_event_attributes.cause
            return TaskFailed(stamp, _enum_name(cause))
        if t in _ENDINGS:
            return RunEnded(at, _ENDINGS[t])
        return None


def _enum_name(cause: int) -> str:
    return WorkflowTaskFailedCause.Name(cause).removeprefix("WORKFLOW_TASK_FAILED_CAUSE_").lower()


def _time(ts: Any) -> datetime:
    return ts.ToDatetime().replace(tzinfo=UTC)


async def decode_case(case: CaseHistory, converter: DataConverter) -> list[AuditEvent]:
    """The events an audit reads, in history order, with their payloads decrypted and decoded."""
    decoded: list[AuditEvent] = []
    for index, run in enumerate(case.runs):
        decoder = _Decoder(converter, case.reference)
        in_run: list[AuditEvent] = []
        for event in run.events:
            if _is_local_activity(event):
                in_run += _local_activity(event)
                continue
            item = await decoder.decode(event, first_in_run=index == 0 and event.event_id == 1)
            if item is not None:
                in_run.append(item)
        decoded += _named_as_they_ended(in_run)
    return decoded


def _named_as_they_ended(events: list[AuditEvent]) -> list[AuditEvent]:
    """A started timer gets the kinds known by its end (a shared due timer is settled when it is cancelled)."""
    ended = {e.timer_id: e.kinds for e in events if isinstance(e, TimerEvent) and e.what != "started"}
    return [replace(e, kinds=ended[e.timer_id]) if isinstance(e, TimerEvent) and e.timer_id in ended else e
            for e in events]


def _is_local_activity(event: HistoryEvent) -> bool:
    return (event.event_type == _T.EVENT_TYPE_MARKER_RECORDED
            and event.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER)


def _local_activity(event: HistoryEvent) -> list[AuditEvent]:
    """A local activity ran inside a workflow task: its marker stands for both its scheduling and its outcome.
    The marker's `data` (what ran) is written by the SDK in clear; its result is a payload like any other."""
    attrs = event.marker_recorded_event_attributes
    [data] = attrs.details["data"].payloads
    name = json.loads(data.data).get("activity_type", "local activity")
    at = _time(event.event_time)
    failed = attrs.HasField("failure")
    return [ActivityScheduled(at, event.event_id, name, {}),
            ActivityOutcome(at, event.event_id, not failed, "failed" if failed else "completed")]


def opened(events: Iterable[AuditEvent]) -> CaseOpened:
    for event in events:
        if isinstance(event, CaseOpened):
            return event
    raise AuditError("the history has no start event")
