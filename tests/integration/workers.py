"""`nrm worker --role ...` as a process of its own, as an operator runs it, with its health endpoint."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.integration.nrm_cli import NRM, free_port


@dataclass
class Health:
    url: str  # http://127.0.0.1:PORT of NRM_HEALTH_BIND

    async def answer(self, path: str) -> tuple[int, str]:
        """What /healthz or /readyz answers; (0, "") when nothing answers."""
        try:
            async with httpx.AsyncClient(timeout=5) as http:
                response = await http.get(f"{self.url}{path}")
                return response.status_code, response.text
        except httpx.HTTPError:
            return 0, ""

    async def probe(self, path: str) -> int:
        return (await self.answer(path))[0]


@dataclass
class WorkerProcess(Health):
    process: asyncio.subprocess.Process
    log: Path

    async def ready(self, timeout: float = 30) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while await self.probe("/readyz") != 200:
            if self.process.returncode is not None:
                raise AssertionError(f"worker exited {self.process.returncode}: {self.log.read_text()[-2000:]}")
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"worker not ready within {timeout}s: {self.log.read_text()[-2000:]}")
            await asyncio.sleep(0.2)

    async def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, then the exit code once it has stopped."""
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout)


async def start_worker(role: str, env: dict[str, str], log: Path, *extra: str) -> WorkerProcess:
    """Started and ready; the caller stops it (or use `running` / `worker_processes`)."""
    health = free_port()
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            NRM,
            "worker",
            "--role",
            role,
            *extra,
            env=env | {"NRM_HEALTH_BIND": f"127.0.0.1:{health}"},
            cwd=env["NRM_HOME"],
            stdout=out,
            stderr=out,
        )
    worker = WorkerProcess(f"http://127.0.0.1:{health}", process, log)
    try:
        await worker.ready()
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    return worker


@asynccontextmanager
async def running(role: str, env: dict[str, str], log: Path) -> AsyncIterator[WorkerProcess]:
    """A worker process for the block; killed at the end if the block did not stop it."""
    async with worker_processes() as start:
        yield await start(role, env, log)


@asynccontextmanager
async def worker_processes() -> AsyncIterator[Callable[[str, dict[str, str], Path], Awaitable[WorkerProcess]]]:
    """`start(role, env, log)` for the block; every process it started and the block did not stop is killed at the
    end, so that a failing test leaves no worker behind."""
    started: list[WorkerProcess] = []

    async def start(role: str, env: dict[str, str], log: Path) -> WorkerProcess:
        worker = await start_worker(role, env, log)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            if worker.process.returncode is None:
                worker.process.kill()
                await worker.process.wait()
