"""A list cut at N rows holds the N cases due soonest, although visibility pages in its own order (newest first):
the cutoff is narrowed by counts, forwards from now or, when many are overdue, backwards."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from domain.reference import workflow_id
from plumbing import search_attributes as sa
from plumbing.visibility import count_cases, running_cases_query, soonest_cases
from starter.client import NrmClient
from tests.conftest import eventually
from tests.integration.helpers import FIRST_RESPONDER, adult_referral, child_referral
from tests.integration.nrm_cli import run_nrm


async def test_a_cut_list_holds_the_cases_due_soonest(nrm: NrmClient) -> None:
    child = await nrm.open_case(child_referral(), FIRST_RESPONDER)  # Stage 1 due in 48 h, opened first
    mine = [child, *[await nrm.open_case(adult_referral(), FIRST_RESPONDER) for _ in range(4)]]  # due in 5 days
    ids = ", ".join(f"'{workflow_id(ref)}'" for ref in mine)
    client, now = nrm.client, datetime.now(UTC)
    query = f"{running_cases_query(due_before=now + timedelta(days=30))} AND WorkflowId IN ({ids})"

    async def all_visible() -> bool:  # each with the deadline its first workflow task published
        return await count_cases(client, query) == len(mine)

    await eventually(all_visible)
    every = await soonest_cases(client, query, now, None)
    order = [r.reference for r in every]
    assert (order[0], sorted(order), every.total) == (child, sorted(mine), 5)
    assert [r.next_deadline for r in every] == sorted(r.next_deadline for r in every)
    for limit in (1, 3):
        for slack in (0, 50):  # narrowed to exactly `limit`, or stopped early and cut
            rows = await soonest_cases(client, query, now, limit, slack=slack)
            assert ([r.reference for r in rows], rows.total) == (order[:limit], 5)
    month_later = await soonest_cases(client, query, now + timedelta(days=30), 2, slack=0)  # all overdue by then
    assert [r.reference for r in month_later] == order[:2]
    child_owes = ["golden_day_plan", "guardian_advocate", "legal_guardian", "best_interests_assessment"]
    assert [r.overdue for r in month_later] == [[*child_owes, "stage1_decision"], ["stage1_decision"]]


async def test_the_command_shows_the_first_100_and_says_how_many_more(cli_env: dict[str, str], nrm: NrmClient) -> None:
    for _ in range(2):
        await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    one = await run_nrm("cases", "list", "--limit", "1", "--json", env=cli_env)
    assert len(one.json()) == 1
    total = int(
        re.fullmatch(r"showing the 1 due soonest of ([\d,]+) matching cases; --limit N or --all for more\n", one.err)[
            1
        ].replace(",", "")
    )
    assert total >= 2
    every = await run_nrm("cases", "list", "--all", "--json", env=cli_env)
    assert len(every.json()) >= 2 and every.err == ""
    table = await run_nrm("cases", "list", "--limit", "1", env=cli_env)
    assert re.search(r"1 of [\d,]+ cases, soonest deadline first", table.out)

    both, zero = [
        await run_nrm("cases", "list", *flags, env=cli_env) for flags in (("--all", "--limit", "5"), ("--limit", "0"))
    ]
    assert both.error_line(2) == "error: give either --limit or --all, not both"
    assert zero.error_line(2) == "error: --limit must be at least 1, not 0"


async def test_cases_without_a_deadline_come_last(nrm: NrmClient) -> None:
    dated = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    outside = [await nrm.open_case(adult_referral(consent_to_referral=False), FIRST_RESPONDER) for _ in range(2)]
    ids = ", ".join(f"'{workflow_id(ref)}'" for ref in (dated, *outside))
    query = f"{running_cases_query()} AND WorkflowId IN ({ids})"

    async def published() -> bool:  # the first workflow task of each has set its stage
        return await count_cases(nrm.client, f"{query} AND {sa.STAGE.name} IS NOT NULL") == 3

    await eventually(published)
    rows = await soonest_cases(nrm.client, query, datetime.now(UTC), 2)  # one has a deadline, two have none
    assert (rows[0].reference, rows[1].reference in outside, rows[1].next_deadline, rows.total) == (
        dated,
        True,
        None,
        3,
    )
