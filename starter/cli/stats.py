"""`nrm stats`: anonymised statistics of the cases opened in a period, from their histories."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated

import typer
from pydantic import TypeAdapter

from domain.times import parse_bound
from plumbing.connection import data_converter
from starter.audit import stats
from starter.audit.facts import case_facts
from starter.audit.history import CASE_QUERY, decode_case
from starter.cli.common import AsOpt, JsonOpt, actor, out, print_json, runs
from starter.cli.histories import Source, now
from starter.errors import BadInput


@runs
async def stats_cmd(
    actor_: AsOpt,
    period_from: Annotated[str, typer.Option("--from", help="Cases opened from this date (or date-time), UTC.")],
    period_to: Annotated[str, typer.Option("--to", help="Up to and including this date (or before this date-time).")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Directory for the CSV files and PNG charts (default ./nrm-stats).")
    ] = None,
    min_cell: Annotated[
        int, typer.Option(min=1, help="Suppress counts below this many persons.")
    ] = stats.DEFAULT_MIN_CELL,
    query: Annotated[
        str | None, typer.Option(help="Extra visibility clause, e.g. \"NrmJurisdiction = 'osce'\".")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Anonymised statistics of the cases opened in a period: CSV and PNG charts, small cells suppressed."""
    actor(actor_)
    if importlib.util.find_spec("matplotlib") is None:  # the `stats` extra, not in a production worker image
        raise BadInput("nrm stats draws its charts with matplotlib: pip install 'nrmflow[stats]'")
    start, end = parse_bound(period_from, end=False), parse_bound(period_to, end=True)
    if end <= start:
        raise BadInput("--to must not be before --from")
    clauses = [CASE_QUERY, f"StartTime >= '{start.isoformat()}'", f"StartTime < '{end.isoformat()}'"]
    source = Source(None, True, " AND ".join(clauses + ([f"({query})"] if query else [])), None)
    directory = out_dir or Path("nrm-stats")
    when = now()
    converter = data_converter(source.settings)
    cases = []
    async for case in source.cases():
        facts = case_facts(await decode_case(case, converter))
        if start <= facts.opened_at < end:  # a later run may start in the period; the case did not
            cases.append(facts)
    result = stats.tabulate(stats.records(cases, when), period_from=start, period_to=end, min_cell=min_cell)
    directory.mkdir(parents=True, exist_ok=True)
    files = stats.write_csv(result, directory) + stats.write_charts(result, directory)
    if as_json:
        data = TypeAdapter(stats.Statistics).dump_python(result, mode="json")
        print_json({**data, "files": [str(f) for f in files]})
        return
    persons = "fewer than " + str(min_cell) if result.persons is None else str(result.persons)
    out.print(
        f"{persons} person(s) in cases opened {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC; "
        f"counts under {min_cell} suppressed",
        markup=False,
    )
    for table in result.tables:
        cells = ", ".join(f"{k} {'<' + str(min_cell) if v is None else v}" for k, v in table.cells.items())
        out.print(f"  {table.dimension}: {cells}", markup=False, highlight=False)
    out.print(f"wrote {len(files)} file(s) to {directory}", markup=False)
