"""The worker's health endpoint for a container platform or a load balancer (NRM_HEALTH_BIND): `/healthz` answers
200 while the process serves at all (liveness), `/readyz` 200 only while the worker is connected to Temporal and
polling its task queues, 503 otherwise, and from the moment a SIGTERM starts the graceful stop (readiness)."""

from __future__ import annotations

import errno
from collections.abc import Awaitable, Callable

from aiohttp import web

from plumbing.settings import BindTaken, split_bind

Readiness = Callable[[], Awaitable[str | None]]  # None when ready, else why not (no personal data)


def health_app(readiness: Readiness) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(request: web.Request) -> web.Response:
        problem = await readiness()
        if problem is None:
            return web.Response(text="ready\n")
        return web.Response(status=503, text=f"not ready: {problem}\n")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


async def serve(app: web.Application, bind: str, what: str) -> web.AppRunner:
    """Serve `app` on HOST:PORT in the running loop; `cleanup()` stops it. `what` names the setting in errors."""
    host, port = split_bind(bind)
    runner = web.AppRunner(app, access_log=None)  # a probe every few seconds would bury the worker's log
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            raise BindTaken(f"{bind} is taken by another process ({what})") from None
        raise
    return runner
