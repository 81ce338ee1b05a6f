"""The coordinators' digest: the overdue and soon-due obligations across all running cases, from visibility
queries on search attributes (kinds, times, references), so no case's payload is ever decrypted. After a surge
thousands of cases are due at once: the digest counts them all and lists the obligations due soonest, at most
DIGEST_ROWS (its message, like every payload, must stay far under the engine's 2 MB limit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.client import Client

from domain.notices import Digest, DigestRow, Recipients
from domain.roles import Role
from plumbing.visibility import CaseSummary, count_cases, running_cases_query, soonest_cases

DIGEST_ROWS = 300  # obligations listed at most; the counts cover every case


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
        """The obligations due within `window_hours` from now that come soonest, and how many cases have any."""
        now = datetime.now(UTC)
        horizon = now + timedelta(hours=window_hours)
        due = running_cases_query(due_before=horizon)
        cases = await soonest_cases(self.client, due, now, DIGEST_ROWS)
        return Digest(
            key=f"digest/{activity.info().workflow_id}",
            recipients=Recipients(roles=[Role.COORDINATOR]),
            as_of=now,
            window_hours=window_hours,
            rows=digest_rows(cases, now, horizon)[:DIGEST_ROWS],
            cases_due=cases.total,
            cases_overdue=await count_cases(self.client, running_cases_query(due_before=now)),
        )
