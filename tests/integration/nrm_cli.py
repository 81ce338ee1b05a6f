"""Running the installed `nrm` console script as a subprocess, without blocking the session's event loop
(the test worker runs on that loop: a blocking call would keep it from answering the command)."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NRM = str(Path(sys.executable).parent / "nrm")


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)

    def error_line(self, code: int) -> str:
        """The one line a failing command prints on stderr, having exited with `code` (README "Exit codes")."""
        assert self.code == code and self.out == "", (self.code, self.out, self.err)
        lines = self.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), self.err
        return lines[0]

    def error_json(self, code: int) -> dict[str, Any]:
        """The error object a failing command prints on stderr with --json; stdout stays empty."""
        assert self.code == code and self.out == "", (self.code, self.out, self.err)
        [line] = self.err.splitlines()
        error = json.loads(line)
        assert error["exit_code"] == code, error
        return error


async def run_nrm(*args: str, env: dict[str, str], timeout: float = 30, stdin: str | None = None) -> Run:
    """`nrm ARGS...` in NRM_HOME, to its end (`stdin`: what its standard input holds)."""
    proc = await asyncio.create_subprocess_exec(
        NRM,
        *args,
        env=env,
        cwd=env["NRM_HOME"],
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin is not None else None), timeout)
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


def _read_terminal(fd: int) -> str:
    """All a pseudo-terminal received, until its other end closed."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the command ended and closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode(errors="replace")


async def run_nrm_on_terminal(*args: str, env: dict[str, str], timeout: float = 30) -> Run:
    """`nrm ARGS...` with its stderr on a pseudo-terminal (as a person at a terminal sees it: progress bars);
    `err` is all the terminal received, control sequences included."""
    terminal, stderr = pty.openpty()
    proc = await asyncio.create_subprocess_exec(
        NRM,
        *args,
        env=env | {"TERM": "xterm-256color"},
        cwd=env["NRM_HOME"],
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )
    os.close(stderr)
    shown = asyncio.get_running_loop().run_in_executor(None, _read_terminal, terminal)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), await shown)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
