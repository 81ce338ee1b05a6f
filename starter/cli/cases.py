"""`nrm cases list`: running cases found by visibility query, soonest deadline first."""

from __future__ import annotations

from typing import Annotated

import typer

from domain.case import Stage
from domain.status import PendingChallenge
from domain.times import parse_duration
from starter import render
from starter.cli.common import JsonOpt, emit, note, out, progress, runs, settings
from starter.client import NrmClient
from starter.errors import BadInput

app = typer.Typer(help="Find cases.", no_args_is_help=True)

DEFAULT_LIST_LIMIT = 100  # `nrm cases list` shows the cases due soonest, not thousands after a surge


@app.command("list")
@runs
async def cases_list(
    stage: Annotated[Stage | None, typer.Option(help="Only cases in this stage.")] = None,
    due_within: Annotated[str | None, typer.Option(help="Next deadline within this period: 7d, 48h...")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only cases whose next deadline has passed.")] = False,
    child: Annotated[bool | None, typer.Option("--child/--adult", help="Only children / only adults.")] = None,
    pending: Annotated[
        PendingChallenge | None,
        typer.Option(help="Only cases where a reconsideration or an appeal is possible or under way."),
    ] = None,
    missing: Annotated[
        bool, typer.Option("--missing", help="Only cases whose person is missing (suspended or not).")
    ] = False,
    closed: Annotated[
        bool, typer.Option("--closed", help="Cases closed and not re-opened, by reference (with --child/--adult).")
    ] = False,
    limit: Annotated[
        int | None, typer.Option(help=f"The N cases due soonest (default {DEFAULT_LIST_LIMIT}).", show_default=False)
    ] = None,
    all_cases: Annotated[bool, typer.Option("--all", help="Every matching case, however many.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Running cases, by visibility query, soonest deadline first: the first 100 unless --limit or --all."""
    if overdue and due_within:
        raise BadInput("give either --overdue or --due-within, not both")
    if all_cases and limit is not None:
        raise BadInput("give either --limit or --all, not both")
    if limit is not None and limit < 1:
        raise BadInput(f"--limit must be at least 1, not {limit}")
    within = parse_duration(due_within) if due_within else None
    client = await NrmClient.connect(settings())
    if closed:
        if stage or within or overdue or pending or missing:
            raise BadInput("--closed combines with --child/--adult only")
        rows = await client.list_closed_cases(child=child)
        emit(as_json, [r.model_dump(mode="json") for r in rows], lambda: render.list_cases(out, rows))
        return
    with progress(shown=all_cases) as bar:
        task = bar.add_task("listing cases", total=None)
        rows = await client.list_cases(
            stage=stage,
            due_within=within,
            overdue=overdue,
            child=child,
            pending=pending,
            missing=missing,
            limit=None if all_cases else limit or DEFAULT_LIST_LIMIT,
            listed=lambda n, total: bar.update(task, completed=n, total=total),
        )
    emit(as_json, [r.model_dump(mode="json") for r in rows], lambda: render.list_cases(out, rows))
    if len(rows) < rows.total:
        note(f"showing the {len(rows):,} due soonest of {rows.total:,} matching cases; --limit N or --all for more")
