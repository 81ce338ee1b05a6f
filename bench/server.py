"""Where one side of a benchmark runs: a Temporal dev server of its own on a fresh SQLite file (so that its
database bytes can be measured), or the server given by `--address`; a home of its own with the payload key, the
bench actors (bench.drive.bench_actor) registered with their signing keys, the outbox, and a task queue of its own.
"""

from __future__ import annotations

import contextlib
import os
import sys
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

CODE = Path(__file__).parents[1]  # this checkout
NRM = str(Path(sys.executable).parent / "nrm")  # the console script, which runs the code on its PYTHONPATH


@dataclass
class Site:
    settings: Settings
    client: Client
    db: Path | None  # the server's SQLite file, when the benchmark started the server
    server: psutil.Process | None  # and its process
    env: WorkflowEnvironment | None = None

    def cli_environment(self, code: Path = CODE) -> dict[str, str]:
        """For an `nrm` subprocess: this site's home, server and task queue, no user settings (NRM_*, TEMPORAL_*,
        temporal.toml), and the `code` of a checkout first on PYTHONPATH."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NRM_", "TEMPORAL_")) and k != "PYTHONPATH"}
        return {
            **env,
            "PYTHONPATH": str(code),
            "NRM_HOME": str(self.settings.home),
            "NRM_TASK_QUEUE": self.settings.task_queue,
            "TEMPORAL_ADDRESS": self.settings.temporal_address,
            "TEMPORAL_CONFIG_FILE": str(self.settings.home / "no-temporal.toml"),
        }

    def db_bytes(self) -> int | None:
        return self.db.stat().st_size if self.db else None

    async def stop_server(self) -> None:
        """Stop the server this site started (faults.restart_server); its SQLite file stays."""
        assert self.env is not None and self.db is not None, "only a server the site started can be stopped"
        await self.env.shutdown()

    async def start_server(self) -> None:
        """Start the server again on the same SQLite file and port: clients and workers reconnect by themselves."""
        assert self.db is not None
        port = int(self.settings.temporal_address.rpartition(":")[2])
        self.env = await _dev_server(self.db, self.settings, port)
        self.server = _process_using(self.db)


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
    env = await _dev_server(db, bench_settings("", home, task_queue))
    the_site = Site(
        bench_settings(env.client.service_client.config.target_host, home, task_queue),
        env.client,
        db,
        _process_using(db),
        env,
    )
    try:
        yield the_site
    finally:
        assert the_site.env is not None
        await the_site.env.shutdown()


async def _dev_server(db: Path, settings: Settings, port: int | None = None) -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        dev_server_database_filename=str(db),
        search_attributes=sa.ALL,
        data_converter=data_converter(settings),
        dev_server_log_level="error",
        port=port,
    )
