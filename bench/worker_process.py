"""The benchmark's worker runs in a process of its own so that its memory is its own to measure.

`python -m bench.worker_process nrmflow|baseline --address ... --home ... --task-queue ...` runs nrmflow's real worker
(`worker.build_worker`, encrypting converter, Maildir outbox, logging at INFO as `nrm worker` does) or the
baseline's, prints `ready`, and on end of input stops and prints its peak RSS as one JSON line.
`WorkerProcess` is the benchmark's side of that exchange, optionally with py-spy attached.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from temporalio.worker import Worker

from bench.baseline import BaselineWorkflow, baseline_alert
from plumbing.connection import connect
from plumbing.exit import leave
from plumbing.logs import configure_logging
from plumbing.settings import Settings
from worker import build_worker

KINDS = ("nrmflow", "baseline")


def bench_settings(address: str, home: Path, task_queue: str) -> Settings:
    """Everything under the benchmark's own `home`, whatever NRM_* says in the environment."""
    return Settings(
        _env_file=None,
        temporal_address=address,
        home=home,
        task_queue=task_queue,
        key_file=home / "keys.json",
        outbox=home / "outbox",
        actors_file=home / "actors.json",
    )


def _peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB, macOS bytes


async def _serve(kind: str, settings: Settings) -> None:
    client = await connect(settings)
    if kind == "nrmflow":
        worker = build_worker(client, settings)
    else:
        worker = Worker(
            client, task_queue=settings.task_queue, workflows=[BaselineWorkflow], activities=[baseline_alert]
        )
    async with worker:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_process")
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--address", required=True)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    configure_logging("json", "INFO")
    asyncio.run(_serve(args.kind, bench_settings(args.address, args.home, args.task_queue)))
    print(json.dumps({"peak_rss_bytes": _peak_rss_bytes()}), flush=True)
    leave(0)


def _clean_environment() -> dict[str, str]:
    """The worker's environment without NRM_* / TEMPORAL_* (defaults: Maildir outbox) and with bytecode caching on,
    as deployed: without .pyc files the sandbox compiles the workflow module again for every workflow it runs."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NRM_", "TEMPORAL_")) and k != "PYTHONDONTWRITEBYTECODE"
    }


class WorkerProcess:
    """Start a benchmark worker, wait until it polls, and on stop collect its peak RSS (and py-spy's profile)."""

    def __init__(
        self,
        kind: str,
        settings: Settings,
        log: Path,
        profile: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self.env = dict(env or {})  # NRM_* settings for the worker beyond the bench's own (e.g. an SMTP channel)
        self.settings = settings
        self.log_path = log
        self.profile = profile
        self.peak_rss_bytes: int | None = None

    async def __aenter__(self) -> WorkerProcess:
        self._log = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.worker_process",
            self.kind,
            "--address",
            self.settings.temporal_address,
            "--home",
            str(self.settings.home),
            "--task-queue",
            self.settings.task_queue,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env={**_clean_environment(), **self.env},
        )
        self.pid = self.proc.pid
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        if line.strip() != b"ready":
            raise RuntimeError(f"the {self.kind} worker did not start; see {self.log_path}")
        self._spy = None
        if self.profile is not None:
            self._spy = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid",
                str(self.proc.pid),
                "--output",
                str(self.profile),
                "--format",
                "speedscope",
                "--rate",
                "50",
                "--nonblocking",
                stdout=self._log,
                stderr=self._log,
            )
        return self

    async def kill(self) -> None:
        """SIGKILL, as a crash: the worker finishes nothing and reports nothing (faults.kill_worker)."""
        self.proc.kill()
        await self.proc.wait()
        self._log.close()

    async def __aexit__(self, *exc: object) -> None:
        if self._spy is not None:
            self._spy.send_signal(2)  # SIGINT: py-spy writes its profile and exits
            await self._spy.wait()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        out = await asyncio.wait_for(self.proc.stdout.read(), 60)
        await self.proc.wait()
        self._log.close()
        lines = out.decode().strip().splitlines()
        if self.proc.returncode != 0 or not lines:
            raise RuntimeError(f"the {self.kind} worker failed (exit {self.proc.returncode}); see {self.log_path}")
        self.peak_rss_bytes = json.loads(lines[-1])["peak_rss_bytes"]


if __name__ == "__main__":
    main()
