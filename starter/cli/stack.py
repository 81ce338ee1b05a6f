"""The commands that run nrmflow's servers and set its namespace up: `nrm up`, `nrm worker`, `nrm codec-server`,
`nrm setup` and `nrm retention`. They log at NRM_LOG_LEVEL, where the other commands log warnings only."""

from __future__ import annotations

import asyncio
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from domain.times import parse_duration
from plumbing.logs import configure_logging
from plumbing.settings import Settings
from starter.cli.common import JsonOpt, emit, out, runs, settings
from starter.client import NrmClient
from starter.retention import namespace_retention, set_namespace_retention


def _logged() -> Settings:
    current = settings()
    configure_logging(current.log_format, current.log_level)
    return current


@runs
async def up(
    port: Annotated[int, typer.Option(help="Temporal frontend port.")] = 7233,
    ui_port: Annotated[int | None, typer.Option(help="Web UI port (default NRM_UI_PORT or 8233).")] = None,
    db: Annotated[Path | None, typer.Option(help="SQLite file (default NRM_HOME/temporal.db).")] = None,
    headless: Annotated[bool, typer.Option(help="Run without the Web UI.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Start the local Temporal server (SQLite, Web UI) and the worker; Ctrl-C stops both."""
    from starter.up import up as run_up

    current = _logged()
    await run_up(current, port=port, ui_port=ui_port or current.ui_port, db=db, headless=headless)


class WorkerRole(str, Enum):
    ALL = "all"
    CASES = "cases"
    DELIVERY = "delivery"


@runs
async def worker(
    role: Annotated[
        WorkerRole,
        typer.Option(
            help="cases: the workflows (NRM_TASK_QUEUE); delivery: the notification activities "
            "(NRM_DELIVERY_TASK_QUEUE); all: both in this process."
        ),
    ] = WorkerRole.ALL,
    as_json: JsonOpt = False,
) -> None:
    """Run only the worker, against the Temporal connection settings (TEMPORAL_ADDRESS, a temporal.toml profile...;
    e.g. a real cluster set up by `nrm setup`); SIGTERM or Ctrl-C stops it gracefully."""
    from worker import run_worker

    await run_worker(_logged(), role=role.value)


@runs
async def codec_server(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="Port (default NRM_CODEC_PORT or 8234).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Serve /encode and /decode for the Web UI and `temporal --codec-endpoint`, behind a bearer token.

    The Web UI's forwarded access token is accepted too when NRM_CODEC_OIDC_* is set; https with NRM_CODEC_TLS_CERT
    and NRM_CODEC_TLS_KEY."""
    from starter.codec_server import codec_app, start_codec_server, tls_context  # aiohttp: 0.1 s a start

    current = _logged()
    listen = port or current.codec_port
    tls = tls_context(current)
    runner = await start_codec_server(codec_app(current), host, listen, tls)
    scheme = "https" if tls else "http"
    out.print(f"codec server on {scheme}://{host}:{listen} for the Web UI at {current.web_ui_origin}; Ctrl-C stops it")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


@runs
async def retention(
    apply: Annotated[bool, typer.Option("--apply", help="Set the namespace's retention to NRM_RETENTION.")] = False,
    period: Annotated[str | None, typer.Option(help="With --apply: this period instead, e.g. 365d.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """How long closed cases are kept before Temporal deletes them (the namespace's retention)."""
    client = await NrmClient.connect(settings())
    if apply:
        await set_namespace_retention(client.client, parse_duration(period) if period else client.settings.retention)
    current = await namespace_retention(client.client)
    emit(
        as_json,
        {"namespace": client.client.namespace, "retention_days": current.days},
        lambda: out.print(
            f"namespace {client.client.namespace}: closed cases are deleted {current.days} days after they close"
        ),
    )


@runs
async def setup(
    cloud: Annotated[
        bool,
        typer.Option(
            "--cloud",
            help="Temporal Cloud: print the `tcld` commands for the search attributes and retention, then check.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Prepare the namespace of an existing cluster: nrmflow's search attributes, the daily digest schedule and the
    retention (NRM_RETENTION); safe to repeat."""
    from starter.namespace import setup as run_setup
    from starter.namespace import setup_cloud

    client = await NrmClient.connect(settings())
    report = await (setup_cloud if cloud else run_setup)(client.client, client.settings)

    def human() -> None:
        out.print(f"namespace {report.namespace} on {report.address}", markup=False, highlight=False)
        if report.tcld:
            out.print("Run (tcld login first):", markup=False, highlight=False)
            for command in report.tcld:
                out.print(f"  {command}", markup=False, highlight=False, soft_wrap=True)
        for name, state in report.search_attributes.items():
            out.print(f"search attribute {name}: {state}", markup=False, highlight=False)
        for sid, what in report.schedules.items():
            out.print(f"schedule {sid}: {what}", markup=False, highlight=False)
        out.print(f"retention: {report.retention_days} days", markup=False, highlight=False)
        if report.missing:
            out.print(
                f"still missing: {', '.join(report.missing)}: run the commands above, then `nrm setup --cloud` again",
                markup=False,
                highlight=False,
            )
        else:
            out.print("ready: workers may start and cases be opened", markup=False, highlight=False)

    emit(as_json, report.as_dict(), human)
