"""Fixtures for the notification tests: a real SMTP server on loopback and a worker that sends through it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from faults.smtp_server import SmtpServer
from plumbing.settings import Settings
from starter.client import NrmClient
from worker import build_worker

REFUSED = "refused@nrm.invalid"  # the guardian advocate's mailbox in these tests: the server refuses it for good


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.recorder.release_data()
    server.stop()


def smtp_settings(settings: Settings, server: SmtpServer, queue_suffix: str) -> Settings:
    return settings.model_copy(
        update={
            "task_queue": f"{settings.task_queue}-{queue_suffix}",
            "notify_channel": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": server.port,
            "smtp_timeout": 5.0,
            "role_addresses": {"guardian_advocate": REFUSED},
        }
    )


@pytest_asyncio.fixture(scope="session")
async def smtp_nrm(
    temporal_env: WorkflowEnvironment, settings: Settings, smtp_server: SmtpServer
) -> AsyncIterator[NrmClient]:
    """A client whose cases run on a worker that notifies by SMTP."""
    smtp = smtp_settings(settings, smtp_server, "smtp")
    async with build_worker(temporal_env.client, smtp):
        yield NrmClient(temporal_env.client, smtp)


@pytest_asyncio.fixture
async def finish(temporal_env: WorkflowEnvironment) -> AsyncIterator[list[str]]:
    """References to terminate after the test, so their seconds-scale timers stop adding load to the session."""
    references: list[str] = []
    yield references
    for ref in references:
        await temporal_env.client.get_workflow_handle(f"case-{ref}").terminate("test finished")
