"""The `nrm` application: the root callback (settings, --debug) and every command group, assembled here.

Imports run one way: this module imports the groups, the groups import `starter.cli.common`, which imports none
of them. `main` runs the app and ends the process with the command's exit code (README "Exit codes").
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from typer._click.exceptions import NoArgsIsHelpError, UsageError  # Typer 0.29 vendors Click under typer._click

from plumbing.exit import ExitCode, leave
from starter.cli import actors, audit, case, cases, keys, policies, schedules, stack, stats
from starter.cli.common import begin, report
from starter.errors import BadInput

app = typer.Typer(
    help="nrmflow: National Referral Mechanism cases on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)

for group, name in (
    (case.app, "case"),
    (cases.app, "cases"),
    (audit.app, "audit"),
    (actors.app, "actors"),
    (keys.app, "keys"),
    (schedules.app, "schedules"),
    (policies.app, "policies"),
):
    app.add_typer(group, name=name)
app.command("stats")(stats.stats_cmd)
app.command("up")(stack.up)
app.command("worker")(stack.worker)
app.command("codec-server")(stack.codec_server)
app.command("retention")(stack.retention)
app.command("setup")(stack.setup)


@app.callback()
def root(
    debug: Annotated[
        bool, typer.Option("--debug", envvar="NRM_DEBUG", help="On an error, print the full traceback too.")
    ] = False,
) -> None:
    """Read the settings once for the whole invocation."""
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
    except UsageError as exc:
        code = report(BadInput(exc.format_message()), as_json=_given("--json"), debug=False)
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
    except Exception as exc:
        code = report(exc, as_json=_given("--json"), debug=_given("--debug", "NRM_DEBUG"))
    finally:
        leave(code)
