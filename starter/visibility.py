"""Running cases as visibility lists them: the search attributes nrmflow publishes, read straight off the listing.

`nrm cases list` and the coordinators' digest may list thousands of cases after a surge. The SDK's
`Client.list_workflows` decodes every attribute of every row twice (typed and untyped) into objects these lists
do not use; reading the few payloads needed (JSON, as Temporal encodes search attributes) is several times faster.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflow.v1 import WorkflowExecutionInfo
from temporalio.api.workflowservice.v1 import ListWorkflowExecutionsRequest
from temporalio.client import Client

from workflows import search_attributes as sa

PAGE_SIZE = 1000


@dataclass(frozen=True)
class CaseRow:
    reference: str
    running: bool
    stage: str | None
    jurisdiction: str | None
    is_child: bool | None
    next_deadline: datetime | None
    next_deadline_kind: str | None
    breaches: int
    open_deadlines: list[tuple[str, datetime]]   # (kind, due), soonest first


def _value(fields: dict[str, Payload], name: str) -> object:
    payload = fields.get(name)
    return None if payload is None else json.loads(payload.data)


def case_row(info: WorkflowExecutionInfo) -> CaseRow:
    fields = info.search_attributes.indexed_fields
    nxt = _value(fields, sa.NEXT_DEADLINE.name)
    return CaseRow(
        reference=info.execution.workflow_id.removeprefix("case-"),
        running=info.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
        stage=_value(fields, sa.STAGE.name),
        jurisdiction=_value(fields, sa.JURISDICTION.name),
        is_child=_value(fields, sa.IS_CHILD.name),
        next_deadline=datetime.fromisoformat(nxt) if isinstance(nxt, str) else None,
        next_deadline_kind=_value(fields, sa.NEXT_DEADLINE_KIND.name),
        breaches=_value(fields, sa.BREACH_COUNT.name) or 0,
        open_deadlines=sa.parse_open_deadlines(_value(fields, sa.OPEN_DEADLINES.name)),
    )


async def case_rows(client: Client, query: str, *, limit: int | None = None) -> AsyncIterator[CaseRow]:
    """Every execution the visibility query matches, page by page, at most `limit`."""
    token, listed = b"", 0
    while True:
        page = await client.workflow_service.list_workflow_executions(ListWorkflowExecutionsRequest(
            namespace=client.namespace, query=query, page_size=min(PAGE_SIZE, limit or PAGE_SIZE),
            next_page_token=token))
        for info in page.executions:
            if limit is not None and listed >= limit:
                return
            listed += 1
            yield case_row(info)
        token = page.next_page_token
        if not token:
            return
