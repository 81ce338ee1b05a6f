"""The errors of the client library and the CLI. Each message is one line with no personal data in it, and each
class carries the exit code `nrm` ends with (plumbing.exit.ExitCode), so that scripts and the library agree."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from plumbing.exit import ExitCode

if TYPE_CHECKING:  # an RPCError comes only from a command that imported the Temporal SDK: not loaded for the others
    from temporalio.service import RPCError


class NrmError(Exception):
    """A request nrmflow refused or could not carry out."""

    exit_code = ExitCode.INTERNAL
    kind = "error"


class BadInput(NrmError):
    """Flags, arguments, files or settings that cannot be used as given; fix them and try again."""

    exit_code = ExitCode.BAD_INPUT
    kind = "bad_input"


class Refused(NrmError):
    """The case refused the act (wrong role, wrong stage, bad input); nothing was written to its history."""

    exit_code = ExitCode.REFUSED
    kind = "refused"


class UnknownCase(NrmError):
    exit_code = ExitCode.NOT_FOUND
    kind = "not_found"


class Unreachable(NrmError):
    """Temporal cannot be used: the server does not answer, the namespace does not exist or lacks nrmflow's
    search attributes."""

    exit_code = ExitCode.UNAVAILABLE
    kind = "unavailable"


class CheckFailed(NrmError):
    """An audit check ran to the end and found a problem."""

    exit_code = ExitCode.CHECK_FAILED
    kind = "check_failed"


_MISSING_ATTRIBUTE = re.compile(r"invalid search attribute: (\w+)")


def from_server(exc: RPCError, reference: str | None = None) -> NrmError:
    """What the server refused, as the error that says why."""
    from temporalio.service import RPCStatusCode

    if exc.status == RPCStatusCode.NOT_FOUND and reference is not None:
        return UnknownCase(f"no open case with reference {reference}")
    if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return Unreachable(f"Temporal did not answer: {exc.message}")
    if missing := _MISSING_ATTRIBUTE.search(exc.message):
        return Unreachable(
            f"the server has no search attribute {missing[1]}: register nrmflow's search attributes with "
            "`nrm setup` (`nrm up` starts its server with them)"
        )
    return NrmError(f"the server refused the request: {exc.message}")
