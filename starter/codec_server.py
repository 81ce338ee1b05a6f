"""The codec server: Temporal's remote codec protocol (`POST /encode`, `POST /decode`, proto3-JSON
`{"payloads": [...]}` in and out) over the project's key ring, so that an authorized person reads decrypted
payloads in the Web UI and with `temporal workflow show --codec-endpoint URL --codec-auth "Bearer TOKEN"`.

Every codec request needs the bearer token. A browser cannot add an Authorization header to the Web UI's
requests, so `/login` trades the token for an HttpOnly cookie on the codec server's own origin, which the UI
sends once its Codec Server dialog uses the browser setting with "Include cross-origin credentials" ticked. CORS
headers go to the one
configured Web UI origin only: any other page in the browser cannot read what the server answers.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Sequence

import structlog
from aiohttp import hdrs, web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from plumbing.codec import EncryptionCodec, UnknownKey
from plumbing.private_files import read_private, write_private
from plumbing.settings import Settings
from starter.ports import taken

log = structlog.get_logger(__name__)

SESSION_COOKIE = "nrm_codec_session"


def codec_token(settings: Settings, *, create: bool = False) -> str:
    """NRM_CODEC_TOKEN, else the owner-only token file (made on first use by `nrm up` / `nrm codec-server`)."""
    if settings.codec_token:
        return settings.codec_token.get_secret_value()
    path = settings.codec_token_path
    if create and not path.exists():
        write_private(path, secrets.token_urlsafe(32), replace=False)
    return read_private(path, missing_hint="start `nrm up` or `nrm codec-server` once to create it").strip()


def _session_value(token: str) -> str:
    """What the browser keeps: derived from the token, so the cookie never holds the token itself."""
    return hmac.new(token.encode(), b"nrm codec server: web ui session", hashlib.sha256).hexdigest()


_LOGIN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>nrmflow codec server</title></head>
<body><h1>nrmflow codec server</h1><p>{message}</p>
<form method="post" action="/login"><label>Codec token <input type="password" name="token" autofocus></label>
<button type="submit">Sign in</button></form>
<p>Then, in the Web UI's Codec Server dialog, choose "Use my browser setting", enter this server's address and
tick "Include cross-origin credentials".</p></body></html>"""


def build_codec_app(codec: EncryptionCodec, token: str, ui_origin: str) -> web.Application:
    session = _session_value(token)

    def authorized(request: web.Request) -> bool:
        scheme, _, given = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
        return hmac.compare_digest(request.cookies.get(SESSION_COOKIE, "").encode(), session.encode())

    def cors(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        if request.headers.get(hdrs.ORIGIN) == ui_origin:
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = ui_origin
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = "true"
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = "POST"
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = "content-type,x-namespace,authorization"
        response.headers[hdrs.VARY] = "Origin"
        return response

    async def preflight(request: web.Request) -> web.StreamResponse:
        if request.headers.get(hdrs.ORIGIN) != ui_origin:
            return web.Response(status=403, text="origin not allowed\n")
        return cors(request, web.Response(status=204))

    def codec_route(fn: Callable[[Sequence[Payload]], Awaitable[list[Payload]]]):
        async def handle(request: web.Request) -> web.StreamResponse:
            if not authorized(request):
                response = web.json_response(
                    {"error": "a valid bearer token is required"},
                    status=401,
                    headers={hdrs.WWW_AUTHENTICATE: 'Bearer realm="nrmflow codec"'},
                )
                return cors(request, response)
            try:
                payloads = json_format.Parse(await request.read(), Payloads())
                result = Payloads(payloads=await fn(payloads.payloads))
            except json_format.ParseError:
                return cors(request, web.json_response({"error": 'expected {"payloads": [...]}'}, status=400))
            except UnknownKey as exc:
                return cors(request, web.json_response({"error": str(exc)}, status=422))
            return cors(request, web.Response(text=json_format.MessageToJson(result), content_type="application/json"))

        return handle

    async def login_form(request: web.Request) -> web.Response:
        return web.Response(
            text=_LOGIN_PAGE.format(message="Sign in to read decrypted payloads."), content_type="text/html"
        )

    async def login(request: web.Request) -> web.Response:
        form = await request.post()
        given = str(form.get("token", ""))
        if not hmac.compare_digest(given.encode(), token.encode()):
            return web.Response(status=401, content_type="text/html", text=_LOGIN_PAGE.format(message="Wrong token."))
        response = web.Response(text="Signed in: the Web UI can now decrypt payloads in this browser.\n")
        response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="Strict", path="/")
        return response

    app = web.Application()
    for path, fn in (("/encode", codec.encode), ("/decode", codec.decode)):
        app.router.add_post(path, codec_route(fn))
        app.router.add_route("OPTIONS", path, preflight)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    return app


async def start_codec_server(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Serve `app` in the running event loop (beside the worker in `nrm up`); call `cleanup()` to stop."""
    runner = web.AppRunner(app, access_log=None)  # one line per UI request would bury the `nrm up` terminal
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            raise taken(host, port, "the codec server: NRM_CODEC_PORT") from None
        raise
    return runner
