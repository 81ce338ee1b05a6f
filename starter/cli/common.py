"""What every command group shares: the options, the output, the settings of this invocation, and the runner
that carries a command out and turns whatever went wrong into one `error:` line (or JSON object) on stderr with
its exit code. The group modules import this one; it imports none of them."""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import sys
import tomllib
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, cast

import typer
from pydantic import BaseModel, ValidationError
from pydantic_settings import SettingsError
from rich.console import Console

from domain.errors import DomainError
from domain.roles import Actor
from plumbing.logs import configure_logging
from plumbing.private_files import PrivateFileError
from plumbing.settings import BindTaken, Settings
from starter.errors import BadInput, NrmError, Unreachable, from_server

if TYPE_CHECKING:
    from rich.progress import Progress
    from temporalio.service import RPCError

# to a pipe or a file, tables are as wide as their content: a script or a log gets every name whole
out = Console(width=None if Console().is_terminal else 1000)
err = Console(stderr=True, soft_wrap=True)

AsOpt = Annotated[
    str, typer.Option("--as", envvar="NRM_ACTOR", help="Who acts, as ROLE:ID (or NRM_ACTOR).", show_default=False)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts (errors too, on stderr).")]
RequestIdOpt = Annotated[
    str | None, typer.Option("--request-id", help="Idempotency key: repeating it does not act twice.")
]
RefArg = Annotated[str, typer.Argument(help="Case reference, NRM-XXXX-XXXX")]
AtOpt = Annotated[  # when a recorded event happened, with its zone
    datetime | None,
    typer.Option("--at", formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"], help="When (default now)."),
]
ReasonsOpt = Annotated[str, typer.Option(help="Written reasons (required).")]
EvidenceOpt = Annotated[str, typer.Option(help="Summary of the evidence considered.")]
ConcurrencyOpt = Annotated[  # nrm batch, nrm case open --from-csv
    int, typer.Option(min=1, max=500, help="Acts in flight at once (the acts on one case run in the file's order).")
]
InformedInOpt = Annotated[str, typer.Option(help="Language the person was informed in (default: the referral's).")]


@dataclass
class Invocation:
    """One run of `nrm`: built by the root callback, before the command runs."""

    debug: bool
    loaded: Settings | BadInput  # a settings problem is told by the command, which knows whether --json was given

    @property
    def settings(self) -> Settings:
        if isinstance(self.loaded, BadInput):
            raise self.loaded
        return self.loaded


_current = Invocation(debug=False, loaded=BadInput("nrm's settings are read when a command starts"))


def begin(debug: bool) -> None:
    """Read the settings once for this invocation and set the logs up (warnings only: output is the command's)."""
    global _current
    try:
        settings: Settings | BadInput = Settings()
    except ValidationError as exc:
        settings = settings_error(exc)
    except SettingsError as exc:  # a JSON-valued setting that does not parse
        settings = BadInput(str(exc))
    if isinstance(settings, Settings):
        configure_logging(settings.log_format, "WARNING")
    _current = Invocation(debug, settings)


def settings() -> Settings:
    return _current.settings


def settings_error(exc: ValidationError) -> BadInput:
    """Which settings are wrong and why, by their environment variables, never quoting the values."""
    problems = [
        f"{Settings.variable(str(e['loc'][0]))}: {e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors(include_input=False)
    ]
    return BadInput("invalid setting " + "; ".join(problems))


def actor(text: str) -> Actor:
    return Actor.parse(text)  # a DomainError, told as bad input


P = ParamSpec("P")


def runs(command: Callable[P, Any]) -> Callable[P, None]:
    """The one way a command runs: an `async def` command under asyncio; any error as one line with its code."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            result = command(*args, **kwargs)
            if inspect.iscoroutine(result):
                asyncio.run(result)
        except (typer.Exit, typer.TyperException):  # an exit asked for, or a usage error for main() to tell
            raise
        except Exception as exc:
            raise typer.Exit(report(exc, as_json=bool(kwargs.get("as_json")), debug=_current.debug)) from None

    return run


def _instance(exc: BaseException, module: str, name: str) -> bool:
    """`exc` is an instance of `module.name`, told without importing the module (the Temporal SDK, the audit): an
    exception of a module that no one imported cannot have been raised, and a command that never needed it starts
    faster for not loading it here."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(exc, getattr(loaded, name))


def as_error(exc: BaseException) -> NrmError:
    """The error to tell for an exception: the project's own as they are, the rest by what they mean."""
    if isinstance(exc, NrmError):
        # an audit set or history that cannot be read is the input's fault
        audit_input = _instance(exc, "starter.audit.history", "AuditError") and exc.exit_code == NrmError.exit_code
        return BadInput(str(exc)) if audit_input else exc
    if isinstance(exc, (DomainError, PrivateFileError, BindTaken)):
        return BadInput(str(exc))
    if _instance(exc, "plumbing.connection", "ConnectionConfigError") or _instance(
        exc, "plumbing.telemetry", "TracingUnavailable"
    ):
        return BadInput(str(exc))
    if _instance(exc, "plumbing.connection", "Unavailable"):
        return Unreachable(str(exc))
    if _instance(exc, "temporalio.service", "RPCError"):
        return from_server(cast("RPCError", exc))
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    # the message itself is not shown: a library's may quote input, and input may be personal
    return NrmError(f"internal error: {type(exc).__name__}{at} (a bug; --debug or NRM_DEBUG=1 shows the traceback)")


def one_line(error: NrmError) -> str:
    """An error's message as one printable line, whatever it quotes."""
    return "".join(c if c.isprintable() else " " for c in str(error))


def report(exc: BaseException, *, as_json: bool, debug: bool) -> int:
    """Tell the error on stderr (the traceback first, with --debug); returns the exit code."""
    error = as_error(exc)
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    message = one_line(error)
    if as_json:
        sys.stderr.write(
            json.dumps({"error": message, "kind": error.kind, "exit_code": int(error.exit_code)}, ensure_ascii=False)
            + "\n"
        )
    else:
        sys.stderr.write(f"error: {message}\n")
    return int(error.exit_code)


def print_json(value: Any) -> None:
    """JSON for scripts, indented and written as is (rich's print_json takes seconds over thousands of cases)."""
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    out.file.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def emit(as_json: bool, value: Any, human: Callable[[], Any]) -> None:
    if as_json:
        print_json(value)
    else:
        human()


def progress(*, shown: bool = True) -> Progress:
    """A progress bar on stderr, shown only on a terminal (and when `shown`), cleared when done: scripts and logs get
    none. Each task's description says what it counts."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    hidden = not (shown and err.is_terminal)
    return Progress(*columns, TimeRemainingColumn(), console=err, transient=True, disable=hidden)


def note(text: str) -> None:
    """A remark on stderr beside the output (how many more rows match, a problem found by a check)."""
    err.print(text, markup=False, highlight=False)


def data_file(path: Path, what: str) -> dict[str, Any]:
    """A JSON or TOML file (by suffix) as a dict; `what` names it in the error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read {what} file {path}: {exc.strerror}") from None
    try:
        return tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(
            f"{what} file {path} is not valid {'TOML' if path.suffix == '.toml' else 'JSON'}: {exc}"
        ) from None
