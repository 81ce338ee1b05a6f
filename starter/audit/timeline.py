"""A case's timeline for auditors: every act, timer, notification and fault, from the history events alone.

Acts show who (id and role), when, the outcome, the written reasons and the evidence summary. Personal data of the
person (name, birth date, nationality, address) and notification bodies are never shown. Refused acts are absent
by design, and every format says so.
"""

from __future__ import annotations

import csv
import enum
import io
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader
from pydantic import BaseModel

from domain.case import ChallengeSubject
from domain.roles import Act
from domain.times import utc_seconds
from starter.audit.history import (
    ActAccepted,
    ActCompleted,
    ActivityOutcome,
    ActivityScheduled,
    AuditEvent,
    CaseOpened,
    DeadlinesPublished,
    RunEnded,
    TaskFailed,
    TimerEvent,
)

REFUSED_NOTE = (
    "Acts that the case refused (a role without the right, a wrong stage, missing reasons, dates in the "
    "wrong order) are absent by design: a refused act is rejected before it reaches the history, changes "
    "nothing, and only the person who tried it saw the error."
)
PRIVACY_NOTE = (
    "The person's name, date of birth, nationality and address, and the bodies of notifications, are "
    "not shown: notifications are listed by kind, deadline and recipient role."
)
SOURCE_NOTE = "Built from the case's workflow history events alone, not from the running case. Times are UTC."


class Format(str, enum.Enum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"
    HTML = "html"


class Entry(BaseModel):
    at: datetime
    event: str
    actor: str = ""  # ROLE:ID of the person who acted; empty for what the case did by itself
    summary: str = ""
    reasons: str = ""
    evidence: str = ""


class Timeline(BaseModel):
    reference: str
    policy: str
    policy_sha256: str
    jurisdiction: str
    child: bool
    opened_at: datetime
    runs: int
    prepared_at: datetime
    prepared_by: str
    notes: list[str]
    entries: list[Entry]


_ACT_TITLES = {
    Act.STAGE1_DECISION.value: "Stage 1 decision",
    Act.STAGE2_DECISION.value: "Stage 2 decision",
    Act.RECORD_CONSENT.value: "consent to referral recorded",
    Act.EXTEND_RR.value: "R&R period extended",
    Act.PROVIDE.value: "provision recorded",
    Act.RECORD_ASSESSMENT.value: "assessment recorded",
    Act.PERMIT_DECISION.value: "permit decision",
    Act.REQUEST_RETURN.value: "voluntary return requested by the person",
    Act.ASSESS_RETURN.value: "pre-return risk assessment recorded",
    Act.PLAN_RETURN.value: "return planned",
    Act.RECORD_DEPARTURE.value: "departure recorded",
    Act.RECORD_CHECK_IN.value: "reintegration check-in recorded",
    Act.RECORD_RECEPTION.value: "reception after the return recorded",
    Act.RECORD_PROCEEDING.value: "claim or proceedings recorded",
    Act.DISPUTE_AGE.value: "age disputed: treated as a child",
    Act.RECORD_AGE_ASSESSMENT.value: "age assessment recorded",
    Act.REPORT_MISSING.value: "reported missing",
    Act.REPORT_FOUND.value: "reported found",
    Act.WITHDRAW_CONSENT.value: "consent withdrawn",
    Act.CLOSE_CASE.value: "case closed",
    Act.LINK_CASE.value: "case linked",
    Act.REOPEN_CASE.value: "case re-opened",
}


def _words(kind: str) -> str:
    return kind.replace("_", " ")


def _opened(event: CaseOpened) -> Entry:
    request = event.request
    if request.state is not None and request.state.is_closed:  # a run started for a re-opening (its first act)
        return Entry(
            at=event.at,
            event="new run of the closed case",
            summary="started with the closed case's state to take a re-opening; refused, the run ends at once and "
            "the case stays closed",
        )
    if event.continued:
        return Entry(at=event.at, event="history continues", summary="a new run carries the case on (continue-as-new)")
    referral, policy = request.referral, request.policy
    stage1 = policy.stage1.due_child if referral.is_child else policy.stage1.due_adult
    entry = (
        "referred to the NRM; Stage 1 due " + utc_seconds(event.at + stage1)
        if referral.enters_nrm
        else "outside the NRM: the adult did not consent to referral (the case stays open for later entry)"
    )
    kinds = ", ".join(e.value for e in referral.exploitation_types) or "not stated"
    return Entry(
        at=event.at,
        event="case opened",
        actor=str(request.opened_by),
        summary=f"{'child' if referral.is_child else 'adult'}; "
        f"{'cross-border' if referral.cross_border else 'internal'}; exploitation: {kinds}; "
        f"policy {policy.label} ({policy.jurisdiction}); {entry}",
    )


def _act(accepted: ActAccepted, completed: ActCompleted | None) -> Entry:
    request = accepted.request
    actor = request.get("actor") or {}
    title = _ACT_TITLES.get(accepted.name, _words(accepted.name))
    parts: list[str] = [_words(str(request["kind"]))] if request.get("kind") else []
    if request.get("of"):  # a challenge act: what it challenges
        parts.append(f"of {ChallengeSubject(request['of']).decision}")
    if "outcome" in request:
        parts.append(f"outcome {request['outcome']}")
    if accepted.name == Act.CLOSE_CASE.value:
        parts.append(f"reason {_words(str(request.get('reason')))}")
    if request.get("purposes"):
        parts.append("for " + ", ".join(_words(str(p)) for p in request["purposes"]))
    if request.get("when"):
        parts.append(f"done {utc_seconds(request['when'])}")
    if request.get("not_needed_reason"):
        parts.append("not needed")
    assessment = request.get("result") or {}
    if assessment:  # its summary may describe the person: only the times and the document's reference
        done_at, review = assessment.get("completed_at"), assessment.get("next_review")
        parts.append(f"completed {utc_seconds(done_at)}; next review by {utc_seconds(review)}")
        if assessment.get("document"):
            parts.append(f"document {assessment['document']}")
    if request.get("action"):  # a permit decision: its document's number stays in the case, not in the timeline
        parts.append(" ".join(filter(None, [request["action"], request.get("permit") or ""])))
        if request.get("valid_until"):
            parts.append(f"valid until {utc_seconds(request['valid_until'])}")
    if "risk_found" in request:  # a pre-return risk assessment
        parts.append("risk found: no return" if request["risk_found"] else "no risk found")
    if request.get("departure_at"):
        parts.append(f"departure planned {utc_seconds(request['departure_at'])}")
    if request.get("retrafficking"):
        parts.append("re-trafficking indicator: protection re-opens")
    if request.get("informed_in"):
        parts.append(f"person informed in {request['informed_in']}")
    result = completed.result if completed and isinstance(completed.result, dict) else {}
    if completed is None:
        parts.append("accepted, not completed when the history ends")
    elif completed.failed:
        parts.append("failed after acceptance: nothing changed")
    else:
        if result.get("stage"):
            parts.append(f"stage now {result['stage']}")
        rr = result.get("rr") or {}
        if rr.get("end") and accepted.name in (Act.STAGE1_DECISION.value, Act.EXTEND_RR.value):
            parts.append(f"R&R period {utc_seconds(rr.get('start'))} to {utc_seconds(rr['end'])}")
    return Entry(
        at=accepted.at,
        event=title,
        actor=f"{actor.get('role', '?')}:{actor.get('id', '?')}",
        summary="; ".join(parts),
        reasons=str(request.get("reasons") or request.get("note") or request.get("not_needed_reason") or ""),
        evidence=str(request.get("evidence") or ""),
    )


_MAJORITY = {
    "transition-plan": "transition plan owed",
    "coming-of-age": "came of age: adult for new obligations",
    "support-end": "child-level support ended",
}


def _alarm(event: TimerEvent) -> Entry:
    """The case's one alarm: set for its nearest wakeup, rung, or moved because that wakeup changed."""
    name, purpose = _words(event.obligation) or "a timer", event.purpose
    if event.what == "started":
        return Entry(
            at=event.at, event="alarm set", summary=f"{name} {purpose} at {utc_seconds(event.fires_at)} (durable timer)"
        )
    if event.what == "fired":
        if purpose == "due":
            return Entry(
                at=event.at,
                event="deadline passed",
                summary=f"{name} was due {utc_seconds(event.fires_at)} and is still open: breach recorded",
            )
        if purpose == "suspension":  # domain.alarms.MISSING
            return Entry(
                at=event.at, event="case suspended", summary="the adult is still missing after the policy's period"
            )
        if purpose in _MAJORITY:  # domain.alarms.MAJORITY
            return Entry(at=event.at, event=_MAJORITY[purpose], summary="by the date of birth and the policy's ages")
        return Entry(at=event.at, event="reminder time reached", summary=name)
    return Entry(
        at=event.at,
        event="alarm moved",
        summary=f"{name} {purpose} at {utc_seconds(event.fires_at)}: the duty was done or its time moved",
    )


def _deadlines(event: DeadlinesPublished, before: set[tuple[str, datetime]]) -> list[Entry]:
    """A deadline the case newly published: set, or moved (after it passed: for Stage 2, the R&R extended)."""
    entries: list[Entry] = []
    for kind, due in event.deadlines:
        if (kind, due) in before:
            continue
        earlier = [d for k, d in before if k == kind]
        name, when = _words(kind), utc_seconds(due)
        if any(d <= event.at for d in earlier):
            entries.append(
                Entry(
                    at=event.at,
                    event="deadline moved after it passed",
                    summary=f"{name} now due {when} (for Stage 2: the R&R period extended automatically, removal "
                    "stays suspended)",
                )
            )
        else:
            what = "deadline moved" if earlier else "deadline set"
            entries.append(Entry(at=event.at, event=what, summary=f"{name} due at {when}"))
    return entries


def _recipients(value: Any) -> str:
    """Recipient roles only: the personal addresses a letter may go to are counted, never shown."""
    if isinstance(value, dict):
        roles, addresses = value.get("roles", []), len(value.get("addresses", []))
    else:
        roles, addresses = value or [], 0
    shown = [str(r) for r in roles] + ([f"{addresses} personal address(es), not shown"] if addresses else [])
    return ", ".join(shown) or "nobody named"


def _what(message: dict[str, Any]) -> str:
    return str(message.get("template") or message.get("kind") or "activity")


_CASE_EVENTS = {
    "suspended": "case suspended",
    "came_of_age": "the person came of age",
    "child_support_ended": "child-level support ended",
}


def _notification(event: ActivityScheduled) -> Entry:
    """A notification by its kind, subject, due time, language and recipient roles: never its body."""
    message = event.input
    if not (message.get("template") or message.get("kind")):
        return Entry(at=event.at, event="activity scheduled", summary=event.activity)
    subject = message.get("obligation_kind") or (message.get("kind") if message.get("template") else None)
    parts = [_words(str(subject))] if subject else []
    if message.get("event"):  # a case event (domain.lifecycle): missing, found, suspended
        parts.append(_CASE_EVENTS.get(message["event"], f"the person {message['event']}"))
    if message.get("stage"):
        parts.append(f"Stage {message['stage']} {message.get('outcome', '')}".strip())
    if message.get("due_at"):
        parts.append(f"due {utc_seconds(message['due_at'])}")
    if message.get("language"):
        parts.append(f"in {message['language']}")
    parts += [f"to {_recipients(message.get('recipients'))}", f"via {event.activity}"]
    return Entry(at=event.at, event=f"{_words(_what(message))} scheduled", summary="; ".join(parts))


def build(events: list[AuditEvent], *, runs: int, prepared_by: str, prepared_at: datetime) -> Timeline:
    entries: list[Entry] = []
    accepted: dict[str, ActAccepted] = {}
    done: set[str] = set()
    scheduled: dict[int, ActivityScheduled] = {}
    published: set[tuple[str, datetime]] = set()
    first: CaseOpened | None = None
    for event in events:
        match event:
            case CaseOpened():
                first = first or event
                entries.append(_opened(event))
            case ActAccepted():
                accepted[event.update_id] = event
            case ActCompleted() if event.update_id in accepted:
                done.add(event.update_id)
                entries.append(_act(accepted[event.update_id], event))
            case TimerEvent():
                entries.append(_alarm(event))
            case DeadlinesPublished():
                entries += _deadlines(event, published)
                published = set(event.deadlines)
            case ActivityScheduled():
                scheduled[event.scheduled_id] = event
                entries.append(_notification(event))
            case ActivityOutcome():
                origin = scheduled.get(event.scheduled_id)
                what = _words(_what(origin.input)) if origin else "activity"
                success = "completed" if what == "activity" else "delivered"
                entries.append(
                    Entry(
                        at=event.at,
                        event=f"{what} {success if event.delivered else event.how}",
                        summary=origin.activity if origin else "",
                    )
                )
            case TaskFailed():
                entries.append(
                    Entry(
                        at=event.at,
                        event="software fault",
                        summary=f"a workflow task failed ({event.cause}); the case retries it",
                    )
                )
            case RunEnded():
                entries.append(Entry(at=event.at, event="run ended", summary=event.how))
    entries += [_act(a, None) for uid, a in accepted.items() if uid not in done]
    if first is None:
        raise ValueError("the history has no start event")
    entries.sort(key=lambda e: e.at)
    policy = first.request.policy
    return Timeline(
        reference=first.request.reference,
        policy=policy.label,
        policy_sha256=policy.source_sha256,
        jurisdiction=policy.jurisdiction,
        child=first.request.referral.is_child,
        opened_at=first.at,
        runs=runs,
        prepared_at=prepared_at,
        prepared_by=prepared_by,
        notes=[SOURCE_NOTE, REFUSED_NOTE, PRIVACY_NOTE],
        entries=entries,
    )


# ---- formats ----------------------------------------------------------------------------------------------


def _text(tl: Timeline) -> str:
    lines = [
        f"Timeline of case {tl.reference}",
        f"policy {tl.policy} (sha256 {tl.policy_sha256[:16]}...), jurisdiction {tl.jurisdiction}, "
        f"{'child' if tl.child else 'adult'}, opened {utc_seconds(tl.opened_at)} UTC, {tl.runs} run(s)",
        f"prepared {utc_seconds(tl.prepared_at)} UTC by {tl.prepared_by}",
        "",
    ]
    lines += [f"NOTE: {n}" for n in tl.notes] + [""]
    for e in tl.entries:
        who = f" [{e.actor}]" if e.actor else ""
        lines.append(f"{utc_seconds(e.at)}  {e.event}{who}: {e.summary}".rstrip(": "))
        if e.reasons:
            lines.append(f"{'':21}reasons: {e.reasons}")
        if e.evidence:
            lines.append(f"{'':21}evidence: {e.evidence}")
    return "\n".join(lines) + "\n"


def _csv(tl: Timeline) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = ["at", "event", "actor", "summary", "reasons", "evidence"]
    writer.writerow(columns)
    for note in tl.notes:
        writer.writerow(["", "note", "", note, "", ""])
    for e in tl.entries:
        row: dict[str, Any] = e.model_dump()
        row["at"] = e.at.isoformat()
        writer.writerow([row[c] for c in columns])
    return buffer.getvalue()


def _html(tl: Timeline) -> str:
    env = Environment(loader=PackageLoader("starter.audit", "templates"), autoescape=True)
    env.filters["t"] = utc_seconds
    return env.get_template("timeline.html").render(tl=tl)


def render(tl: Timeline, fmt: Format) -> str:
    if fmt is Format.JSON:
        return tl.model_dump_json(indent=2) + "\n"
    return {Format.TEXT: _text, Format.CSV: _csv, Format.HTML: _html}[fmt](tl)
