"""Metrics of a worker process: the SDK runtime's Prometheus endpoint (NRM_METRICS_BIND) carries the SDK's own
metrics (task latencies, polls, slots) and nrmflow's, which the workflows and activities record through the SDK's
metric meter (replay-safe: a workflow's counters do not count again when it replays).

nrmflow's metrics, none with a label that could name a person (labels are act names, reason codes, obligation
kinds, channel names and stages, all from fixed sets):

- `nrm_acts_accepted{act}`, `nrm_acts_refused{act,reason}` (workflows.metrics)
- `nrm_deadlines_met{kind,on_time}`, `nrm_deadlines_missed{kind}` (workflows.metrics)
- `nrm_messages_sent{channel,kind}`, `nrm_messages_failed{channel,kind,failure}` (activities.notifications)
- `nrm_open_cases{stage}`: a gauge counted from visibility every NRM_OPEN_CASES_REFRESH by the cases worker
  (OpenCasesGauge), so that every worker reports the namespace's count, not what it happens to hold in memory

Traces: with NRM_OTLP_ENDPOINT (an OpenTelemetry collector's OTLP/HTTP base URL, e.g. http://otel:4318) the SDK's
TracingInterceptor traces every client call, workflow, Update and activity, exported by the `tracing` extra's
OpenTelemetry SDK. Spans carry Temporal's names and ids (the workflow id holds the pseudonymous reference, as logs
do), never a payload.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog
from temporalio.client import Client, Interceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from domain.case import Stage
from plumbing.settings import BindTaken, Settings, split_bind
from plumbing.visibility import count_cases, running_cases_query

log = structlog.get_logger(__name__)


def metrics_runtime(settings: Settings) -> Runtime | None:
    """A runtime that serves Prometheus on NRM_METRICS_BIND; None (the SDK's default runtime) when unset."""
    if settings.metrics_bind is None:
        return None
    host, port = split_bind(settings.metrics_bind)
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        return Runtime(
            telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind, counters_total_suffix=True))
        )
    except ValueError as exc:  # the SDK's core says so in its message only
        if "in use" in str(exc):
            raise BindTaken(f"{settings.metrics_bind} is taken by another process (NRM_METRICS_BIND)") from None
        raise


class TracingUnavailable(ValueError):
    """NRM_OTLP_ENDPOINT is set but the `tracing` extra is not installed."""


class Tracing:
    """The SDK's TracingInterceptor exporting to NRM_OTLP_ENDPOINT, as `interceptors` for the client (the workers
    built on it trace too); none when unset. `shutdown()` exports what is still buffered, before the process ends."""

    def __init__(self, settings: Settings) -> None:
        self.interceptors: list[Interceptor] = []
        self._shutdown: Callable[[], None] = lambda: None
        if settings.otlp_endpoint is None:
            return
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
            from temporalio.contrib.opentelemetry import TracingInterceptor
        except ImportError:
            raise TracingUnavailable("NRM_OTLP_ENDPOINT needs OpenTelemetry: pip install 'nrmflow[tracing]'") from None
        provider = TracerProvider(resource=Resource.create({"service.name": "nrmflow"}))
        endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        # workflow spans even where the starting client sent no trace context (the CLI does not trace)
        self.interceptors = [TracingInterceptor(provider.get_tracer("nrmflow"), always_create_workflow_spans=True)]
        self._shutdown = provider.shutdown

    def shutdown(self) -> None:
        self._shutdown()


class OpenCasesGauge:
    """`nrm_open_cases{stage}`: running cases by stage, counted from visibility (one count per stage)."""

    def __init__(self, client: Client, runtime: Runtime, settings: Settings) -> None:
        self.client = client
        self.every = settings.open_cases_refresh.total_seconds()
        self.gauge = runtime.metric_meter.create_gauge("nrm_open_cases", "running cases by stage (from visibility)")

    async def refresh(self) -> None:
        for stage in Stage:
            count = await count_cases(self.client, running_cases_query(stage=stage))
            self.gauge.with_additional_attributes({"stage": stage.value}).set(count)

    async def run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as exc:  # visibility briefly unreachable: the gauge keeps its last values
                log.warning("open cases not counted", error=type(exc).__name__)
            await asyncio.sleep(self.every)
