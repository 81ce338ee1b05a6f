"""Workers that scale out (README "Production"): `nrm worker --role cases` and `nrm worker --role delivery` in
separate processes carry a case path, its letters delivered by the delivery process from the delivery queue; a
delivery worker stopped by SIGTERM finishes the delivery it is in, and what falls due while it is away waits on its
queue until one is back. Each process answers /healthz and /readyz: not ready before it polls, from the moment it
stops, and while Temporal does not answer."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from faults.smtp_server import SmtpServer
from plumbing.exit import ExitCode
from plumbing.settings import Settings
from starter.client import NrmClient
from starter.up import temporal_binary
from tests.conftest import eventually
from tests.devserver import address, start_dev_server
from tests.integration.helpers import (
    FIRST_RESPONDER,
    adult_referral,
    decision,
    history_events,
    outbox_messages,
    settled,
)
from tests.integration.nrm_cli import free_port, run_nrm
from tests.integration.workers import Health, running, worker_processes
from worker import build_worker, health_endpoint
from workflows.delivery import DELIVERY_ACTIVITIES

LETTER = "decision_letter"
BAD_INPUT = ExitCode.BAD_INPUT


@pytest.fixture
def queue(settings: Settings) -> str:
    return f"{settings.task_queue}-roles"


@pytest.fixture
def role_env(cli_env: dict[str, str], smtp_server: SmtpServer, queue: str) -> dict[str, str]:
    return cli_env | {
        "NRM_TASK_QUEUE": queue,
        "NRM_NOTIFY_CHANNEL": "smtp",
        "NRM_SMTP_HOST": "127.0.0.1",
        "NRM_SMTP_PORT": str(smtp_server.port),
        "NRM_SMTP_TIMEOUT": "30",
    }


@pytest.fixture
def nrm_on_queue(temporal_env: WorkflowEnvironment, settings: Settings, queue: str) -> NrmClient:
    return NrmClient(temporal_env.client, settings.model_copy(update={"task_queue": queue}))


async def letters(smtp_server: SmtpServer, reference: str) -> int:
    return sum(1 for m in smtp_server.recorder.for_case(reference) if m["X-NRM-Kind"] == LETTER)


async def delivery_identities(temporal_env: WorkflowEnvironment, reference: str, queue: str) -> set[str]:
    """Who took the case's delivery activities, each of which was scheduled on the delivery queue."""
    events = await history_events(temporal_env.client, reference)
    scheduled = {
        e.event_id: e.activity_task_scheduled_event_attributes
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    deliveries = {i for i, a in scheduled.items() if a.activity_type.name in DELIVERY_ACTIVITIES}
    assert deliveries and all(scheduled[i].task_queue.name == f"{queue}-delivery" for i in deliveries)
    return {
        e.activity_task_started_event_attributes.identity
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and e.activity_task_started_event_attributes.scheduled_event_id in deliveries
    }


async def test_cases_and_delivery_workers_in_separate_processes_finish_a_case_path(
    nrm_on_queue: NrmClient,
    temporal_env: WorkflowEnvironment,
    smtp_server: SmtpServer,
    role_env: dict[str, str],
    queue: str,
    tmp_path: Path,
    finish: list[str],
) -> None:
    async with worker_processes() as start:
        cases = await start("cases", role_env, tmp_path / "cases.log")
        delivery = await start("delivery", role_env, tmp_path / "delivery.log")
        assert await cases.probe("/healthz") == 200 and await delivery.probe("/healthz") == 200
        ref = await nrm_on_queue.open_case(adult_referral(), FIRST_RESPONDER)
        finish.append(ref)
        await nrm_on_queue.decide_stage1(ref, decision())
        await eventually(lambda: letters(smtp_server, ref), timeout=30)
        await settled(temporal_env.client, ref)
        assert {i.split("@")[0] for i in await delivery_identities(temporal_env, ref, queue)} == {
            str(delivery.process.pid)
        }

        # the delivery worker stops (SIGTERM, idle): the case goes on, its Stage 2 letter waits on the queue
        assert await delivery.terminate() == 0
        status = await nrm_on_queue.decide_stage2(ref, decision())
        assert status.stage.value == "confirmed_victim"
        await asyncio.sleep(3)
        assert await letters(smtp_server, ref) == 1
        back = await start("delivery", role_env, tmp_path / "delivery-again.log")
        await eventually(lambda: _equals(letters(smtp_server, ref), 2), timeout=30)
        assert await back.terminate() == 0
        assert await cases.terminate() == 0
        assert "Traceback" not in (tmp_path / "cases.log").read_text()


async def test_sigterm_to_the_delivery_worker_mid_delivery_lets_the_delivery_finish_once(
    nrm_on_queue: NrmClient,
    temporal_env: WorkflowEnvironment,
    smtp_server: SmtpServer,
    role_env: dict[str, str],
    tmp_path: Path,
    finish: list[str],
) -> None:
    mail = smtp_server.recorder
    async with (
        running("cases", role_env, tmp_path / "cases.log"),
        running("delivery", role_env, tmp_path / "delivery.log") as delivery,
    ):
        ref = await nrm_on_queue.open_case(adult_referral(), FIRST_RESPONDER)
        finish.append(ref)
        mail.hold_data(LETTER)  # the receiver takes the letter and holds its answer: the delivery is under way
        try:
            await nrm_on_queue.decide_stage1(ref, decision())
            assert await asyncio.to_thread(mail.holding.wait, 30)
            stopping = asyncio.create_task(delivery.terminate())
            await eventually(lambda: _equals(delivery.probe("/readyz"), 503), timeout=5)  # stopping: not ready
            await asyncio.sleep(1)
        finally:
            mail.release_data()
        assert await stopping == 0  # exited once the delivery it was in had finished
        await settled(temporal_env.client, ref)
    assert await letters(smtp_server, ref) == 1
    events = await history_events(temporal_env.client, ref)
    [letter] = [
        e.activity_task_started_event_attributes
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and any(
            s.event_id == e.activity_task_started_event_attributes.scheduled_event_id
            and s.activity_task_scheduled_event_attributes.activity_type.name == "send_notice"
            for s in events
        )
    ]
    assert letter.attempt == 1  # finished by the worker that was stopping, not retried by another
    assert any(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED for e in events)


async def _equals(value, expected) -> bool:
    return (await value) == expected


async def test_readiness_ends_when_temporal_stops_answering(settings: Settings) -> None:
    env = await start_dev_server(settings)
    health = free_port()
    own = settings.model_copy(update={"temporal_address": address(env), "health_bind": f"127.0.0.1:{health}"})
    workers = build_worker(env.client, own, "delivery")
    probe = Health(f"http://127.0.0.1:{health}")
    async with health_endpoint(own, workers.ready):
        assert await probe.probe("/readyz") == 503  # not polling yet
        async with workers:
            assert await eventually(lambda: _equals(probe.probe("/readyz"), 200), timeout=10)
            assert await probe.probe("/healthz") == 200
            await env.shutdown()
            assert await eventually(
                lambda: _equals(probe.answer("/readyz"), (503, "not ready: Temporal does not answer\n"))
            )
            assert await probe.probe("/healthz") == 200  # alive all the same: a restart would not help


async def test_a_taken_or_malformed_health_or_metrics_address_is_one_error_line(cli_env: dict[str, str]) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = f"127.0.0.1:{holder.getsockname()[1]}"
        health, metrics, malformed = await asyncio.gather(
            run_nrm("worker", env=cli_env | {"NRM_HEALTH_BIND": taken}),
            run_nrm("worker", "--role", "delivery", env=cli_env | {"NRM_METRICS_BIND": taken}),
            run_nrm("worker", env=cli_env | {"NRM_HEALTH_BIND": "8081"}),
        )
    assert health.error_line(BAD_INPUT) == f"error: {taken} is taken by another process (NRM_HEALTH_BIND)"
    assert metrics.error_line(BAD_INPUT) == f"error: {taken} is taken by another process (NRM_METRICS_BIND)"
    assert malformed.error_line(BAD_INPUT).startswith("error: invalid setting NRM_HEALTH_BIND: ")
    assert "HOST:PORT" in malformed.err


async def test_versioned_cases_workers_with_an_unversioned_delivery_worker(settings: Settings, tmp_path: Path) -> None:
    """README "Upgrading": cases workers on a Worker Deployment version, delivery workers unversioned on their own
    queue: a pinned case's deliveries still reach the delivery worker."""
    env = await start_dev_server(settings)
    own = settings.model_copy(
        update={
            "temporal_address": address(env),
            "deployment_name": "nrmflow",
            "build_id": "b1",
            "outbox": tmp_path / "outbox",
        }
    )
    try:
        async with build_worker(env.client, own, "cases"), build_worker(env.client, own, "delivery"):
            cli = [temporal_binary(), "worker", "deployment", "set-current-version", "--address", address(env)]
            cli += ["--deployment-name", "nrmflow", "--build-id", "b1", "--yes"]
            for _ in range(50):  # the deployment exists once the versioned worker has polled
                quiet = asyncio.subprocess.DEVNULL
                done = await asyncio.create_subprocess_exec(*cli, stdout=quiet, stderr=quiet)
                if await done.wait() == 0:
                    break
                await asyncio.sleep(0.2)
            else:
                raise AssertionError("the deployment version could not be made current")
            nrm = NrmClient(env.client, own)
            ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
            await nrm.decide_stage1(ref, decision())

            async def delivered() -> bool:
                return bool(outbox_messages(own.outbox_path, ref))

            await eventually(delivered, timeout=30)
            described = await env.client.get_workflow_handle(f"case-{ref}").describe()
            versioning = described.raw_description.workflow_execution_info.versioning_info
            assert versioning.deployment_version.build_id == "b1", versioning  # the case is on the versioned build
    finally:
        await env.shutdown()


async def test_one_queue_for_cases_and_delivery_is_served_by_one_worker(
    temporal_env: WorkflowEnvironment, settings: Settings, tmp_path: Path, finish: list[str]
) -> None:
    """NRM_DELIVERY_TASK_QUEUE = NRM_TASK_QUEUE: `--role all` runs a single worker for both."""
    one = f"{settings.task_queue}-one"
    own = settings.model_copy(update={"task_queue": one, "delivery_task_queue": one, "outbox": tmp_path / "outbox"})
    workers = build_worker(temporal_env.client, own)
    assert workers.task_queues == [one]
    async with workers:
        nrm = NrmClient(temporal_env.client, own)
        ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
        finish.append(ref)
        await nrm.decide_stage1(ref, decision())

        async def delivered() -> bool:
            return bool(outbox_messages(own.outbox_path, ref))

        await eventually(delivered, timeout=30)
    events = await history_events(temporal_env.client, ref)
    queues = {
        e.activity_task_scheduled_event_attributes.task_queue.name
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    assert queues == {one}
