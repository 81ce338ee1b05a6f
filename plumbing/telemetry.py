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
"""

from __future__ import annotations

import asyncio

import structlog
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from domain.case import Stage
from plumbing.settings import Settings, split_bind
from plumbing.visibility import count_cases, running_cases_query

log = structlog.get_logger(__name__)


def metrics_runtime(settings: Settings) -> Runtime | None:
    """A runtime that serves Prometheus on NRM_METRICS_BIND; None (the SDK's default runtime) when unset."""
    if settings.metrics_bind is None:
        return None
    host, port = split_bind(settings.metrics_bind)
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind, counters_total_suffix=True)))


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
