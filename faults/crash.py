"""A worker process that can be killed: SIGKILL at random moments, each followed by a short pause and a new
worker on the same task queue, every kill's time kept (to set beside the duplicates it may cause)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from pathlib import Path

from bench.worker_process import WorkerProcess
from plumbing.settings import Settings


class CrashingWorker:
    def __init__(self, settings: Settings, log: Path, env: Mapping[str, str]) -> None:
        self.settings, self.log, self.env = settings, log, env
        self.kills: list[float] = []  # time.time() of each SIGKILL
        self.restarts_seconds: list[float] = []
        self.current: WorkerProcess | None = None

    async def start(self) -> None:
        self.current = WorkerProcess("nrmflow", self.settings, self.log, env=self.env)
        await self.current.__aenter__()

    async def stop(self) -> None:
        assert self.current is not None
        await self.current.__aexit__()

    async def kill_and_restart(self, pause: float) -> None:
        assert self.current is not None
        self.kills.append(time.time())
        await self.current.kill()
        await asyncio.sleep(pause)
        began = time.monotonic()
        await self.start()
        self.restarts_seconds.append(round(time.monotonic() - began, 2))

    async def kill_at_random(self, kills: int, max_interval: float, pause: float, rng: random.Random) -> None:
        """`kills` kills, each a uniform 0.2 to `max_interval` seconds after the worker last came up."""
        for _ in range(kills):
            await asyncio.sleep(rng.uniform(0.2, max_interval))
            await self.kill_and_restart(pause)
