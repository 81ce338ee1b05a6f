"""The codec server as deployed (README "Production"): `nrm codec-server` over https with its key ring from a
variable and its token from a mounted secret file its group reads; the Web UI's forwarded OIDC access token accepted
only when the identity provider signed it for this issuer and audience and it has not expired; and a session cookie
that works when the Web UI is on another site."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import jwt
import pytest_asyncio
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from plumbing.codec import EncryptionCodec, KeyRing
from starter.client import NrmClient
from starter.codec_server import SESSION_COOKIE, AccessTokens, build_codec_app, start_codec_server
from tests.integration.nrm_cli import NRM, free_port
from tests.integration.test_codec_server import NAME, TOKEN, UI_ORIGIN, encrypted_start_input
from tests.tlscerts import make_loopback_tls

JSON = {"Content-Type": "application/json", "X-Namespace": "default"}
ISSUER = "https://idp.nrm.invalid/realms/nrm"
AUDIENCE = "temporal-ui"


async def test_nrm_codec_server_serves_https_with_secrets_from_the_environment_and_a_mounted_file(
    nrm: NrmClient, cli_env: dict[str, str], tmp_path: Path
) -> None:
    _, body = await encrypted_start_input(nrm)
    tls = make_loopback_tls(tmp_path / "tls")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    token_file = secrets / "codec-token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o440)  # as a platform mounts a secret for the service's group
    port = free_port()
    env = cli_env | {
        "NRM_HOME": str(tmp_path),  # holds no key file: the key ring comes from NRM_KEYS
        "NRM_KEYS": nrm.settings.key_path.read_text(),
        "NRM_CODEC_TOKEN_FILE": str(token_file),
        "NRM_CODEC_TLS_CERT": str(tls.cert),
        "NRM_CODEC_TLS_KEY": str(tls.key),
    }
    server = await asyncio.create_subprocess_exec(
        NRM, "codec-server", "--port", str(port), env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        line = (await asyncio.wait_for(server.stdout.readline(), 30)).decode()
        assert line.startswith(f"codec server on https://127.0.0.1:{port}"), line
        trusted = ssl.create_default_context(cafile=str(tls.ca))
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"https://127.0.0.1:{port}/decode",
                data=body,
                headers={**JSON, "Authorization": f"Bearer {TOKEN}"},
                ssl=trusted,
            ) as r:
                assert r.status == 200
                assert NAME.encode() in json_format.Parse(await r.text(), Payloads()).payloads[0].data
            try:  # plain http gets no answer from an https server
                async with http.post(f"http://127.0.0.1:{port}/decode", data=body) as r:
                    plain = r.status
            except aiohttp.ClientError:
                plain = None
            assert plain in (None, 400)
    finally:
        server.terminate()
        await server.wait()

    # a token file others may read is refused, naming the rule
    token_file.chmod(0o444)
    refused = await asyncio.create_subprocess_exec(
        NRM, "codec-server", "--port", str(port), env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(refused.communicate(), 30)
    assert refused.returncode == 2 and "readable by others" in err.decode(), err


class IdentityProvider:
    """The signing keys of an OIDC provider as a JWKS endpoint, and tokens it signs."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [{**public, "kid": "idp-1", "use": "sig", "alg": "RS256"}]}

    def token(self, key: rsa.RSAPrivateKey | None = None, **claims: object) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "coordinator-7", "iat": now, "exp": now + 300, **claims}
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": "idp-1"})


@pytest_asyncio.fixture
async def oidc_codec_url(nrm: NrmClient) -> AsyncIterator[tuple[str, IdentityProvider]]:
    idp = IdentityProvider()

    async def certs(request: web.Request) -> web.Response:
        return web.json_response(idp.jwks)

    jwks_app = web.Application()
    jwks_app.router.add_get("/certs", certs)
    jwks_runner = web.AppRunner(jwks_app)
    await jwks_runner.setup()
    jwks_port = free_port()
    await web.TCPSite(jwks_runner, "127.0.0.1", jwks_port).start()
    access = AccessTokens(ISSUER, f"http://127.0.0.1:{jwks_port}/certs", AUDIENCE)
    app = build_codec_app(
        EncryptionCodec(KeyRing.load(nrm.settings.key_path)), TOKEN, UI_ORIGIN, cross_site=True, access=access
    )
    runner = await start_codec_server(app, "127.0.0.1", 0)
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}", idp
    finally:
        await runner.cleanup()
        await jwks_runner.cleanup()


async def test_the_web_uis_forwarded_access_token_is_validated(
    nrm: NrmClient, oidc_codec_url: tuple[str, IdentityProvider]
) -> None:
    url, idp = oidc_codec_url
    _, body = await encrypted_start_input(nrm)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    refused = {
        "expired": idp.token(exp=now - 120, iat=now - 600),
        "another issuer": idp.token(iss="https://elsewhere.invalid"),
        "another audience": idp.token(aud="someone-else"),
        "signed by another key": idp.token(key=stranger),
        "unsigned": jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "exp": now + 300}, None, algorithm="none"),
        "not a token": "not-a-jwt",
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{url}/decode", data=body, headers={**JSON, "Authorization": f"Bearer {idp.token()}"}
        ) as r:
            assert r.status == 200
            assert NAME.encode() in json_format.Parse(await r.text(), Payloads()).payloads[0].data
        for what, token in refused.items():
            async with http.post(f"{url}/decode", data=body, headers={**JSON, "Authorization": f"Bearer {token}"}) as r:
                assert r.status == 401, what
                assert NAME not in await r.text()


async def test_the_session_cookie_works_when_the_web_ui_is_on_another_site(
    oidc_codec_url: tuple[str, IdentityProvider],
) -> None:
    url, _ = oidc_codec_url
    async with aiohttp.ClientSession() as http, http.post(f"{url}/login", data={"token": TOKEN}) as r:
        assert r.status == 200
        cookie = r.headers["Set-Cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=none"} <= attributes
