"""Running cases as visibility lists them: the search attributes nrmflow publishes, read straight off the listing.

`nrm cases list` and the coordinators' digest may list thousands of cases after a surge. The SDK's
`Client.list_workflows` decodes every attribute of every row twice (typed and untyped) into objects these lists
do not use; reading the few payloads needed (JSON, as Temporal encodes search attributes) is several times faster.

A list cut at N rows must hold the N cases due soonest, but visibility on SQL stores cannot sort (no ORDER BY) and
pages in its own order. `soonest_cases` therefore counts: it narrows a next-deadline cutoff, by counts alone, until
only a few more than N cases are due by it, and lists just those. Counting is cheap next to listing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflow.v1 import WorkflowExecutionInfo
from temporalio.api.workflowservice.v1 import CountWorkflowExecutionsRequest, ListWorkflowExecutionsRequest
from temporalio.client import Client

from domain.case import Stage
from plumbing import search_attributes as sa

PAGE_SIZE = 1000
# By default the cutoff search stops once at most this many cases beyond the N asked for are due by the cutoff
# (or the cutoff is down to one millisecond, the attribute's precision): listing a few more costs less than counting.
SLACK = 50
MILLISECOND = timedelta(milliseconds=1)
FIRST_STEP = timedelta(days=1)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # before any deadline nrmflow publishes
LATEST = datetime(9000, 1, 1, tzinfo=UTC)  # after any: the forward search gives up there


class CaseSummary(BaseModel):
    """One row of `nrm cases list` and of the digest, read from search attributes only (no payload is decrypted).
    Built without validation (model_construct): the values are the ones nrmflow published."""

    reference: str
    running: bool
    stage: str | None
    jurisdiction: str | None
    is_child: bool | None
    next_deadline: datetime | None
    next_deadline_kind: str | None
    breaches: int
    open_deadlines: list[tuple[str, datetime]]  # (kind, due), soonest first
    overdue: list[str]  # kinds of the open obligations already past their due time
    pending: str | None = None  # what a negative decision left pending (domain.status.pending_phase)
    life: str | None = None  # missing, suspended (domain.status.life)


def _value(fields: Mapping[str, Payload], name: str) -> object:
    payload = fields.get(name)
    return None if payload is None else json.loads(payload.data)


def _text(fields: Mapping[str, Payload], name: str) -> str | None:
    value = _value(fields, name)
    return value if isinstance(value, str) else None


def case_row(info: WorkflowExecutionInfo, now: datetime) -> CaseSummary:
    fields = info.search_attributes.indexed_fields
    nxt = _text(fields, sa.NEXT_DEADLINE.name)
    listed = _value(fields, sa.OPEN_DEADLINES.name)
    open_deadlines = sa.parse_open_deadlines(listed if isinstance(listed, list) else None)
    is_child, breaches = _value(fields, sa.IS_CHILD.name), _value(fields, sa.BREACH_COUNT.name)
    return CaseSummary.model_construct(
        reference=info.execution.workflow_id.removeprefix("case-"),
        running=info.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
        stage=_text(fields, sa.STAGE.name),
        jurisdiction=_text(fields, sa.JURISDICTION.name),
        is_child=is_child if isinstance(is_child, bool) else None,
        next_deadline=datetime.fromisoformat(nxt) if nxt else None,
        next_deadline_kind=_text(fields, sa.NEXT_DEADLINE_KIND.name),
        breaches=breaches if isinstance(breaches, int) else 0,
        open_deadlines=open_deadlines,
        overdue=[kind for kind, due in open_deadlines if due <= now],
        pending=_text(fields, sa.PENDING.name),
        life=_text(fields, sa.LIFE.name),
    )


class CaseList(list[CaseSummary]):
    """Cases, soonest deadline first, and how many the query matched (`total`): these are the first of them."""

    def __init__(self, rows: Iterable[CaseSummary], total: int) -> None:
        super().__init__(rows)
        self.total = total


def soonest_first(rows: Iterable[CaseSummary]) -> list[CaseSummary]:
    """Next deadline ascending, cases without one last, references breaking ties (a stable order for scripts)."""
    return sorted(rows, key=lambda r: (r.next_deadline is None, r.next_deadline or EARLIEST, r.reference))


RUNNING = "WorkflowType = 'CaseWorkflow' AND ExecutionStatus = 'Running'"
# a closed case's last run completed with the closing record (domain.lifecycle); a re-opened one runs again
CLOSED = f"WorkflowType = 'CaseWorkflow' AND ExecutionStatus = 'Completed' AND {sa.LIFE.name} = 'closed'"


async def closed_cases(client: Client, now: datetime, *, child: bool | None = None) -> CaseList:
    """Cases closed and not re-opened (a re-opened case's earlier, closed run is left out), one row each."""
    query = CLOSED if child is None else f"{CLOSED} AND {sa.IS_CHILD.name} = {str(child).lower()}"
    rows = {r.reference: r for r in await _listed(client, query, now)}
    if rows:
        ids = ", ".join(f"'case-{ref}'" for ref in rows)
        reopened = {r.reference for r in await _listed(client, f"{RUNNING} AND WorkflowId IN ({ids})", now)}
        rows = {ref: r for ref, r in rows.items() if ref not in reopened}
    listed = sorted(rows.values(), key=lambda r: r.reference)
    return CaseList(listed, len(listed))


def running_cases_query(
    *,
    stage: Stage | None = None,
    due_before: datetime | None = None,
    child: bool | None = None,
    pending: Sequence[str] = (),
    life: Sequence[str] = (),
) -> str:
    """The visibility query for running cases, by stage, next deadline no later than `due_before`, child or adult,
    what a negative decision left pending (any of `pending`), the life of the case (any of `life`: missing...)."""
    clauses = [RUNNING]
    if stage is not None:
        clauses.append(f"{sa.STAGE.name} = '{stage.value}'")
    if due_before is not None:
        clauses.append(_due_by(due_before))
    if child is not None:
        clauses.append(f"{sa.IS_CHILD.name} = {str(child).lower()}")
    if pending:
        listed = ", ".join(f"'{p}'" for p in pending)
        clauses.append(f"{sa.PENDING.name} IN ({listed})")
    if life:
        listed = ", ".join(f"'{c}'" for c in life)
        clauses.append(f"{sa.LIFE.name} IN ({listed})")
    return " AND ".join(clauses)


async def case_rows(
    client: Client, query: str, now: datetime, *, limit: int | None = None
) -> AsyncIterator[CaseSummary]:
    """Every execution the visibility query matches, page by page, at most `limit`; overdue as of `now`."""
    token, listed = b"", 0
    while True:
        page = await client.workflow_service.list_workflow_executions(
            ListWorkflowExecutionsRequest(
                namespace=client.namespace,
                query=query,
                page_size=min(PAGE_SIZE, limit or PAGE_SIZE),
                next_page_token=token,
            )
        )
        for info in page.executions:
            if limit is not None and listed >= limit:
                return
            listed += 1
            yield case_row(info, now)
        token = page.next_page_token
        if not token:
            return


def _due_by(cutoff: datetime) -> str:
    return f"{sa.NEXT_DEADLINE.name} <= '{cutoff.astimezone(UTC).isoformat()}'"


async def count_cases(client: Client, query: str) -> int:
    """How many executions the visibility query matches."""
    response = await client.workflow_service.count_workflow_executions(
        CountWorkflowExecutionsRequest(namespace=client.namespace, query=query)
    )
    return response.count


async def soonest_cases(
    client: Client,
    query: str,
    now: datetime,
    limit: int | None,
    *,
    slack: int = SLACK,
    listed: Callable[[int, int], None] | None = None,
) -> CaseList:
    """The `limit` cases the query matches whose next deadline comes soonest (all of them for None), soonest
    first, with the count of all it matches. `slack`: how many more than `limit` may be listed and dropped.
    `listed(n, total)` is told of each row of a whole listing (a progress bar: 10,000 rows take seconds)."""
    total = await count_cases(client, query)
    if limit is None or total <= limit:
        rows: list[CaseSummary] = []
        async for row in case_rows(client, query, now):
            rows.append(row)
            if listed is not None:
                listed(len(rows), total)
        return CaseList(soonest_first(rows), total)
    cutoff = await _cutoff(client, query, now, limit, slack)
    if cutoff is None:  # fewer than `limit` cases have a deadline at all: those, then some without one
        rows = await _listed(client, f"{query} AND {sa.NEXT_DEADLINE.name} IS NOT NULL", now)
        rows += await _listed(client, f"{query} AND {sa.NEXT_DEADLINE.name} IS NULL", now, limit - len(rows))
    else:
        rows = await _listed(client, f"{query} AND {_due_by(cutoff)}", now)
    return CaseList(soonest_first(rows)[:limit], total)


async def _listed(client: Client, query: str, now: datetime, limit: int | None = None) -> list[CaseSummary]:
    return [row async for row in case_rows(client, query, now, limit=limit)]


async def _cutoff(client: Client, query: str, now: datetime, limit: int, slack: int) -> datetime | None:
    """A time by which at least `limit` of the matching cases are due and not many more (None if no time is): a
    gallop from now, in steps doubling from a day, then bisection on the millisecond grid."""

    async def due_by(cutoff: datetime) -> int:
        return await count_cases(client, f"{query} AND {_due_by(cutoff)}")

    probe = _whole_ms(now)
    step, count = FIRST_STEP, await due_by(probe)
    if count >= limit:  # many overdue: walk back until fewer are due
        hi, hi_count = probe, count
        while hi - step > EARLIEST:
            lo = hi - step
            if (count := await due_by(lo)) < limit:
                break
            hi, hi_count, step = lo, count, step * 2
        else:
            lo = EARLIEST
    else:  # walk forward until enough are due
        lo = probe
        while True:
            hi = lo + step if step < LATEST - lo else LATEST
            if (hi_count := await due_by(hi)) >= limit:
                break
            if hi == LATEST:
                return None
            lo, step = hi, step * 2
    while hi_count > limit + slack and hi - lo > MILLISECOND:
        mid = _whole_ms(lo + (hi - lo) // 2)
        if (count := await due_by(mid)) >= limit:
            hi, hi_count = mid, count
        else:
            lo = mid
    return hi


def _whole_ms(t: datetime) -> datetime:
    return t.replace(microsecond=t.microsecond // 1000 * 1000)
