"""The codec server: Temporal's remote codec protocol (`POST /encode`, `POST /decode`, proto3-JSON
`{"payloads": [...]}` in and out) over the project's key ring, so that an authorized person reads decrypted
payloads in the Web UI and with `temporal workflow show --codec-endpoint URL --codec-auth "Bearer TOKEN"`.

Every codec request needs the bearer token. A browser cannot add an Authorization header to the Web UI's
requests, so `/login` trades the token for an HttpOnly cookie on the codec server's own origin, which the UI
sends once its Codec Server dialog uses the browser setting with "Include cross-origin credentials" ticked. CORS
headers go to the one
configured Web UI origin only: any other page in the browser cannot read what the server answers. The cookie is
SameSite=Strict, or, when the Web UI is on another site (NRM_CODEC_CROSS_SITE), SameSite=None; Secure, which a
browser sends only over https (the server's own TLS, NRM_CODEC_TLS_CERT/KEY, or a proxy's in front of it).

With NRM_CODEC_OIDC_ISSUER and NRM_CODEC_OIDC_JWKS_URL the server also accepts the access token the Web UI forwards
(its codec setting `passAccessToken`, for users signed in to the UI through OIDC): a JWT signed by one of the
identity provider's keys, from that issuer, for NRM_CODEC_OIDC_AUDIENCE if set, not expired.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import hmac
import secrets
import ssl
from collections.abc import Awaitable, Callable, Sequence

import jwt
import structlog
from aiohttp import hdrs, web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from plumbing.codec import EncryptionCodec, KeyRing, UnknownKey
from plumbing.private_files import read_private, write_private
from plumbing.settings import Settings
from starter.errors import BadInput
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


ACCESS_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]  # asymmetric only: never "none"
ACCESS_TOKEN_LEEWAY = 30  # seconds of clock difference allowed on exp / nbf


class AccessTokens:
    """Validates the Web UI's forwarded OIDC access tokens against the identity provider's JWKS (fetched, then
    cached, by PyJWT's client)."""

    def __init__(self, issuer: str, jwks_url: str, audience: str | None) -> None:
        self.issuer = issuer
        self.audience = audience
        self.keys = jwt.PyJWKClient(jwks_url, cache_keys=True, timeout=10)

    async def valid(self, token: str) -> bool:
        try:
            key = await asyncio.to_thread(self.keys.get_signing_key_from_jwt, token)
            jwt.decode(
                token,
                key.key,
                algorithms=ACCESS_TOKEN_ALGORITHMS,
                issuer=self.issuer,
                audience=self.audience,
                leeway=ACCESS_TOKEN_LEEWAY,
                options={"require": ["exp", "iss"], "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError as exc:
            log.info("access token refused", reason=type(exc).__name__)
            return False
        return True


def access_tokens(settings: Settings) -> AccessTokens | None:
    if settings.codec_oidc_issuer and settings.codec_oidc_jwks_url:
        return AccessTokens(settings.codec_oidc_issuer, settings.codec_oidc_jwks_url, settings.codec_oidc_audience)
    return None


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """HTTPS from NRM_CODEC_TLS_CERT and NRM_CODEC_TLS_KEY (the key a secret file: plumbing.private_files' rule)."""
    if settings.codec_tls_cert is None and settings.codec_tls_key is None:
        return None
    if settings.codec_tls_cert is None or settings.codec_tls_key is None:
        raise BadInput("the codec server's TLS needs both NRM_CODEC_TLS_CERT and NRM_CODEC_TLS_KEY")
    read_private(settings.codec_tls_key, missing_hint="NRM_CODEC_TLS_KEY names the server's private key (PEM)")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(settings.codec_tls_cert, settings.codec_tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise BadInput(f"the codec server's certificate or key cannot be used: {exc.strerror or exc}") from None
    return context


def codec_app(settings: Settings, *, create_token: bool = True) -> web.Application:
    """The codec server as the settings describe it: key ring, token, Web UI origin, cookie, access tokens."""
    return build_codec_app(
        EncryptionCodec(KeyRing.configured(settings)),
        codec_token(settings, create=create_token),
        settings.web_ui_origin,
        cross_site=settings.codec_cross_site,
        access=access_tokens(settings),
    )


def build_codec_app(
    codec: EncryptionCodec,
    token: str,
    ui_origin: str,
    *,
    cross_site: bool = False,
    access: AccessTokens | None = None,
) -> web.Application:
    session = _session_value(token)

    async def authorized(request: web.Request) -> bool:
        scheme, _, given = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
        given = given.strip()
        if scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode()):
            return True
        if hmac.compare_digest(request.cookies.get(SESSION_COOKIE, "").encode(), session.encode()):
            return True
        return access is not None and scheme.lower() == "bearer" and await access.valid(given)

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
            if not await authorized(request):
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
        if cross_site:  # sent by the browser with the UI's cross-site requests, and only over https
            response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="None", secure=True, path="/")
        else:
            response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="Strict", path="/")
        return response

    app = web.Application()
    for path, fn in (("/encode", codec.encode), ("/decode", codec.decode)):
        app.router.add_post(path, codec_route(fn))
        app.router.add_route("OPTIONS", path, preflight)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    return app


async def start_codec_server(
    app: web.Application, host: str, port: int, tls: ssl.SSLContext | None = None
) -> web.AppRunner:
    """Serve `app` in the running event loop (beside the worker in `nrm up`), over https with `tls`; call `cleanup()`
    to stop."""
    runner = web.AppRunner(app, access_log=None)  # one line per UI request would bury the `nrm up` terminal
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, ssl_context=tls).start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            raise taken(host, port, "the codec server: NRM_CODEC_PORT") from None
        raise
    return runner
