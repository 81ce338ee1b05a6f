"""How the CLI shows a case and a list of cases to a person (rich tables); `--json` bypasses this."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from domain.case import AgeStatus, LinkKind
from domain.status import CaseStatus
from domain.times import utc as _t

_LINKS = {
    LinkKind.DEPENDENT_OF: "a dependent child's case; the adult's case:",
    LinkKind.DEPENDENT: "dependent child:",
    LinkKind.RETRAFFICKING_OF: "re-trafficking: the person's earlier case",
    LinkKind.REFERRED_AGAIN_IN: "re-trafficking: the person referred again in",
}

if TYPE_CHECKING:  # the listing's module loads with `nrm cases list`, not with every command that shows a case
    from plumbing.visibility import CaseList


def show_holds(console: Console, status: CaseStatus) -> None:
    """Why removal is barred: each hold with its source, and whether it also stops a voluntary departure."""
    if not status.holds:
        console.print("holds: none")
    for h in status.holds:
        also = "; also stops a voluntary departure" if h.blocks_departure else ""
        console.print(f"hold: {h.text} [{h.source}{also}]", markup=False)


def show_case(console: Console, status: CaseStatus) -> None:
    console.print(
        f"[bold]Case {status.reference}[/bold]  stage: [bold]{status.stage.value}[/bold]"
        f"  {'child' if status.is_child else 'adult'}  policy: {status.policy}"
    )
    console.print(
        f"opened {_t(status.opened_at)}   referred {_t(status.referred_at)}"
        f"   removal suspended: {'yes' if status.removal_suspended else 'no'}"
        f"   breaches: {status.breach_count}"
    )
    if status.rr:
        console.print(
            f"R&R period: {_t(status.rr.start)} -> {_t(status.rr.end)}  ({len(status.rr.extensions)} extension(s))"
        )
        for ext in status.rr.extensions:
            who = str(ext.actor) if ext.actor else "automatic"
            console.print(
                f"  extended {_t(ext.at)} by {who}: {_t(ext.previous_end)} -> {_t(ext.new_end)}; {ext.reasons}"
            )
    if status.age_status is not AgeStatus.UNDISPUTED:
        console.print(f"age: {status.age_status.value}")
    if status.missing:
        suspended = f"; case suspended {_t(status.missing.suspended_at)}" if status.missing.suspended_at else ""
        console.print(
            f"[red]missing[/red] since {_t(status.missing.since)} (reported by {status.missing.reported_by}){suspended}"
        )
    if status.closed and status.closures:
        last = status.closures[-1]
        console.print(f"[bold]closed[/bold] {_t(last.at)} by {last.by}: {last.reason.value} {last.note}".rstrip())
    for link in status.links:
        what = _LINKS[link.kind]
        console.print(f"linked: {what} {link.reference} ({_t(link.at)}, {link.by})")
    if status.consent_withdrawals:
        withdrawn = ", ".join(f"{w.purpose.value} ({_t(w.at)})" for w in status.consent_withdrawals)
        console.print(f"consent withdrawn: {withdrawn}")
    if status.golden_day_until:
        console.print(f"Golden Day (intensive supervision) until {_t(status.golden_day_until)}")
    if status.comes_of_age_at:
        came = "came" if status.comes_of_age_at <= status.as_of else "comes"
        support = f"; child-level support until {_t(status.child_support_until)}" if status.child_support_until else ""
        console.print(f"{came} of age {_t(status.comes_of_age_at)} (by the date of birth){support}")
    for challenge in status.challenges:
        console.print(f"pending: {challenge.text} (next: {challenge.waiting_for})")
    show_holds(console, status)
    for p in status.permits:
        ended = f", ended {_t(p.ended_at)} ({p.ended_why})" if p.ended_at else ""
        console.print(
            f"{p.type.value} permit: {_t(p.valid_from)} -> {_t(p.valid_until)} on "
            f"{', '.join(g.value for g in p.grounds)}; {len(p.renewals)} renewal(s){ended}"
        )
    for r in status.returns:
        when = f"; departure planned {_t(r.plan.departure_at)}" if r.plan else ""
        left = f"; departed {_t(r.departed_at)}" if r.departed_at else ""
        ended = f"; {r.ended_why}" if r.ended_why else ""
        console.print(f"voluntary return {r.number}: {r.phase.value}{when}{left}{ended}", markup=False)
    if status.next_deadline:
        nd = status.next_deadline
        console.print(f"next deadline: {nd.kind} due {_t(nd.due_at)} ({nd.state.value})")
    table = Table(title="Obligations and deadlines", title_justify="left")
    for col in ("obligation", "owner", "due", "state", "reminders", "breaches", "done at", "by", "evidence / reason"):
        table.add_column(col)
    for d in status.deadlines:
        table.add_row(
            d.id,
            d.owner_role,
            _t(d.due_at),
            d.state.value,
            str(d.reminders_sent),
            str(d.breaches),
            _t(d.fulfilled_at),
            d.fulfilled_by or "-",
            d.evidence or "-",
        )
    console.print(table)
    if status.assessments:
        done = Table(title="Assessments", title_justify="left")
        for col in ("assessment", "completed", "by", "summary", "next review"):
            done.add_column(col)
        for a in status.assessments:
            done.add_row(a.obligation_id, _t(a.completed_at), str(a.actor), a.summary, _t(a.next_review))
        console.print(done)
    for f in status.delivery_failures:
        escalated = f"escalated to {f.escalated_to.value}" if f.escalated_to else "not escalated"
        console.print(f"[red]undeliverable[/red] {f.what} at {_t(f.at)}: {f.reason} ({escalated})")
    log = Table(title="Decisions", title_justify="left")
    columns = ["when", "act", "outcome", "by", "reasons", "evidence", "informed in"]
    with_views = any(r.child_views for r in status.decisions)
    for col in [*columns, "child's views"] if with_views else columns:
        log.add_column(col)
    for record in status.decisions:
        log.add_row(
            _t(record.at),
            record.act,
            record.outcome,
            str(record.actor),
            record.reasons,
            record.evidence,
            record.informed_in,
            *([record.child_views] if with_views else []),
        )
    console.print(log)


def list_cases(console: Console, rows: CaseList) -> None:
    title = f"{len(rows):,} case(s)" if len(rows) == rows.total else f"{len(rows):,} of {rows.total:,} cases"
    table = Table(title=f"{title}, soonest deadline first", title_justify="left")
    columns = (
        "reference",
        "stage",
        "jurisdiction",
        "child",
        "next deadline",
        "due",
        "breaches",
        "overdue",
        "pending",
        "missing",
    )
    for col in columns:
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.reference,
            r.stage or "-",
            r.jurisdiction or "-",
            "yes" if r.is_child else "no",
            r.next_deadline_kind or "-",
            _t(r.next_deadline),
            str(r.breaches),
            ", ".join(r.overdue) or "-",
            (r.pending or "-").replace("_", " "),
            r.life or "-",
        )
    console.print(table)
