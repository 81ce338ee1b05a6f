"""The coordinators' digest: every overdue or soon-due obligation across all running cases, from one
visibility query on search attributes (kinds, times, references), so no case's payload is ever decrypted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client

from domain.notices import Digest, DigestRow, Recipients
from domain.roles import Role
from workflows import search_attributes as sa


class DigestRequest(BaseModel):
    window_hours: int = 48


def digest_rows(execution_attrs: list[tuple[str, dict]], now: datetime, horizon: datetime) -> list[DigestRow]:
    """Rows for each (reference, attributes) pair: every open obligation due before `horizon`."""
    rows = []
    for reference, attrs in execution_attrs:
        pairs = sa.parse_open_deadlines(attrs.get("open"))
        if not pairs and attrs.get("next") is not None:      # a case from before NrmOpenDeadlines existed
            pairs = [(attrs.get("next_kind") or "deadline", attrs["next"])]
        rows += [DigestRow(reference=reference, kind=kind, due_at=due, overdue=due <= now, is_child=attrs.get("child"),
                           jurisdiction=attrs.get("jurisdiction"))
                 for kind, due in pairs if due <= horizon]
    return sorted(rows, key=lambda r: (r.due_at, r.reference, r.kind))


class DigestActivities:
    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn(name="collect_due_obligations")
    async def collect_due_obligations(self, request: DigestRequest) -> Digest:
        now = datetime.now(UTC)
        horizon = now + timedelta(hours=request.window_hours)
        query = (f"WorkflowType = 'CaseWorkflow' AND ExecutionStatus = 'Running' "
                 f"AND {sa.NEXT_DEADLINE.name} <= '{horizon.isoformat()}'")
        found = []
        async for execution in self.client.list_workflows(query):
            attrs = execution.typed_search_attributes
            found.append((execution.id.removeprefix("case-"), {
                "open": attrs.get(sa.OPEN_DEADLINES), "next": attrs.get(sa.NEXT_DEADLINE),
                "next_kind": attrs.get(sa.NEXT_DEADLINE_KIND), "child": attrs.get(sa.IS_CHILD),
                "jurisdiction": attrs.get(sa.JURISDICTION),
            }))
        return Digest(key=f"digest/{activity.info().workflow_id}", recipients=Recipients(roles=[Role.COORDINATOR]),
                      as_of=now, window_hours=request.window_hours, rows=digest_rows(found, now, horizon))
