"""`nrm audit ...`: what auditors run. Every command only reads (any role may run it, an auditor too) and records
who prepared its output. Everything comes from the history events, never from the running case."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from domain.times import as_utc, measured, utc_seconds
from plumbing.connection import data_converter
from starter.audit import compliance, timeline
from starter.audit.export import export
from starter.audit.history import CASE_QUERY, AuditError, decode_case
from starter.audit.manifest import verify as verify_set
from starter.audit.replay import replay as replay_cases
from starter.cli.common import AsOpt, JsonOpt, actor, note, out, print_json, runs
from starter.cli.histories import Source, now
from starter.errors import BadInput, CheckFailed

app = typer.Typer(
    help="Auditors: replay, export and verify histories; timelines; deadline compliance.", no_args_is_help=True
)

RefArg = Annotated[str | None, typer.Argument(help="Case reference, NRM-XXXX-XXXX.", show_default=False)]
AllOpt = Annotated[bool, typer.Option("--all", help="Every case (or those --query finds).")]
QueryOpt = Annotated[str | None, typer.Option(help=f"Visibility query for --all (default: {CASE_QUERY}).")]
FromFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--from-file", help="A history JSON file or an exported directory, instead of the server (no server needed)."
    ),
]


@app.command("replay")
@runs
async def replay(
    actor_: AsOpt,
    reference: RefArg = None,
    every: AllOpt = False,
    query: QueryOpt = None,
    from_file: FromFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Replay histories with the current workflow code; fails with the first divergence."""
    actor(actor_)
    source = Source(reference, every, query, from_file)
    # streamed: one history at a time in memory, however many cases
    outcomes = [o async for o in replay_cases(source.cases("replaying"), data_converter(source.settings))]
    if not outcomes:
        raise BadInput("no history to replay")
    if as_json:
        print_json(
            [
                {
                    "workflow_id": o.workflow_id,
                    "run_id": o.run_id,
                    "events": o.events,
                    "faithful": o.faithful,
                    "divergence": o.divergence,
                }
                for o in outcomes
            ]
        )
    else:
        for o in outcomes:
            verdict = "faithful" if o.faithful else f"DIVERGES: {o.divergence}"
            out.print(
                f"{o.workflow_id.removeprefix('case-')}  run {o.run_id}  {o.events} events  {verdict}",
                markup=False,
                highlight=False,
            )
    diverged = [o for o in outcomes if not o.faithful]
    if diverged:
        first = diverged[0]
        raise CheckFailed(
            f"{len(diverged)} of {len(outcomes)} run(s) do not replay; first: "
            f"{first.workflow_id.removeprefix('case-')} run {first.run_id}: {first.divergence}"
        )


@app.command("export")
@runs
async def export_cmd(
    actor_: AsOpt,
    out_dir: Annotated[Path, typer.Option("--out", help="A new or empty directory.")],
    reference: RefArg = None,
    every: AllOpt = False,
    query: QueryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write histories as JSON with a manifest of SHA-256 digests, to hand over as an audit set."""
    who = actor(actor_)
    source = Source(reference, every, query, None)
    manifest, digest = await export(source.cases(), out_dir, exported_by=str(who), source=source.describes)
    cases = len({f.workflow_id for f in manifest.files})
    if as_json:
        print_json({"directory": str(out_dir), "cases": cases, "files": len(manifest.files), "manifest_sha256": digest})
    else:
        out.print(f"exported {cases} case(s), {len(manifest.files)} history file(s) to {out_dir}", markup=False)
        out.print(
            f"manifest SHA-256: {digest}  (hand it over separately; check with "
            f"`nrm audit verify {out_dir} --manifest-sha256 {digest}`)",
            markup=False,
        )


@app.command("verify")
@runs
def verify(
    actor_: AsOpt,
    directory: Annotated[Path, typer.Argument(help="An exported audit set.")],
    manifest_sha256: Annotated[str | None, typer.Option(help="The manifest digest handed over with the set.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check an exported set against its manifest: every file present and unaltered, none added."""
    actor(actor_)
    result = verify_set(directory, manifest_sha256)
    if as_json:
        print_json(result)
    elif result.ok:
        out.print(
            f"ok: {result.files_checked} file(s) match the manifest (manifest SHA-256 {result.manifest_sha256})",
            markup=False,
        )
    for problem in result.problems:
        note(problem)
    if not result.ok:
        raise CheckFailed(
            f"{directory} does not match its manifest: {len(result.problems)} problem(s), first: {result.problems[0]}"
        )


@app.command("timeline")
@runs
async def timeline_cmd(
    actor_: AsOpt,
    reference: RefArg = None,
    from_file: FromFileOpt = None,
    fmt: Annotated[timeline.Format, typer.Option("--format", help="text, json, csv or html.")] = timeline.Format.TEXT,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Every decision, timer, reminder, escalation and notification of one case, from its history."""
    who = actor(actor_)
    source = Source(reference, False, None, from_file)
    cases = [c async for c in source.cases()]
    if len(cases) != 1:
        raise AuditError(f"{from_file} holds {len(cases)} cases; a timeline is of one case")
    events = await decode_case(cases[0], data_converter(source.settings))
    built = timeline.build(events, runs=len(cases[0].runs), prepared_by=str(who), prepared_at=now())
    text = timeline.render(built, timeline.Format.JSON if as_json else fmt)
    if out_file is not None:
        out_file.write_text(text, encoding="utf-8")
        out.print(f"wrote {out_file}", markup=False)
    else:
        typer.echo(text, nl=False)


def _show_compliance(report: compliance.ComplianceReport) -> None:
    for case in report.cases:
        table = Table(
            title=f"Case {case.reference}  ({case.policy}, {'child' if case.is_child else 'adult'}): "
            f"{len(case.breaches)} breach(es)",
            title_justify="left",
        )
        for col in ("deadline", "status", "due (UTC)", "late by", "detail"):
            table.add_column(col)
        for f in case.findings:
            style = "bold red" if f.status is compliance.Status.BREACHED else None
            table.add_row(
                f.rule,
                f.status.value,
                utc_seconds(f.due_at) if f.due_at else "",
                "" if f.delay is None else measured(f.delay),
                f.detail,
                style=style,
            )
        out.print(table)
    totals = Table(
        title=f"All {len(report.cases)} case(s), as of {utc_seconds(report.as_of)} UTC: "
        f"{report.cases_with_breach} with a breach",
        title_justify="left",
    )
    for col in ("deadline", "met", "breached", "pending", "n/a", "met rate"):
        totals.add_column(col)
    for row in report.totals:
        rate = "" if row.met_rate is None else f"{row.met_rate:.0%}"
        totals.add_row(row.rule, str(row.met), str(row.breached), str(row.pending), str(row.not_applicable), rate)
    out.print(totals)


@app.command("compliance")
@runs
async def compliance_cmd(
    actor_: AsOpt,
    reference: RefArg = None,
    every: AllOpt = False,
    query: QueryOpt = None,
    from_file: FromFileOpt = None,
    as_of: Annotated[
        datetime | None, typer.Option(help="Judge open deadlines as of this UTC time (default now).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Each deadline of every chosen case, met or breached (and by how much), and totals with rates."""
    actor(actor_)
    source = Source(reference, every, query, from_file)
    when = as_utc(as_of) if as_of else now()
    converter = data_converter(source.settings)
    cases = [compliance.evaluate_history(await decode_case(c, converter), when) async for c in source.cases()]
    report = compliance.aggregate(cases, when)
    if as_json:
        print_json(report)
    else:
        _show_compliance(report)
