"""Running cases as visibility lists them: the search attributes nrmflow publishes, read straight off the listing.

`nrm cases list` and the coordinators' digest may list thousands of cases after a surge. The SDK's
`Client.list_workflows` decodes every attribute of every row twice (typed and untyped) into objects these lists
do not use; reading the few payloads needed (JSON, as Temporal encodes search attributes) is several times faster.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflow.v1 import WorkflowExecutionInfo
from temporalio.api.workflowservice.v1 import ListWorkflowExecutionsRequest
from pydantic import BaseModel
from temporalio.client import Client

from domain.case import Stage
from workflows import search_attributes as sa

PAGE_SIZE = 1000


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
    open_deadlines: list[tuple[str, datetime]]   # (kind, due), soonest first
    overdue: list[str]                           # kinds of the open obligations already past their due time


def _value(fields: dict[str, Payload], name: str) -> object:
    payload = fields.get(name)
    return None if payload is None else json.loads(payload.data)


def case_row(info: WorkflowExecutionInfo, now: datetime) -> CaseSummary:
    fields = info.search_attributes.indexed_fields
    nxt = _value(fields, sa.NEXT_DEADLINE.name)
    open_deadlines = sa.parse_open_deadlines(_value(fields, sa.OPEN_DEADLINES.name))
    return CaseSummary.model_construct(
        reference=info.execution.workflow_id.removeprefix("case-"),
        running=info.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
        stage=_value(fields, sa.STAGE.name),
        jurisdiction=_value(fields, sa.JURISDICTION.name),
        is_child=_value(fields, sa.IS_CHILD.name),
        next_deadline=datetime.fromisoformat(nxt) if isinstance(nxt, str) else None,
        next_deadline_kind=_value(fields, sa.NEXT_DEADLINE_KIND.name),
        breaches=_value(fields, sa.BREACH_COUNT.name) or 0,
        open_deadlines=open_deadlines,
        overdue=[kind for kind, due in open_deadlines if due <= now],
    )


def running_cases_query(*, stage: Stage | None = None, due_before: datetime | None = None,
                        child: bool | None = None) -> str:
    """The visibility query for running cases, by stage, next deadline no later than `due_before`, child or adult."""
    clauses = ["WorkflowType = 'CaseWorkflow'", "ExecutionStatus = 'Running'"]
    if stage is not None:
        clauses.append(f"{sa.STAGE.name} = '{stage.value}'")
    if due_before is not None:
        clauses.append(f"{sa.NEXT_DEADLINE.name} <= '{due_before.astimezone(UTC).isoformat()}'")
    if child is not None:
        clauses.append(f"{sa.IS_CHILD.name} = {str(child).lower()}")
    return " AND ".join(clauses)


async def case_rows(client: Client, query: str, now: datetime, *, limit: int | None = None
                    ) -> AsyncIterator[CaseSummary]:
    """Every execution the visibility query matches, page by page, at most `limit`; overdue as of `now`."""
    token, listed = b"", 0
    while True:
        page = await client.workflow_service.list_workflow_executions(ListWorkflowExecutionsRequest(
            namespace=client.namespace, query=query, page_size=min(PAGE_SIZE, limit or PAGE_SIZE),
            next_page_token=token))
        for info in page.executions:
            if limit is not None and listed >= limit:
                return
            listed += 1
            yield case_row(info, now)
        token = page.next_page_token
        if not token:
            return
