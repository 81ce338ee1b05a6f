"""How the process ends: with one of nrmflow's exit codes (README "Exit codes"), and without the interpreter's
shutdown, which can abort once a Temporal client has run (temporalio/sdk-python#300: `PyGILState_Release` fatal
error, exit 134)."""

from __future__ import annotations

import os
import sys
from enum import IntEnum
from typing import NoReturn


class ExitCode(IntEnum):
    """What a script learns from `nrm`'s exit status; each error class of `starter.errors` carries one."""

    OK = 0
    INTERNAL = 1  # a bug: an exception nrmflow did not expect
    BAD_INPUT = 2  # flags, arguments, files, settings, a port already taken: fix the input and retry
    REFUSED = 3  # the case refused the act (role, stage, reasons, signature): nothing was written
    NOT_FOUND = 4  # no case with that reference
    UNAVAILABLE = 5  # Temporal unreachable, its namespace missing, or not set up for nrmflow
    CHECK_FAILED = 6  # an audit check ran and found a problem (a history does not replay, a set was altered)
    INTERRUPTED = 130  # Ctrl-C


def leave(code: int) -> NoReturn:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
