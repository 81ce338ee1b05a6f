"""`nrm up` as a coordinator runs it: it starts, serves the CLI, stops cleanly on Ctrl-C, and running it again on the
same NRM_HOME resumes the cases it had."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from tests.integration.nrm_cli import NRM, free_port, run_nrm


class NrmUp:
    """One `nrm up --headless` process; its stdout is collected, its logs go to a file (a full pipe would block it)."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.lines: list[str] = []

    async def __aenter__(self) -> NrmUp:
        with self.log.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = await asyncio.create_subprocess_exec(
                NRM,
                "up",
                "--headless",
                "--port",
                str(self.port),
                "--ui-port",
                str(free_port()),
                env=self.env,
                cwd=self.env["NRM_HOME"],
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
            )
        self.reader = asyncio.ensure_future(self._read())
        await asyncio.wait_for(self._running(), 60)
        return self

    async def _running(self) -> None:
        while not any(line.startswith("Worker running") for line in self.lines):
            assert not self.reader.done(), f"nrm up ended early: {self.lines}; see {self.log}"
            await asyncio.sleep(0.1)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for line in self.proc.stdout:
            self.lines.append(line.decode().rstrip("\n"))

    async def stop(self) -> int:
        """Ctrl-C, as a person would press it; the exit status."""
        self.proc.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(self.proc.wait(), 30)
        await self.reader
        return code

    async def __aexit__(self, *exc: object) -> None:
        if self.proc.returncode is None:  # the test failed before stopping it: still stop server and worker
            await self.stop()


async def test_nrm_up_serves_stops_and_resumes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NRM_", "TEMPORAL_"))}
    env |= {
        "NRM_HOME": str(home),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
        "NRM_CODEC_PORT": str(free_port()),
        "NRM_ACTOR": "first_responder:fr-1",
    }
    log = tmp_path / "nrm-up.log"

    async with NrmUp(env, port, log) as up:
        assert f"Temporal server  127.0.0.1:{port}" in "\n".join(up.lines)
        await run_nrm("actors", "add", "first_responder:fr-1", env=env)  # who opens a case signs its opening
        opened = await run_nrm("case", "open", "--adult", "--consent", "--internal", "--json", env=env)
        ref = opened.json()["reference"]
        assert await up.stop() == 0
        assert up.lines[-1] == "Stopped."
    assert (home / "temporal.db").exists() and (home / "keys.json").exists()

    async with NrmUp(env, port, log) as up:
        shown = (await run_nrm("case", "show", ref, "--json", env=env)).json()
        assert shown["reference"] == ref and shown["stage"] == "stage1_pending"
        assert await up.stop() == 0
