"""Where one side of a benchmark runs: a Temporal dev server of its own on a fresh SQLite file (so that its
database bytes can be measured), or the server given by `--address`; a home of its own with the payload key, the
bench actors (bench.drive.bench_actor) registered with their signing keys, the outbox, and a task queue of its own.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psutil
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bench.drive import bench_actor
from bench.worker_process import bench_settings
from domain.roles import Role
from plumbing import search_attributes as sa
from plumbing.codec import KeyRing
from plumbing.connection import data_converter
from plumbing.settings import Settings
from starter.actors import add_actor
from starter.up import temporal_binary, wait_for_server


@dataclass
class Site:
    settings: Settings
    client: Client
    db: Path | None  # the server's SQLite file, when the benchmark started the server
    server: psutil.Process | None  # and its process

    def db_bytes(self) -> int | None:
        return self.db.stat().st_size if self.db else None


def _process_using(db: Path) -> psutil.Process:
    """The dev server that WorkflowEnvironment started on `db` (it does not expose its process)."""
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if str(db) in child.cmdline():
                return child
    raise RuntimeError(f"no server process found for {db}")


@asynccontextmanager
async def site(workdir: Path, name: str, address: str | None = None) -> AsyncIterator[Site]:
    """A fresh home under `workdir` (payload key, the bench actors' signing keys and directory, outbox, logs)
    and a server: started here unless `address`."""
    home = workdir / name
    home.mkdir(parents=True)
    KeyRing.create(home / "keys.json")
    task_queue = f"bench-{name}-{uuid.uuid4().hex[:8]}"
    for role in Role:
        add_actor(bench_settings("", home, task_queue), bench_actor(role))
    if address is not None:
        settings = bench_settings(address, home, task_queue)
        yield Site(settings, await wait_for_server(settings, timedelta(seconds=10)), None, None)
        return
    db = home / "temporal.db"
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        dev_server_database_filename=str(db),
        search_attributes=sa.ALL,
        data_converter=data_converter(bench_settings("", home, task_queue)),
        dev_server_log_level="error",
    )
    try:
        settings = bench_settings(env.client.service_client.config.target_host, home, task_queue)
        yield Site(settings, env.client, db, _process_using(db))
    finally:
        await env.shutdown()
