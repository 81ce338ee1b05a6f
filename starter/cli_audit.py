"""`nrm audit ...` and `nrm stats`: what auditors run. Every command only reads (any role may run it, an auditor
too) and records who prepared its output. Everything comes from the history events, never from the running case.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Optional

import typer
from pydantic import TypeAdapter
from rich.progress import Progress
from rich.table import Table

from starter.audit import compliance, stats, timeline
from starter.audit.export import export
from starter.audit.facts import case_facts
from starter.audit.history import CASE_QUERY, AuditError, CaseHistory, case_ids, decode_case, fetch_case, load_path
from starter.audit.manifest import verify as verify_set
from starter.audit.replay import replay as replay_cases
from starter.cli import AsOpt, JsonOpt, _actor, _run, _settings, app, err, fail, out, print_json
from starter.client import NrmClient
from plumbing.connection import data_converter
from plumbing.settings import Settings

audit_app = typer.Typer(help="Auditors: replay, export and verify histories; timelines; deadline compliance.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")

RefArg = Annotated[Optional[str], typer.Argument(help="Case reference, NRM-XXXX-XXXX.", show_default=False)]
AllOpt = Annotated[bool, typer.Option("--all", help="Every case (or those --query finds).")]
QueryOpt = Annotated[Optional[str], typer.Option(help=f"Visibility query for --all (default: {CASE_QUERY}).")]
FromFileOpt = Annotated[Optional[Path], typer.Option(
    "--from-file", help="A history JSON file or an exported directory, instead of the server (no server needed).")]


class _Source:
    """Which histories a command reads: one case, every case a query finds, or files."""

    def __init__(self, reference: str | None, every: bool, query: str | None, from_file: Path | None) -> None:
        chosen = sum([reference is not None, every or query is not None, from_file is not None])
        if chosen != 1:
            fail("give exactly one of: a case reference, --all [--query ...], or --from-file PATH")
        self.reference, self.query, self.from_file = reference, query, from_file
        self.settings: Settings = _settings()

    @property
    def describes(self) -> str:
        return (str(self.from_file) if self.from_file else
                f"{self.settings.temporal_address} namespace {self.settings.temporal_namespace}")

    async def cases(self) -> AsyncIterator[CaseHistory]:
        if self.from_file is not None:
            for case in load_path(self.from_file):
                yield case
            return
        client = (await NrmClient.connect(self.settings)).client
        if self.reference is not None:
            yield await fetch_case(client, self.reference)
            return
        ids = await case_ids(client, self.query)
        with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
            task = progress.add_task("reading histories", total=len(ids))
            for wid in ids:
                yield await fetch_case(client, wid)
                progress.advance(task)


def _now() -> datetime:
    return datetime.now(UTC)


# ---- replay -------------------------------------------------------------------------------------------------


@audit_app.command("replay")
def replay(actor: AsOpt, reference: RefArg = None, every: AllOpt = False, query: QueryOpt = None,
           from_file: FromFileOpt = None, as_json: JsonOpt = False) -> None:
    """Replay histories with the current workflow code; fails with the first divergence."""
    _actor(actor)
    source = _Source(reference, every, query, from_file)

    async def go():
        cases = [c async for c in source.cases()]
        return [o async for o in replay_cases(cases, data_converter(source.settings))]

    outcomes = _run(go())
    if as_json:
        print_json([{"workflow_id": o.workflow_id, "run_id": o.run_id, "events": o.events,
                     "faithful": o.faithful, "divergence": o.divergence} for o in outcomes])
    else:
        for o in outcomes:
            verdict = "faithful" if o.faithful else f"DIVERGES: {o.divergence}"
            out.print(f"{o.workflow_id.removeprefix('case-')}  run {o.run_id}  {o.events} events  {verdict}",
                      markup=False, highlight=False)
    diverged = [o for o in outcomes if not o.faithful]
    if not outcomes:
        fail("no history to replay")
    if diverged:
        first = diverged[0]
        fail(f"{len(diverged)} of {len(outcomes)} run(s) do not replay; first: "
             f"{first.workflow_id.removeprefix('case-')} run {first.run_id}: {first.divergence}")


# ---- export and verify --------------------------------------------------------------------------------------


@audit_app.command("export")
def export_cmd(actor: AsOpt, out_dir: Annotated[Path, typer.Option("--out", help="A new or empty directory.")],
               reference: RefArg = None, every: AllOpt = False, query: QueryOpt = None,
               as_json: JsonOpt = False) -> None:
    """Write histories as JSON with a manifest of SHA-256 digests, to hand over as an audit set."""
    who = _actor(actor)
    source = _Source(reference, every, query, None)

    async def go():
        return await export(source.cases(), out_dir, exported_by=str(who), source=source.describes)

    manifest, digest = _run(go())
    cases = len({f.workflow_id for f in manifest.files})
    if as_json:
        print_json({"directory": str(out_dir), "cases": cases, "files": len(manifest.files),
                    "manifest_sha256": digest})
    else:
        out.print(f"exported {cases} case(s), {len(manifest.files)} history file(s) to {out_dir}", markup=False)
        out.print(f"manifest SHA-256: {digest}  (hand it over separately; check with "
                  f"`nrm audit verify {out_dir} --manifest-sha256 {digest}`)", markup=False)


@audit_app.command("verify")
def verify(actor: AsOpt, directory: Annotated[Path, typer.Argument(help="An exported audit set.")],
           manifest_sha256: Annotated[Optional[str], typer.Option(help="The manifest digest handed over with the set.")] = None,
           as_json: JsonOpt = False) -> None:
    """Check an exported set against its manifest: every file present and unaltered, none added."""
    _actor(actor)
    try:
        result = verify_set(directory, manifest_sha256)
    except AuditError as exc:
        fail(str(exc))
    if as_json:
        print_json(result)
    elif result.ok:
        out.print(f"ok: {result.files_checked} file(s) match the manifest (manifest SHA-256 {result.manifest_sha256})",
                  markup=False)
    for problem in result.problems:
        err.print(problem, markup=False, highlight=False)
    if not result.ok:
        fail(f"{directory} does not match its manifest: {len(result.problems)} problem(s), first: {result.problems[0]}")


# ---- timeline -----------------------------------------------------------------------------------------------


@audit_app.command("timeline")
def timeline_cmd(actor: AsOpt, reference: RefArg = None, from_file: FromFileOpt = None,
                 fmt: Annotated[timeline.Format, typer.Option("--format", help="text, json, csv or html.")] = timeline.Format.TEXT,
                 out_file: Annotated[Optional[Path], typer.Option("--out", help="Write to this file instead of stdout.")] = None) -> None:
    """Every decision, timer, reminder, escalation and notification of one case, from its history."""
    who = _actor(actor)
    source = _Source(reference, False, None, from_file)

    async def go():
        cases = [c async for c in source.cases()]
        if len(cases) != 1:
            raise AuditError(f"{from_file} holds {len(cases)} cases; a timeline is of one case")
        events = await decode_case(cases[0], data_converter(source.settings))
        return timeline.build(events, runs=len(cases[0].runs), prepared_by=str(who), prepared_at=_now())

    text = timeline.render(_run(go()), fmt)
    if out_file is not None:
        out_file.write_text(text, encoding="utf-8")
        out.print(f"wrote {out_file}", markup=False)
    else:
        typer.echo(text, nl=False)


# ---- compliance ---------------------------------------------------------------------------------------------


def _delay(value: timedelta | None) -> str:
    return "" if value is None else compliance.human_duration(value)


def _show_compliance(report: compliance.ComplianceReport) -> None:
    for case in report.cases:
        table = Table(title=f"Case {case.reference}  ({case.policy}, {'child' if case.is_child else 'adult'}): "
                            f"{len(case.breaches)} breach(es)", title_justify="left")
        for col in ("deadline", "status", "due (UTC)", "late by", "detail"):
            table.add_column(col)
        for f in case.findings:
            style = "bold red" if f.status is compliance.Status.BREACHED else None
            table.add_row(f.rule, f.status.value, f"{f.due_at:%Y-%m-%d %H:%M:%S}" if f.due_at else "",
                          _delay(f.delay), f.detail, style=style)
        out.print(table)
    totals = Table(title=f"All {len(report.cases)} case(s), as of {report.as_of:%Y-%m-%d %H:%M:%S} UTC: "
                         f"{report.cases_with_breach} with a breach", title_justify="left")
    for col in ("deadline", "met", "breached", "pending", "n/a", "met rate"):
        totals.add_column(col)
    for row in report.totals:
        rate = "" if row.met_rate is None else f"{row.met_rate:.0%}"
        totals.add_row(row.rule, str(row.met), str(row.breached), str(row.pending), str(row.not_applicable), rate)
    out.print(totals)


@audit_app.command("compliance")
def compliance_cmd(actor: AsOpt, reference: RefArg = None, every: AllOpt = False, query: QueryOpt = None,
                   from_file: FromFileOpt = None,
                   as_of: Annotated[Optional[datetime], typer.Option(help="Judge open deadlines as of this UTC time (default now).")] = None,
                   as_json: JsonOpt = False) -> None:
    """Each deadline of every chosen case, met or breached (and by how much), and totals with rates."""
    _actor(actor)
    source = _Source(reference, every, query, from_file)
    when = (as_of if as_of is None or as_of.tzinfo else as_of.replace(tzinfo=UTC)) or _now()

    async def go():
        converter = data_converter(source.settings)
        cases = [compliance.evaluate_history(await decode_case(c, converter), when) async for c in source.cases()]
        return compliance.aggregate(cases, when)

    report = _run(go())
    if as_json:
        print_json(report)
    else:
        _show_compliance(report)


# ---- statistics ---------------------------------------------------------------------------------------------


def _bound(text: str, *, end: bool) -> datetime:
    """A date (the whole day, so `--to` includes it) or an ISO date-time (UTC unless it says otherwise)."""
    try:
        day = date.fromisoformat(text)
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return moment + timedelta(days=1) if end else moment
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{text!r} is not a date (YYYY-MM-DD) or a date-time (YYYY-MM-DDTHH:MM:SS)")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stats_cmd(
    actor: AsOpt,
    period_from: Annotated[str, typer.Option("--from", help="Cases opened from this date (or date-time), UTC.")],
    period_to: Annotated[str, typer.Option("--to", help="Up to and including this date (or before this date-time).")],
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Directory for the CSV files and PNG charts (default ./nrm-stats).")] = None,
    min_cell: Annotated[int, typer.Option(min=1, help="Suppress counts below this many persons.")] = stats.DEFAULT_MIN_CELL,
    query: Annotated[Optional[str], typer.Option(help="Extra visibility clause, e.g. \"NrmJurisdiction = 'osce'\".")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Anonymised statistics of the cases opened in a period: CSV and PNG charts, small cells suppressed."""
    _actor(actor)
    start, end = _bound(period_from, end=False), _bound(period_to, end=True)
    if end <= start:
        fail("--to must not be before --from")
    clauses = [CASE_QUERY, f"StartTime >= '{start.isoformat()}'", f"StartTime < '{end.isoformat()}'"]
    source = _Source(None, True, " AND ".join(clauses + ([f"({query})"] if query else [])), None)
    directory = out_dir or Path("nrm-stats")
    now = _now()

    async def go():
        converter = data_converter(source.settings)
        records = []
        async for case in source.cases():
            facts = case_facts(await decode_case(case, converter))
            if start <= facts.opened_at < end:   # a later run may start in the period; the case did not
                records.append(stats.record(facts, now))
        return stats.tabulate(records, period_from=start, period_to=end, min_cell=min_cell)

    result = _run(go())
    directory.mkdir(parents=True, exist_ok=True)
    files = stats.write_csv(result, directory) + stats.write_charts(result, directory)
    if as_json:
        data = TypeAdapter(stats.Statistics).dump_python(result, mode="json")
        print_json({**data, "files": [str(f) for f in files], "not_covered": stats.NOT_COVERED})
        return
    persons = "fewer than " + str(min_cell) if result.persons is None else str(result.persons)
    out.print(f"{persons} person(s) in cases opened {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC; "
              f"counts under {min_cell} suppressed", markup=False)
    for table in result.tables:
        cells = ", ".join(f"{k} {'<' + str(min_cell) if v is None else v}" for k, v in table.cells.items())
        out.print(f"  {table.dimension}: {cells}", markup=False, highlight=False)
    out.print(f"not covered yet: {stats.NOT_COVERED}", markup=False)
    out.print(f"wrote {len(files)} file(s) to {directory}", markup=False)


app.command("stats")(stats_cmd)
