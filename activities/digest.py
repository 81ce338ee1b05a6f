"""The coordinators' digest: every overdue or soon-due obligation across all running cases, from one
visibility query on search attributes (kinds, times, references), so no case's payload is ever decrypted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.client import Client

from domain.notices import Digest, DigestRow, Recipients
from domain.roles import Role
from plumbing.visibility import CaseSummary, case_rows, running_cases_query


def digest_rows(cases: list[CaseSummary], now: datetime, horizon: datetime) -> list[DigestRow]:
    """Every open obligation of these cases due before `horizon`."""
    rows = [
        DigestRow(
            reference=case.reference,
            kind=kind,
            due_at=due,
            overdue=due <= now,
            is_child=case.is_child,
            jurisdiction=case.jurisdiction,
        )
        for case in cases
        for kind, due in case.open_deadlines
        if due <= horizon
    ]
    return sorted(rows, key=lambda r: (r.due_at, r.reference, r.kind))


class DigestActivities:
    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn(name="collect_due_obligations")
    async def collect_due_obligations(self, window_hours: int) -> Digest:
        """Every open obligation due within `window_hours` from now, across the running cases."""
        now = datetime.now(UTC)
        horizon = now + timedelta(hours=window_hours)
        found = [case async for case in case_rows(self.client, running_cases_query(due_before=horizon), now)]
        return Digest(
            key=f"digest/{activity.info().workflow_id}",
            recipients=Recipients(roles=[Role.COORDINATOR]),
            as_of=now,
            window_hours=window_hours,
            rows=digest_rows(found, now, horizon),
        )
