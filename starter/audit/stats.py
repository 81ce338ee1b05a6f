"""Anonymised statistics over many cases (DOMAIN.md section 8), from their histories.

Each case becomes a `CaseRecord` without reference, name, birth date or any date: categories, decision times and
deadline results only. Every count counts persons; those from 1 to `min_cell - 1` are suppressed, and so are as many
more as it takes for no suppressed count to follow from everything the run publishes (`disclosure`). Times to
decisions are given only over at least `min_cell` persons, and per child/adult only when neither group is smaller.
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel

from domain.case import LinkKind
from domain.permit_records import PermitAction
from domain.requests import (
    AgeAssessmentRequest,
    CheckInRequest,
    JudgmentRequest,
    ReturnAssessmentRequest,
    ReviewRequest,
)
from domain.roles import Act as ActName
from starter.audit import disclosure
from starter.audit.compliance import (
    AGE_FINDING,
    DEADLINE_RULES,
    IDENTIFICATION,
    PERMIT_REFUSAL,
    RR_CONTINUITY,
    Challenged,
    Status,
    child_at,
    evaluate,
    permit_acts,
    stage2_track,
)
from starter.audit.facts import Act, CaseFacts

DEFAULT_MIN_CELL = 5
NO_OTHER_CASE = "no other case of the person known"
RETRAFFICKED = "re-trafficked: the person's latest case, earlier ones known"  # one per person referred again
EARLIER_CASE = "an earlier case of a person referred again"
_SEX_AGE = {
    ("female", "adult"): "women",
    ("male", "adult"): "men",
    ("female", "child"): "girls",
    ("male", "child"): "boys",
}


class CaseRecord(BaseModel):
    """One person, anonymised: nothing here identifies them or dates their case."""

    sex: str
    age_group: str
    exploitation_types: list[str]
    border: str
    referred_by: str
    identified_by: str
    stage1_outcome: str
    stage2_outcome: str
    rr_extensions: list[str]  # "manual" / "automatic", one per extension
    reconsideration_outcomes: list[str] = ["not requested"]  # upheld / overturned / pending, one per request
    appeal_outcomes: list[str] = ["not lodged"]  # dismissed / allowed / remitted / pending, one per appeal
    adult_age_findings: list[str] = ["none"]  # each adult age finding after its challenge: not challenged, upheld...
    permit_refusals: list[str] = ["none"]  # each permit refusal after its challenge: not challenged, overturned...
    permits: list[str] = ["none"]  # "<type> granted: <ground>" per ground, "<type> refused", "renewed", ...
    returns: list[str] = ["none"]  # each voluntary return's outcome so far
    sex_age: str = "not stated"  # women, men, girls, boys (the ICMPD guidelines' cross of sex and age, as now)
    age_disputes: list[str] = ["not disputed"]  # child / adult / inconclusive / pending, one per dispute
    missing: str = "never reported missing"  # or "reported missing, found" / "missing now"
    closure: str = "open"  # or the reason it was closed
    retrafficking: str = NO_OTHER_CASE  # or RETRAFFICKED, EARLIER_CASE (domain.links: the same person's cases)
    time_to_stage1: timedelta | None
    time_to_stage2: timedelta | None
    deadlines: dict[str, Status]


def records(cases: Sequence[CaseFacts], as_of: datetime) -> list[CaseRecord]:
    """The records of a set of cases: a case another one of the set names as the person's earlier case is counted
    as such even if it holds no link back (it was closed when the person was referred again)."""
    earlier = {link for facts in cases for link in _links(facts, LinkKind.RETRAFFICKING_OF)}
    return [record(facts, as_of, referred_again=facts.reference in earlier) for facts in cases]


def record(facts: CaseFacts, as_of: datetime, *, referred_again: bool = False) -> CaseRecord:
    referral = facts.opening.referral
    stage1, stage2, referred = facts.stage1, facts.stage2, facts.referred_at
    track = stage2_track(facts, as_of)
    auto = len(track.lapses) if track else 0
    age = "child" if child_at(facts, as_of) else "adult"
    return CaseRecord(
        sex=referral.sex.value,
        age_group=age,
        exploitation_types=[e.value for e in referral.exploitation_types] or ["not stated"],
        border="cross-border" if referral.cross_border else "internal",
        referred_by=facts.opening.opened_by.role.value,
        identified_by=stage1.actor.role.value if stage1 else "no Stage 1 decision yet",
        stage1_outcome=stage1.outcome.value if stage1 else ("pending" if referred else "not referred (no consent)"),
        stage2_outcome=(
            stage2.outcome.value
            if stage2
            else "pending"
            if stage1 and stage1.outcome.value == "positive"
            else "not applicable"
        ),
        rr_extensions=["manual"] * len(facts.extensions) + ["automatic"] * auto,
        reconsideration_outcomes=_outcomes(
            IDENTIFICATION.acts(facts, ActName.REQUEST_RECONSIDERATION),
            IDENTIFICATION.acts(facts, ActName.RECORD_REVIEW),
            ReviewRequest,
            "not requested",
        ),
        appeal_outcomes=_outcomes(
            IDENTIFICATION.acts(facts, ActName.LODGE_APPEAL),
            IDENTIFICATION.acts(facts, ActName.RECORD_JUDGMENT),
            JudgmentRequest,
            "not lodged",
        ),
        adult_age_findings=_after_challenge(facts, AGE_FINDING),
        permit_refusals=_after_challenge(facts, PERMIT_REFUSAL),
        permits=_permits(facts, as_of),
        returns=_returns(facts),
        sex_age=_SEX_AGE.get((referral.sex.value, age), f"{referral.sex.value} {age}"),
        age_disputes=_outcomes(
            facts.acts_named(ActName.DISPUTE_AGE),
            facts.acts_named(ActName.RECORD_AGE_ASSESSMENT),
            AgeAssessmentRequest,
            "not disputed",
        ),
        missing=_missing(facts),
        closure=_closure(facts),
        retrafficking=_retrafficking(facts, referred_again),
        time_to_stage1=stage1.at - referred if stage1 and referred else None,
        time_to_stage2=stage2.at - stage1.at if stage2 and stage1 else None,
        deadlines={f.rule: f.status for f in evaluate(facts, as_of).findings},
    )


def _missing(facts: CaseFacts) -> str:
    reported, found = (len(facts.acts_named(a)) for a in (ActName.REPORT_MISSING, ActName.REPORT_FOUND))
    if not reported:
        return "never reported missing"
    return "missing now" if reported > found else "reported missing, found"


def _links(facts: CaseFacts, kind: LinkKind) -> list[str]:
    return [str(a.request["reference"]) for a in facts.acts_named(ActName.LINK_CASE) if a.request["kind"] == kind]


def _retrafficking(facts: CaseFacts, referred_again: bool) -> str:
    """Each person referred again is counted once, by their latest case: the persons with more than one case."""
    if referred_again or _links(facts, LinkKind.REFERRED_AGAIN_IN):
        return EARLIER_CASE
    return RETRAFFICKED if _links(facts, LinkKind.RETRAFFICKING_OF) else NO_OTHER_CASE


def _closure(facts: CaseFacts) -> str:
    """Why the case was closed (a closing ends its run: nothing follows it in the history read), else open."""
    closings = facts.acts_named(ActName.CLOSE_CASE)
    return str(closings[-1].request["reason"]) if closings else "open"


def _outcomes(
    asked: list[Act],
    decided: list[Act],
    request: type[ReviewRequest] | type[JudgmentRequest] | type[AgeAssessmentRequest],
    none: str,
) -> list[str]:
    """The outcome of each request (a reconsideration, an appeal), "pending" while one awaits its decision."""
    outcomes = [request.model_validate(a.request).outcome.value for a in decided]
    pending = len(asked) - len(outcomes)
    return outcomes + ["pending"] * max(pending, 0) or [none]


_AFTER_CHALLENGE = {
    "overturned": "overturned",
    "allowed": "overturned",
    "upheld": "upheld",
    "dismissed": "upheld",
    "remitted": "remitted",
}


def _after_challenge(facts: CaseFacts, of: Challenged) -> list[str]:
    """Each decision of `of` (an adult age finding, a permit refusal) as its challenge left it: not challenged, or
    challenged and pending, upheld, overturned or remitted (the latest review or judgment on it)."""
    issued = [at for at, _ in of.issued(facts)]
    found: list[str] = []
    for n, at in enumerate(issued):
        until = issued[n + 1] if n + 1 < len(issued) else None

        def between(name: ActName, at: datetime = at, until: datetime | None = until) -> list[Act]:
            return [a for a in of.acts(facts, name) if a.at >= at and (until is None or a.at < until)]

        asked = between(ActName.REQUEST_RECONSIDERATION) + between(ActName.LODGE_APPEAL)
        decided = sorted(between(ActName.RECORD_REVIEW) + between(ActName.RECORD_JUDGMENT), key=lambda a: a.at)
        if not asked:
            found.append("not challenged")
        elif len(decided) < len(asked):
            found.append("challenged: pending")
        else:
            found.append(f"challenged: {_AFTER_CHALLENGE[str(decided[-1].request['outcome'])]}")
    return found or ["none"]


def _permits(facts: CaseFacts, as_of: datetime) -> list[str]:
    """Each permit decision of the case: the grounds of each grant, refusals, renewals and refused renewals."""
    found: list[str] = []
    for act in permit_acts(facts, as_of):
        action = act.request.action
        if act.decides is not None and action is PermitAction.GRANT:
            found += [f"{act.decides.value} granted: {g.value}" for g in act.request.grounds]
        elif act.decides is not None:
            found.append(f"{act.decides.value} refused")
        else:
            found.append("renewed" if action is PermitAction.RENEW else "renewal refused")
    return found or ["none"]


def _returns(facts: CaseFacts) -> list[str]:
    """Each voluntary return's outcome: back to protection (a risk found), departed (and a re-trafficking indicator
    seen at a check-in after it), or in progress."""
    requests = facts.acts_named(ActName.REQUEST_RETURN)
    found: list[str] = []
    for n, asked in enumerate(requests):
        until = requests[n + 1].at if n + 1 < len(requests) else None
        assessed = facts.acts_between(ActName.ASSESS_RETURN, asked.at, until)
        if any(ReturnAssessmentRequest.model_validate(a.request).risk_found for a in assessed):
            found.append("back to protection (risk found)")
        elif departed := facts.acts_between(ActName.RECORD_DEPARTURE, asked.at, until):
            seen = any(
                CheckInRequest.model_validate(a.request).retrafficking
                for a in facts.acts_between(ActName.RECORD_CHECK_IN, departed[0].at, until)
            )
            found.append("departed; re-trafficking indicator after return" if seen else "departed")
        else:
            found.append("in progress")
    return found or ["none"]


@dataclass
class Table:
    """Persons per category of one dimension; None marks a suppressed cell."""

    dimension: str
    cells: dict[str, int | None]


@dataclass
class DecisionTimes:
    decision: str
    group: str
    persons: int | None
    median_days: float | None
    p90_days: float | None


@dataclass
class DeadlineRow:
    rule: str
    population: str  # whom the row counts: rows count different persons
    cells: dict[str, int | None]

    @property
    def met_rate(self) -> float | None:
        met, breached = self.cells.get("met"), self.cells.get("breached")
        if met is None or breached is None or met + breached == 0:
            return None
        return met / (met + breached)


@dataclass
class Statistics:
    period_from: datetime
    period_to: datetime
    min_cell: int
    persons: int | None
    tables: list[Table] = field(default_factory=list)
    times: list[DecisionTimes] = field(default_factory=list)
    deadlines: list[DeadlineRow] = field(default_factory=list)


_DIMENSIONS = (
    "sex",
    "age_group",
    "sex_age",
    "age_disputes",
    "missing",
    "closure",
    "retrafficking",
    "exploitation_types",
    "border",
    "referred_by",
    "identified_by",
    "stage1_outcome",
    "stage2_outcome",
    "rr_extensions",
    "reconsideration_outcomes",
    "appeal_outcomes",
    "adult_age_findings",
    "permit_refusals",
    "permits",
    "returns",
)
_DECISIONS = (("stage1 (from referral)", "time_to_stage1"), ("stage2 (from stage1)", "time_to_stage2"))
_EVERY_CASE = {rule.name for rule in DEADLINE_RULES} | {RR_CONTINUITY}


def population(rule: str) -> str:
    """Whom a deadline row counts: rows differ, so their totals differ and must not be read as the same persons."""
    if rule == "provisions":
        return "persons whose case owed no provision (all not applicable)"
    if rule == "final_negative_support":
        return "persons whose negative decision was not final (all not applicable)"
    if rule == "remitted_decision":
        return "persons whose case no court remitted (all not applicable)"
    if rule == "permits":
        return "persons whose case owed no permit (all not applicable)"
    if rule in _EVERY_CASE:
        return "all persons (not applicable: the deadline never started in their case)"
    base, _, check = rule.rpartition(".")
    if check in ("reminders", "escalation"):
        return f"persons whose case had the {base} deadline ({check} owed for it)"
    return "persons whose case had this deadline"


def _days(values: list[timedelta]) -> tuple[float, float]:
    days = sorted(v.total_seconds() / 86400 for v in values)
    p90 = statistics.quantiles(days, n=10, method="inclusive")[8] if len(days) > 1 else days[0]
    return statistics.median(days), p90


def _members(records: list[CaseRecord]) -> dict[tuple[str, ...], list[int]]:
    """Every count one run publishes, as the persons (record indices) it counts."""
    members: dict[tuple[str, ...], list[int]] = {("all", "persons"): list(range(len(records)))}
    for dim in _DIMENSIONS:
        cells: dict[str, list[int]] = {}
        for i, r in enumerate(records):
            value = getattr(r, dim)
            for category in sorted(set(value) if isinstance(value, list) else [value]):
                cells.setdefault(category, []).append(i)
        if dim == "rr_extensions":
            cells["none"] = [i for i, r in enumerate(records) if not r.rr_extensions]
        members |= {(dim, category): cells[category] for category in sorted(cells)}
    for decision, attr in _DECISIONS:
        for group in ("all", "adult", "child"):
            members[("times", decision, group)] = [
                i for i, r in enumerate(records) if getattr(r, attr) is not None and group in ("all", r.age_group)
            ]
    for rule in dict.fromkeys(rule for r in records for rule in r.deadlines):
        for status in Status:
            members[("deadline", rule, status.value)] = [
                i for i, r in enumerate(records) if r.deadlines.get(rule) is status
            ]
    return members


def tabulate(
    records: list[CaseRecord], *, period_from: datetime, period_to: datetime, min_cell: int = DEFAULT_MIN_CELL
) -> Statistics:
    members = _members(records)
    hidden = disclosure.plan(members, min_cell)

    def count(*key: str) -> int | None:
        return None if key in hidden else len(members[key])

    result = Statistics(period_from, period_to, min_cell, count("all", "persons"))
    for dim in _DIMENSIONS:
        result.tables.append(Table(dim, {key[1]: count(*key) for key in members if key[0] == dim}))
    for decision, attr in _DECISIONS:
        sizes = {group: len(members[("times", decision, group)]) for group in ("adult", "child")}
        split = all(n == 0 or n >= min_cell for n in sizes.values())  # else all minus one group isolates a few
        for group in ("all", "adult", "child"):
            persons = count("times", decision, group)
            values = [getattr(records[i], attr) for i in members[("times", decision, group)]]
            timed = persons is not None and persons >= min_cell and (group == "all" or split)
            result.times.append(DecisionTimes(decision, group, persons, *(_days(values) if timed else (None, None))))
    for rule in dict.fromkeys(key[1] for key in members if key[0] == "deadline"):
        result.deadlines.append(
            DeadlineRow(rule, population(rule), {s.value: count("deadline", rule, s.value) for s in Status})
        )
    return result


# ---- output -----------------------------------------------------------------------------------------------


def _cell(value: int | None, min_cell: int) -> str:
    return f"<{min_cell}" if value is None else str(value)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def write_csv(stats: Statistics, directory: Path) -> list[Path]:
    k = stats.min_cell
    counts, times, deadlines = directory / "counts.csv", directory / "decision_times.csv", directory / "deadlines.csv"
    with counts.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["dimension", "category", "persons"])
        w.writerow(["all", "persons", _cell(stats.persons, k)])
        for table in stats.tables:
            w.writerows([table.dimension, cat, _cell(v, k)] for cat, v in table.cells.items())
    with times.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["decision", "group", "persons", "median_days", "p90_days"])
        w.writerows(
            [t.decision, t.group, _cell(t.persons, k), _num(t.median_days), _num(t.p90_days)] for t in stats.times
        )
    with deadlines.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        statuses = [s.value for s in Status]
        w.writerow(["deadline", "population", *statuses, "met_rate"])
        w.writerows(
            [row.rule, row.population, *(_cell(row.cells[s], k) for s in statuses), _num(row.met_rate)]
            for row in stats.deadlines
        )
    return [counts, times, deadlines]


def _bar(path: Path, title: str, labels: list[str], values: Sequence[float], xlabel: str) -> Path:
    # imported here: matplotlib costs about a second to import, and every `nrm` command imports this module
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 0.45 * max(len(labels), 3) + 1.2))
    FigureCanvasAgg(fig)  # the Agg renderer: files only, no display, no global pyplot state
    ax = fig.subplots()
    ax.barh(labels, values, color="#3b6ea8")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def write_charts(stats: Statistics, directory: Path) -> list[Path]:
    """One bar chart per table; suppressed cells are named in the labels, without a bar."""
    k = stats.min_cell
    paths = []
    for table in stats.tables:
        labels = [c if v is not None else f"{c} (<{k}, suppressed)" for c, v in table.cells.items()]
        values = [v or 0 for v in table.cells.values()]
        paths.append(
            _bar(
                directory / f"chart_{table.dimension}.png",
                f"Persons by {table.dimension.replace('_', ' ')}",
                labels,
                values,
                "persons",
            )
        )
    rated = [(row.rule, row.met_rate) for row in stats.deadlines]
    paths.append(
        _bar(
            directory / "chart_deadlines_met.png",
            "Deadlines met (share of those decided)",
            [r if v is not None else f"{r} (suppressed or none)" for r, v in rated],
            [100 * (v or 0) for _, v in rated],
            "% met",
        )
    )
    timed = [t for t in stats.times if t.group == "all"]
    paths.append(
        _bar(
            directory / "chart_decision_times.png",
            "Median days to each decision",
            [t.decision if t.median_days is not None else f"{t.decision} (<{k}, suppressed)" for t in timed],
            [t.median_days or 0 for t in timed],
            "days (median)",
        )
    )
    return paths
