"""Acts in bulk, for scripts: a file of acts (JSON Lines, `nrm batch`) or of referrals (CSV, `nrm case open
--from-csv`), carried out through one client with bounded concurrency.

Each line is read into the request model of its act and carried out by the client library's act function, so a
line is checked exactly as the same command would be. The acts on one case run in the order of the file (a Stage 1
decision before the provisions it opens); acts on different cases run side by side. A line that cannot be used or
is refused is reported with its number and the rest go on.
"""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from pydantic import ValidationError

from domain.errors import DomainError
from domain.requests import (
    ActRequest,
    AgeAssessmentRequest,
    AgeDisputeRequest,
    AppealRequest,
    AssessRequest,
    CheckInRequest,
    CloseRequest,
    ConsentRequest,
    ConsentWithdrawalRequest,
    DecisionRequest,
    DepartureRequest,
    ExtendRRRequest,
    FoundRequest,
    JudgmentRequest,
    MissingRequest,
    PermitRequest,
    ProceedingRequest,
    ProvideRequest,
    ReceptionRequest,
    ReconsiderationRequest,
    ReturnAssessmentRequest,
    ReturnPlanRequest,
    ReturnRequest,
    ReviewRequest,
)
from domain.roles import Actor
from domain.status import ActResult
from domain.text import quote
from domain.times import as_utc, parse_duration
from starter.client import NrmClient, invalid_input
from starter.errors import BadInput

DEFAULT_CONCURRENCY = 20  # acts in flight at once: near the engine's rate on a small server, far from its limits
MAX_LINE_BYTES = 128 * 1024  # a line past the client's 64 KB act limit by far is not even parsed


class Outcome(str, Enum):
    DONE = "done"
    REPEATED = "repeated"  # carried out before under its request id: nothing done again
    # unusable, refused by the case (nothing written), or failed on the way (Temporal unreachable past the client's
    # retries: whether it was carried out is not known, and a re-run of the file under the same request ids settles it)
    REFUSED = "refused"


@dataclass(frozen=True)
class Planned:
    """One line, ready to carry out: `act` calls the client library; `reference` orders the acts on one case."""

    line: int
    reference: str | None
    act: Callable[[NrmClient], Awaitable[ActResult | str]]


@dataclass(frozen=True)
class Done:
    line: int
    outcome: Outcome
    reference: str | None = None
    error: BaseException | None = None  # why it was refused


@dataclass(frozen=True)
class ActForm:
    """How one act of `nrm case ...` reads from a line: its request model, the client library's function for it, and
    the command's options (flag names without `--`)."""

    request: type[ActRequest]
    method: str
    options: tuple[str, ...]
    renamed: tuple[tuple[str, str], ...] = ()  # this act's options named otherwise in its request than RENAMED says


DECISION = ("outcome", "reasons", "evidence", "informed-in")
ACTS: dict[str, ActForm] = {
    "consent": ActForm(ConsentRequest, "record_consent", ("note",)),
    "decide stage1": ActForm(DecisionRequest, "decide_stage1", DECISION),
    "decide stage2": ActForm(DecisionRequest, "decide_stage2", DECISION),
    "extend-rr": ActForm(ExtendRRRequest, "extend_rr", ("reasons", "until", "by")),
    "provide": ActForm(ProvideRequest, "provide", ("kind", "evidence", "at", "not-needed")),
    "assess": ActForm(AssessRequest, "assess", ("kind", "result")),
    "reconsider": ActForm(
        ReconsiderationRequest, "request_reconsideration", ("reasons", "evidence", "new-evidence", "of")
    ),
    "review": ActForm(ReviewRequest, "record_review", (*DECISION, "of")),
    "appeal": ActForm(AppealRequest, "lodge_appeal", ("reasons", "court", "of")),
    "judgment": ActForm(
        JudgmentRequest,
        "record_judgment",
        ("outcome", "court", "judgment-ref", "reasons", "informed-in", "decided-on", "of"),
    ),
    "permit": ActForm(
        PermitRequest,
        "permit_decision",
        ("action", "permit", "ground", "valid-from", "valid-until", "document", "reasons", "informed-in"),
    ),
    "proceeding": ActForm(
        ProceedingRequest, "record_proceeding", ("kind", "presence-needed", "reference-of", "note", "end")
    ),
    "age-dispute": ActForm(AgeDisputeRequest, "dispute_age", ("reasons",)),
    "age-assessment": ActForm(
        AgeAssessmentRequest, "record_age_assessment", ("outcome", "reasons", "evidence", "child-views")
    ),
    "missing": ActForm(MissingRequest, "report_missing", ("note",)),
    "found": ActForm(FoundRequest, "report_found", ("note",)),
    "withdraw-consent": ActForm(ConsentWithdrawalRequest, "withdraw_consent", ("purpose", "reasons")),
    "close": ActForm(CloseRequest, "close_case", ("reason", "note")),
    "return request": ActForm(
        ReturnRequest,
        "request_return",
        (
            "decided-on",
            "destination",
            "legal-advice",
            "reflection-days",
            "informed-of-options",
            "guardian-consulted",
            "no-monitoring",
        ),
    ),
    "return assess": ActForm(ReturnAssessmentRequest, "assess_return", ("risk", "summary", "covers-family")),
    "return plan": ActForm(
        ReturnPlanRequest,
        "plan_return",
        ("departure", "reception", "route", "escort", "travel-documents", "care-confirmed", "coordinate"),
    ),
    "return depart": ActForm(DepartureRequest, "record_departure", ("at", "note"), (("at", "departed_at"),)),
    "return check-in": ActForm(CheckInRequest, "record_check_in", ("summary", "retrafficking", "at")),
    "return received": ActForm(ReceptionRequest, "record_reception", ("summary", "not-received", "at")),
}
# the options that are fields of the request under another name; the rest are their names with `_` for `-`
RENAMED = {
    "until": "new_end",
    "by": "extend_by",
    "at": "when",
    "not-needed": "not_needed_reason",
    "ground": "grounds",
    "purpose": "purposes",
    "reference-of": "reference",  # a proceeding's own reference (the line's "reference" names the case)
    "departure": "departure_at",
    "risk": "risk_found",
    "no-monitoring": "monitoring",
    "not-received": "received",
}
# a date or an ISO time; UTC unless it names a zone, as the commands read them
_TIME = ("until", "at", "valid-from", "valid-until", "departure")
COMMON = ("act", "stage", "reference", "as", "request-id")  # what every line may carry besides its act's options


def _moment(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise BadInput(f"{name}: give a date or an ISO time as a string")
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise BadInput(f"{name}: {quote(value)} is not a date or an ISO time") from None


def _act_name(data: Mapping[str, Any]) -> str:
    act, stage = data.get("act"), data.get("stage")
    if act == "decide":
        if stage not in ("stage1", "stage2"):
            raise BadInput('a decision needs "stage": "stage1" or "stage2"')
        return f"decide {stage}"
    if not isinstance(act, str) or act not in ACTS:
        names = sorted({"decide" if name.startswith("decide ") else name for name in ACTS})  # decide takes a stage
        shown = quote(act) if isinstance(act, str) else "none"
        raise BadInput(f"act {shown} is not one of {', '.join(names)}")
    if stage is not None:
        raise BadInput(f'"stage" is for a decision, not for {act}')
    return act


@dataclass(frozen=True)
class ActLine:
    """A line of `nrm batch` read: which act, on which case, with its request."""

    form: ActForm
    reference: str
    request: ActRequest


def read_act(data: Any, actor: Actor | None) -> ActLine:
    """A line of `nrm batch` as the act it names, checked as the command checks its options."""
    if not isinstance(data, dict):
        raise BadInput("a line must be a JSON object")
    name = _act_name(data)
    form = ACTS[name]
    unknown = sorted(set(data) - set(COMMON) - set(form.options))
    if unknown:
        raise BadInput(f"{name} takes no {quote(unknown[0])}; its fields: {', '.join((*COMMON, *form.options))}")
    request_id, reference = data.get("request-id"), data.get("reference")
    if not isinstance(request_id, str) or not request_id:
        raise BadInput('the line has no "request-id": each act of a batch needs one, so that a re-run acts once')
    if not isinstance(reference, str):
        raise BadInput('the line has no "reference" of a case')
    if "as" in data and not isinstance(data["as"], str):
        raise BadInput('"as" is ROLE:ID, a string')
    who = Actor.parse(data["as"]) if "as" in data else actor
    if who is None:
        raise BadInput('the line has no "as" and the batch no --as (or NRM_ACTOR)')
    fields: dict[str, Any] = {"actor": who, "request_id": request_id}
    for option in form.options:
        if option in data:
            value = data[option]
            if option in _TIME:
                value = _moment(value, option)
            elif option == "by":
                value = parse_duration(str(value))
            elif option == "risk":  # as `nrm case return assess --risk found|none`
                if value not in ("found", "none"):
                    raise BadInput('risk: "found" or "none"')
                value = value == "found"
            elif option in ("no-monitoring", "not-received"):  # flags that say no
                value = not value
            field = dict(form.renamed).get(option) or RENAMED.get(option, option.replace("-", "_"))
            fields[field] = value
    try:
        return ActLine(form, reference, form.request.model_validate(fields))
    except ValidationError as exc:
        raise invalid_input(exc, name) from None


def plan_act(number: int, data: Any, actor: Actor | None) -> Planned:
    """Line `number` as the call of the client library's act function that carries it out."""
    line = read_act(data, actor)

    def act(client: NrmClient) -> Awaitable[ActResult]:
        return getattr(client, line.form.method)(line.reference, line.request, line.request.request_id)

    return Planned(number, line.reference, act)


def read_acts(lines: Iterable[str], actor: Actor | None) -> Iterator[Planned | Done]:
    """Each non-blank line of a JSON Lines file as its act, or as refused with the reason."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            if len(line.encode()) > MAX_LINE_BYTES:
                raise BadInput(f"the line is over {MAX_LINE_BYTES:,} bytes")
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BadInput(f"not JSON: {exc.msg} at column {exc.colno}") from None
            yield plan_act(number, data, actor)
        except (BadInput, DomainError) as exc:
            yield Done(number, Outcome.REFUSED, error=exc)


# ---- referrals --------------------------------------------------------------------------------------------

# `nrm case open`'s options as the fields of a referral (JSON or TOML file, or CSV columns)
REFERRAL_OPTIONS = {
    "first-responder": "first_responder_id",
    "detected-on": "detected_on",
    "child": "declared_child",
    "age-disputed": "age_disputed",
    "sex": "sex",
    "exploitation": "exploitation_types",
    "cross-border": "cross_border",
    "consent": "consent_to_referral",
    "language": "language",
}
CSV_COLUMNS = (*REFERRAL_OPTIONS, "date-of-birth", "policy")
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}


def referral_data(
    base: Mapping[str, Any], given: Mapping[str, Any], opener: Actor, date_of_birth: str | None
) -> dict[str, Any]:
    """A referral from a file's fields and the options given over them; by default its first responder is the
    one who opens it and it was detected today (as `nrm case open` does)."""
    data = dict(base)
    data.update({k: v for k, v in given.items() if v is not None})
    data.setdefault("first_responder_id", opener.id)
    data.setdefault("detected_on", datetime.now(UTC).date().isoformat())
    if date_of_birth:
        data.setdefault("person", {})["date_of_birth"] = date_of_birth
    return data


def _csv_value(column: str, text: str) -> Any:
    """A cell as its option would be given: yes/no for the flags, `;` between exploitation types."""
    if column in ("child", "age-disputed", "cross-border", "consent"):
        if text.lower() not in _TRUE | _FALSE:
            raise BadInput(f"column {column}: {quote(text)} is not true or false")
        return text.lower() in _TRUE
    if column == "exploitation":
        return [part.strip() for part in text.split(";") if part.strip()]
    return text


def _plan_referral(number: int, row: Mapping[str, str], opener: Actor) -> Planned:
    cells = {column: text.strip() for column, text in row.items() if text and text.strip()}
    given = {REFERRAL_OPTIONS[c]: _csv_value(c, t) for c, t in cells.items() if c in REFERRAL_OPTIONS}
    if "date-of-birth" in cells:
        try:
            date.fromisoformat(cells["date-of-birth"])
        except ValueError:
            raise BadInput("column date-of-birth: not a date (YYYY-MM-DD)") from None
    data = referral_data({}, given, opener, cells.get("date-of-birth"))
    policy = cells.get("policy")

    def act(client: NrmClient) -> Awaitable[str]:
        return client.open_case(data, opener, policy=policy)

    return Planned(number, None, act)


def read_referrals(lines: Iterable[str], opener: Actor) -> Iterator[Planned | Done]:
    """Each row of a CSV file of referrals (a header row of `nrm case open`'s options) as the opening of its case;
    line numbers count the header as line 1."""
    reader = csv.DictReader(lines)
    columns = reader.fieldnames or []
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown:
        raise BadInput(f"the CSV has a column {quote(unknown[0])}; its columns: {', '.join(CSV_COLUMNS)}")
    for row in reader:
        number = reader.line_num
        if None in row:
            yield Done(number, Outcome.REFUSED, error=BadInput("the row has more cells than the header"))
            continue
        try:
            yield _plan_referral(number, row, opener)
        except (BadInput, DomainError) as exc:
            yield Done(number, Outcome.REFUSED, error=exc)


# ---- carrying them out ------------------------------------------------------------------------------------


async def carry_out(
    client: NrmClient, planned: Iterable[Planned | Done], concurrency: int = DEFAULT_CONCURRENCY
) -> AsyncIterator[Done]:
    """Each line's outcome as it finishes: at most `concurrency` acts in flight, the acts on one case in order."""
    if concurrency < 1:
        raise BadInput(f"--concurrency must be at least 1, not {concurrency}")
    slots = asyncio.Semaphore(concurrency)
    finished: asyncio.Queue[Done] = asyncio.Queue()
    last_on: dict[str, asyncio.Task[None]] = {}  # the latest act on each case, which the next one on it waits for
    running: set[asyncio.Task[None]] = set()
    outstanding = 0  # acts started whose outcome has not been yielded yet

    async def one(item: Planned, before: asyncio.Task[None] | None) -> None:
        if before is not None:
            await asyncio.wait([before])
        async with slots:
            try:
                result = await item.act(client)
            except Exception as exc:  # reported with its line; the other lines go on
                finished.put_nowait(Done(item.line, Outcome.REFUSED, item.reference, exc))
                return
        if isinstance(result, str):  # a case opened: its reference
            finished.put_nowait(Done(item.line, Outcome.DONE, result))
        else:
            outcome = Outcome.REPEATED if result.repeated else Outcome.DONE
            finished.put_nowait(Done(item.line, outcome, item.reference))

    for item in planned:
        if isinstance(item, Done):
            yield item
            continue
        while outstanding >= 2 * concurrency:  # reading runs ahead of the acts by a bounded number of lines
            outstanding -= 1
            yield await finished.get()
        task = asyncio.create_task(one(item, last_on.get(item.reference) if item.reference else None))
        running.add(task)
        task.add_done_callback(running.discard)
        outstanding += 1
        if item.reference is not None:
            last_on[item.reference] = task
    while outstanding:
        outstanding -= 1
        yield await finished.get()
