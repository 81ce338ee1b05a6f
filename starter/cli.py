"""`nrm`: the coordinators' command line. Every command prints one clear error line and exits non-zero on
failure; `--json` gives machine-readable output for scripts."""

from __future__ import annotations

import asyncio
import json
import re
import tomllib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer
from pydantic import BaseModel, TypeAdapter, ValidationError
from rich.console import Console

from domain.case import Outcome, Stage
from domain.errors import DomainError
from domain.policy import list_policies
from domain.referral import Exploitation, Sex
from domain.requests import ConsentRequest, DecisionRequest, ExtendRRRequest
from domain.roles import Actor
from domain.status import CaseStatus
from starter import render
from starter.client import NrmClient, NrmError, invalid_input
from plumbing.codec import KeyFileError, KeyRing
from plumbing.private_files import PrivateFileError
from plumbing.exit import leave
from plumbing.logs import configure_logging
from plumbing.settings import Settings

app = typer.Typer(help="nrmflow: National Referral Mechanism cases on Temporal.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
case_app = typer.Typer(help="Open a case and record what happens in it.", no_args_is_help=True)
cases_app = typer.Typer(help="Find cases.", no_args_is_help=True)
keys_app = typer.Typer(help="Payload encryption keys.", no_args_is_help=True)
policies_app = typer.Typer(help="Jurisdiction policies.", no_args_is_help=True)
app.add_typer(case_app, name="case")
app.add_typer(cases_app, name="cases")
app.add_typer(keys_app, name="keys")
app.add_typer(policies_app, name="policies")

out = Console(width=None if Console().is_terminal else 160)
err = Console(stderr=True, soft_wrap=True)

AsOpt = Annotated[str, typer.Option("--as", envvar="NRM_ACTOR", help="Who acts, as ROLE:ID (or NRM_ACTOR).",
                                    show_default=False)]
DEFAULT_LIST_LIMIT = 100    # `nrm cases list` shows the cases due soonest, not thousands after a surge
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
RequestIdOpt = Annotated[Optional[str], typer.Option("--request-id", help="Idempotency key: repeating it does not act twice.")]


def fail(message: str) -> NoReturn:
    """Print one clear error line and exit 1."""
    err.print(f"error: {message}", markup=False, highlight=False)
    raise typer.Exit(1)


def _run(coro: Any) -> Any:
    try:
        return asyncio.run(coro)
    except (NrmError, DomainError, PrivateFileError) as exc:
        fail(str(exc))


def _actor(text: str) -> Actor:
    try:
        return Actor.parse(text)
    except DomainError as exc:
        fail(str(exc))


def print_json(value: Any) -> None:
    """JSON for scripts, indented and written as is (rich's print_json takes seconds over thousands of cases)."""
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    out.file.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def _carry_out(reference: str, act: Callable[[NrmClient], Awaitable[Any]], as_json: bool) -> None:
    """Carry out an act, then show the whole case as it now stands (an act itself returns it in brief)."""
    async def go() -> CaseStatus:
        client = await _client()
        await act(client)
        return await client.status(reference)

    status = _run(go())
    _emit(as_json, status, lambda: render.show_case(out, status))


def _emit(as_json: bool, value: Any, human: Any) -> None:
    if as_json:
        print_json(value)
    else:
        human()


_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """`7d`, `48h`, `30m`, `90s`, `2w`, or an ISO 8601 duration such as `P30D`."""
    if m := _DURATION.match(text.strip()):
        return timedelta(**{_UNITS[m[2]]: int(m[1])})
    try:
        return TypeAdapter(timedelta).validate_python(text)
    except ValidationError:
        fail(f"{text!r} is not a duration (use e.g. 7d, 48h, 30m or P30D)")


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_format, "WARNING")
    return settings


async def _client() -> NrmClient:
    return await NrmClient.connect(_settings())


# ---- the embedded stack and the worker ----------------------------------------------------------------------


@app.command()
def up(
    port: Annotated[int, typer.Option(help="Temporal frontend port.")] = 7233,
    ui_port: Annotated[Optional[int], typer.Option(help="Web UI port (default NRM_UI_PORT or 8233).")] = None,
    db: Annotated[Optional[Path], typer.Option(help="SQLite file (default NRM_HOME/temporal.db).")] = None,
    headless: Annotated[bool, typer.Option(help="Run without the Web UI.")] = False,
) -> None:
    """Start the local Temporal server (SQLite, Web UI) and the worker; Ctrl-C stops both."""
    from starter.up import up as run_up

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    _run(run_up(settings, port=port, ui_port=ui_port or settings.ui_port, db=db, headless=headless))


@app.command()
def worker() -> None:
    """Run only the worker, against TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (e.g. a real cluster)."""
    from worker import main as run_worker

    run_worker()


@keys_app.command("new")
def keys_new() -> None:
    """Create the payload encryption key file (NRM_KEY_FILE, default NRM_HOME/keys.json), owner-only."""
    settings = Settings()
    try:
        KeyRing.create(settings.key_path)
    except KeyFileError as exc:
        fail(str(exc))
    out.print(f"created {settings.key_path}")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Add a new key and make it active for new payloads; older keys stay in the file to read older payloads."""
    settings = Settings()
    try:
        ring = KeyRing.load(settings.key_path).with_new_active_key()
        ring.save(settings.key_path)
    except KeyFileError as exc:
        fail(str(exc))
    out.print(f"new active key {ring.active} in {settings.key_path} ({len(ring.keys)} keys); "
              "restart the workers and clients to use it")


@policies_app.command("list")
def policies_list(as_json: JsonOpt = False) -> None:
    """The jurisdiction policies available for new cases."""
    try:
        policies = list_policies(Settings().policy_dir)
    except DomainError as exc:
        fail(str(exc))
    rows = [p.model_dump(mode="json") for p in policies]  # durations as ISO 8601 (P5D, PT48H, P90D)
    _emit(as_json, rows, lambda: [out.print(
        f"{p.label}: {p.title} (Stage 1 within {render.duration(p.stage1.due_adult)}, child "
        f"{render.duration(p.stage1.due_child)}; R&R {render.duration(p.rr.period)})", markup=False) for p in policies])


# ---- cases ------------------------------------------------------------------------------------------------


def data_file(path: Path, what: str) -> dict[str, Any]:
    """A JSON or TOML file (by suffix) as a dict; `what` names it in the error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {what} file {path}: {exc.strerror}")
    try:
        return tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        fail(f"{what} file {path} is not valid {'TOML' if path.suffix == '.toml' else 'JSON'}: {exc}")


@case_app.command("open")
def case_open(
    actor: AsOpt,
    file: Annotated[Optional[Path], typer.Option("--file", "-f", help="Referral as JSON or TOML; flags override it.")] = None,
    first_responder: Annotated[Optional[str], typer.Option(help="First responder id (default: the actor's id).")] = None,
    detected_on: Annotated[Optional[datetime], typer.Option(formats=["%Y-%m-%d"], help="Date of detection (default today).")] = None,
    child: Annotated[Optional[bool], typer.Option("--child/--adult", help="Declared a child or an adult.")] = None,
    age_disputed: Annotated[Optional[bool], typer.Option("--age-disputed", help="Age is in doubt: treated as a child.")] = None,
    sex: Annotated[Optional[Sex], typer.Option()] = None,
    exploitation: Annotated[Optional[list[Exploitation]], typer.Option(help="Exploitation type (repeatable).")] = None,
    cross_border: Annotated[Optional[bool], typer.Option("--cross-border/--internal")] = None,
    consent: Annotated[Optional[bool], typer.Option("--consent/--no-consent", help="Adult's informed consent to referral.")] = None,
    language: Annotated[Optional[str], typer.Option(help="Language the person understands (e.g. en, uk, ro).")] = None,
    date_of_birth: Annotated[Optional[datetime], typer.Option(formats=["%Y-%m-%d"], help="Optional; kept encrypted.")] = None,
    policy: Annotated[Optional[str], typer.Option(help="Policy name or .toml path (default NRM_DEFAULT_POLICY).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a case from a referral; prints the new pseudonymous reference."""
    who = _actor(actor)
    data: dict[str, Any] = data_file(file, "referral") if file else {}
    flags = {
        "first_responder_id": first_responder, "declared_child": child, "age_disputed": age_disputed,
        "sex": sex.value if sex else None, "cross_border": cross_border, "consent_to_referral": consent,
        "language": language,
        "exploitation_types": [e.value for e in exploitation] if exploitation else None,
        "detected_on": detected_on.date() if detected_on else None,
    }
    data.update({k: v for k, v in flags.items() if v is not None})
    data.setdefault("first_responder_id", who.id)
    data.setdefault("detected_on", datetime.now(UTC).date().isoformat())
    if date_of_birth:
        data.setdefault("person", {})["date_of_birth"] = date_of_birth.date().isoformat()

    async def go() -> str:
        client = await _client()
        return await client.open_case(data, who, policy=policy)

    reference = _run(go())
    _emit(as_json, {"reference": reference}, lambda: out.print(reference))


class StageName(str, Enum):
    stage1 = "stage1"
    stage2 = "stage2"


@case_app.command("decide")
def case_decide(
    stage: Annotated[StageName, typer.Argument(help="stage1 or stage2")],
    reference: Annotated[str, typer.Argument(help="Case reference, NRM-XXXX-XXXX")],
    outcome: Annotated[Outcome, typer.Option(help="positive or negative")],
    actor: AsOpt,
    reasons: Annotated[str, typer.Option(help="Written reasons (required).")] = "",
    evidence: Annotated[str, typer.Option(help="Summary of the evidence considered.")] = "",
    informed_in: Annotated[str, typer.Option(help="Language the person was informed in (default: the referral's).")] = "",
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a Stage 1 (reasonable grounds) or Stage 2 (conclusive) decision."""
    request = DecisionRequest(actor=_actor(actor), outcome=outcome, reasons=reasons, evidence=evidence,
                              informed_in=informed_in)

    _carry_out(reference, lambda client: (client.decide_stage1 if stage is StageName.stage1 else client.decide_stage2)(
        reference, request, request_id), as_json)


@case_app.command("extend-rr")
def case_extend_rr(
    reference: Annotated[str, typer.Argument(help="Case reference")],
    actor: AsOpt,
    reasons: Annotated[str, typer.Option(help="Why (health, intimidation, trauma, pending decision...).")] = "",
    until: Annotated[Optional[datetime], typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z"], help="New end (UTC date or time with zone).")] = None,
    by: Annotated[Optional[str], typer.Option(help="Or extend by a duration: 30d, 2w, P30D.")] = None,
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Extend the recovery and reflection period; Stage 2 falls due at the new end."""
    new_end = until if until is None or until.tzinfo else until.replace(tzinfo=UTC)
    try:
        request = ExtendRRRequest(actor=_actor(actor), reasons=reasons, new_end=new_end,
                                  extend_by=parse_duration(by) if by else None)
    except ValidationError as exc:
        fail(str(invalid_input(exc, "extension")))

    _carry_out(reference, lambda client: client.extend_rr(reference, request, request_id), as_json)


@case_app.command("consent")
def case_consent(
    reference: Annotated[str, typer.Argument(help="Case reference")],
    actor: AsOpt,
    note: Annotated[str, typer.Option(help="How consent was obtained.")] = "",
    request_id: RequestIdOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record an adult's informed consent to referral given later: the case enters Stage 1."""
    request = ConsentRequest(actor=_actor(actor), note=note)

    _carry_out(reference, lambda client: client.record_consent(reference, request, request_id), as_json)


@case_app.command("show")
def case_show(reference: Annotated[str, typer.Argument(help="Case reference")], as_json: JsonOpt = False) -> None:
    """Stage, every deadline with its due time and state, R&R period and decision log."""

    async def go():
        return await (await _client()).status(reference)

    status = _run(go())
    _emit(as_json, status, lambda: render.show_case(out, status))


@cases_app.command("list")
def cases_list(
    stage: Annotated[Optional[Stage], typer.Option(help="Only cases in this stage.")] = None,
    due_within: Annotated[Optional[str], typer.Option(help="Next deadline within this period: 7d, 48h...")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only cases whose next deadline has passed.")] = False,
    child: Annotated[Optional[bool], typer.Option("--child/--adult", help="Only children / only adults.")] = None,
    limit: Annotated[Optional[int], typer.Option(
        help=f"The N cases due soonest (default {DEFAULT_LIST_LIMIT}).", show_default=False)] = None,
    all_cases: Annotated[bool, typer.Option("--all", help="Every matching case, however many.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Running cases, by visibility query, soonest deadline first: the first 100 unless --limit or --all."""
    if overdue and due_within:
        fail("give either --overdue or --due-within, not both")
    if all_cases and limit is not None:
        fail("give either --limit or --all, not both")
    if limit is not None and limit < 1:
        fail(f"--limit must be at least 1, not {limit}")
    within = parse_duration(due_within) if due_within else None

    async def go():
        return await (await _client()).list_cases(stage=stage, due_within=within, overdue=overdue, child=child,
                                                  limit=None if all_cases else limit or DEFAULT_LIST_LIMIT)

    rows = _run(go())
    _emit(as_json, [r.model_dump(mode="json") for r in rows], lambda: render.list_cases(out, rows))
    if len(rows) < rows.total:
        err.print(f"showing the {len(rows):,} due soonest of {rows.total:,} matching cases; --limit N or --all for "
                  "more", markup=False, highlight=False)


def main() -> None:
    """Entry point of the `nrm` script; leaves through os._exit (see plumbing.exit)."""
    code: Any = 1
    try:
        app()
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:
        code = 130
    finally:
        leave(code if isinstance(code, int) else (0 if code is None else 1))


# Command groups in their own modules register themselves on the apps above when imported here.
from starter import cli_codec  # noqa: E402,F401
from starter import cli_actors  # noqa: E402,F401
from starter import cli_privacy  # noqa: E402,F401
from starter import cli_audit  # noqa: E402,F401
from starter import cli_obligations  # noqa: E402,F401
