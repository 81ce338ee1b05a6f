"""`nrm codec-server`: the codec server on its own, e.g. beside a Web UI of a Temporal cluster."""

from __future__ import annotations

import asyncio
from typing import Annotated, Optional

import typer

from starter.cli import _run, app, out
from plumbing.codec import EncryptionCodec, KeyRing
from plumbing.logs import configure_logging
from plumbing.settings import Settings


@app.command("codec-server")
def codec_server(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[Optional[int], typer.Option(help="Port (default NRM_CODEC_PORT or 8234).")] = None,
) -> None:
    """Serve /encode and /decode for the Web UI and `temporal --codec-endpoint`, behind a bearer token."""
    from starter.codec_server import build_codec_app, codec_token, start_codec_server  # aiohttp: 0.1 s a start

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)

    async def serve() -> None:
        app_ = build_codec_app(EncryptionCodec(KeyRing.load(settings.key_path)), codec_token(settings, create=True),
                               settings.web_ui_origin)
        runner = await start_codec_server(app_, host, port or settings.codec_port)
        out.print(f"codec server on http://{host}:{port or settings.codec_port} for the Web UI at "
                  f"{settings.web_ui_origin}; Ctrl-C stops it")
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    try:
        _run(serve())
    except KeyboardInterrupt:
        pass
