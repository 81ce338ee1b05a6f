"""The `nrm` application: the root callback (settings, --debug) and every command, each loaded only when it runs.

A command's module, and what it imports (the Temporal SDK, the domain's pydantic models, cryptography), loads when
that command runs: `nrm --help` lists the commands from `COMMANDS` alone, `nrm case show` loads only
`starter.cli.case` (README "Performance": the start of a command). Imports run one way: this module names the
groups, the groups import `starter.cli.common`, which imports none of them. `main` runs the app and ends the process
with the command's exit code (README "Exit codes").
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from typer._click import Command, Context  # Typer 0.29 vendors Click under typer._click
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperCommand, TyperGroup

from plumbing.exit import ExitCode, leave


@dataclass(frozen=True)
class Listed:
    """A command of `nrm` by where it lives: `attribute` of `module` is a Typer group or a command function."""

    module: str
    attribute: str
    help: str  # its one line in `nrm --help` (tests/unit/test_cli_modules.py checks it against the command's own)


COMMANDS: dict[str, Listed] = {
    "case": Listed("starter.cli.case", "app", "Open a case and record what happens in it."),
    "cases": Listed("starter.cli.cases", "app", "Find cases."),
    "batch": Listed(
        "starter.cli.batch", "batch", "Carry out a file of acts (JSON Lines), each once, through one connection."
    ),
    "audit": Listed(
        "starter.cli.audit", "app", "Auditors: replay, export and verify histories; timelines; deadline compliance."
    ),
    "actors": Listed("starter.cli.actors", "app", "Actors: who may act on cases, verified by their signing keys."),
    "keys": Listed("starter.cli.keys", "app", "Payload encryption keys."),
    "schedules": Listed("starter.cli.schedules", "app", "Temporal Schedules: the coordinators' daily digest."),
    "policies": Listed("starter.cli.policies", "app", "Jurisdiction policies."),
    "stats": Listed(
        "starter.cli.stats",
        "stats_cmd",
        "Anonymised statistics of the cases opened in a period: CSV and PNG charts, small cells suppressed.",
    ),
    "up": Listed(
        "starter.cli.stack", "up", "Start the local Temporal server (SQLite, Web UI) and the worker; Ctrl-C stops both."
    ),
    "worker": Listed(
        "starter.cli.stack",
        "worker",
        "Run only the worker, against the Temporal connection settings (TEMPORAL_ADDRESS, a temporal.toml profile...; "
        "e.g. a real cluster set up by `nrm setup`); SIGTERM or Ctrl-C stops it gracefully.",
    ),
    "codec-server": Listed(
        "starter.cli.stack",
        "codec_server",
        "Serve /encode and /decode for the Web UI and `temporal --codec-endpoint`, behind a bearer token.",
    ),
    "retention": Listed(
        "starter.cli.stack",
        "retention",
        "How long closed cases are kept before Temporal deletes them (the namespace's retention).",
    ),
    "setup": Listed(
        "starter.cli.stack",
        "setup",
        "Prepare the namespace of an existing cluster: nrmflow's search attributes, the daily digest schedule and the "
        "retention (NRM_RETENTION); safe to repeat.",
    ),
}


def load(name: str) -> Command:
    """The command `name`, built from its module (imported now)."""
    listed = COMMANDS[name]
    target = getattr(importlib.import_module(listed.module), listed.attribute)
    if isinstance(target, typer.Typer):
        command: Command = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """The root group: lists its commands from `COMMANDS` and imports one only to run it (or its own help)."""

    listing = False  # while the root's help is written: each command by its one line, nothing imported

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in COMMANDS:
            return None
        if self.listing:
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name].help)
        return load(cmd_name)

    def format_help(self, ctx: Context, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


app = typer.Typer(
    cls=LazyGroup,
    help="nrmflow: National Referral Mechanism cases on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)


@app.callback()
def root(
    debug: Annotated[
        bool, typer.Option("--debug", envvar="NRM_DEBUG", help="On an error, print the full traceback too.")
    ] = False,
) -> None:
    """Read the settings once for the whole invocation."""
    from starter.cli.common import begin

    begin(debug)


def _given(flag: str, variable: str | None = None) -> bool:
    """A flag of the command line, for errors found before the command's own options are parsed."""
    return flag in sys.argv[1:] or (variable is not None and os.environ.get(variable, "") not in ("", "0", "false"))


def main() -> None:
    """Entry point of the `nrm` script; leaves through os._exit (see plumbing.exit)."""
    code: int = ExitCode.INTERNAL
    try:
        result = app(standalone_mode=False)
        code = result if isinstance(result, int) else ExitCode.OK
    except NoArgsIsHelpError as exc:
        exc.show()
        code = ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
    except Exception as exc:
        from starter.cli.common import report
        from starter.errors import BadInput

        if isinstance(exc, UsageError):
            code = report(BadInput(exc.format_message()), as_json=_given("--json"), debug=False)
        else:
            code = report(exc, as_json=_given("--json"), debug=_given("--debug", "NRM_DEBUG"))
    finally:
        leave(code)
