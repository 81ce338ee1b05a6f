"""The coordinators' digest: every overdue or soon-due obligation across all running cases, from one
visibility query on search attributes (kinds, times, references), so no case's payload is ever decrypted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client

from domain.notices import Digest, DigestRow, Recipients
from domain.roles import Role
from starter.visibility import CaseSummary, case_rows, running_cases_query


class DigestRequest(BaseModel):
    window_hours: int = 48


def digest_rows(cases: list[CaseSummary], now: datetime, horizon: datetime) -> list[DigestRow]:
    """Every open obligation of these cases due before `horizon`."""
    rows = []
    for case in cases:
        pairs = case.open_deadlines
        if not pairs and case.next_deadline is not None:      # a case from before NrmOpenDeadlines existed
            pairs = [(case.next_deadline_kind or "deadline", case.next_deadline)]
        rows += [DigestRow(reference=case.reference, kind=kind, due_at=due, overdue=due <= now,
                           is_child=case.is_child, jurisdiction=case.jurisdiction)
                 for kind, due in pairs if due <= horizon]
    return sorted(rows, key=lambda r: (r.due_at, r.reference, r.kind))


class DigestActivities:
    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn(name="collect_due_obligations")
    async def collect_due_obligations(self, request: DigestRequest) -> Digest:
        now = datetime.now(UTC)
        horizon = now + timedelta(hours=request.window_hours)
        found = [case async for case in case_rows(self.client, running_cases_query(due_before=horizon), now)]
        return Digest(key=f"digest/{activity.info().workflow_id}", recipients=Recipients(roles=[Role.COORDINATOR]),
                      as_of=now, window_hours=request.window_hours, rows=digest_rows(found, now, horizon))
