"""Leave the process without the interpreter's shutdown, which can abort once a Temporal client has run
(temporalio/sdk-python#300: `PyGILState_Release` fatal error, exit 134)."""

from __future__ import annotations

import os
import sys
from typing import NoReturn


def leave(code: int) -> NoReturn:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
