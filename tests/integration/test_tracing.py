"""Traces (README "Production"): `nrm worker` with NRM_OTLP_ENDPOINT exports the SDK's TracingInterceptor spans
over OTLP/HTTP to a collector (here a receiver on loopback): the case's run, its Updates and its deliveries, and
no payload or personal field in any span."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest_asyncio
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from temporalio.testing import WorkflowEnvironment

from plumbing.settings import Settings
from starter.client import NrmClient
from tests.integration.helpers import FIRST_RESPONDER, adult_referral, decision, settled
from tests.integration.nrm_cli import free_port
from tests.integration.workers import running

NAME = "Qxzv Sentinelname-TR4C"
REASONS = "Sentinelreason-T7 told by the person"


class Collector:
    def __init__(self) -> None:
        self.exports: list[ExportTraceServiceRequest] = []
        self.raw = b""

    async def traces(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.raw += body
        self.exports.append(ExportTraceServiceRequest.FromString(body))
        return web.Response(body=b"", content_type="application/x-protobuf")

    def span_names(self) -> set[str]:
        return {
            span.name
            for export in self.exports
            for resource in export.resource_spans
            for scope in resource.scope_spans
            for span in scope.spans
        }


@pytest_asyncio.fixture
async def collector() -> AsyncIterator[tuple[Collector, str]]:
    received = Collector()
    app = web.Application()
    app.router.add_post("/v1/traces", received.traces)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield received, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_the_worker_exports_traces_of_a_case_to_the_collector(
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    cli_env: dict[str, str],
    collector: tuple[Collector, str],
    tmp_path: Path,
    finish: list[str],
) -> None:
    received, endpoint = collector
    queue = f"{settings.task_queue}-tracing"
    env = cli_env | {"NRM_TASK_QUEUE": queue, "NRM_OUTBOX": str(tmp_path / "outbox"), "NRM_OTLP_ENDPOINT": endpoint}
    async with running("all", env, tmp_path / "worker.log") as worker:
        nrm = NrmClient(temporal_env.client, settings.model_copy(update={"task_queue": queue}))
        referral = adult_referral(person={"name": NAME, "date_of_birth": date(1931, 7, 29).isoformat()})
        ref = await nrm.open_case(referral, FIRST_RESPONDER)
        finish.append(ref)
        await nrm.decide_stage1(ref, decision(reasons=REASONS))
        await settled(temporal_env.client, ref)
        assert await worker.terminate() == 0  # a graceful stop exports what is still buffered

        names = received.span_names()
        assert {"RunWorkflow:CaseWorkflow", "HandleUpdate:stage1_decision", "RunActivity:send_notice"} <= names, names
        for secret in (NAME, REASONS, "1931-07-29"):
            assert secret.encode() not in received.raw
