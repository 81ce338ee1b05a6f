"""The codec server on a real dev server: the right token decodes, no token is 401, CORS only for the Web UI's
origin, and `temporal workflow show --codec-endpoint` prints the decrypted case."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from domain.reference import workflow_id
from plumbing.codec import EncryptionCodec, KeyRing
from starter.client import NrmClient
from starter.codec_server import SESSION_COOKIE, build_codec_app, start_codec_server
from starter.up import temporal_binary
from tests.integration.helpers import FIRST_RESPONDER, adult_referral, history_events

TOKEN = "test-codec-token-4f1c"
UI_ORIGIN = "http://127.0.0.1:18233"
NAME = "Codec Server Test Person"


@pytest_asyncio.fixture
async def codec_url(nrm: NrmClient) -> AsyncIterator[str]:
    app = build_codec_app(EncryptionCodec(KeyRing.load(nrm.settings.key_path)), TOKEN, UI_ORIGIN)
    runner = await start_codec_server(app, "127.0.0.1", 0)
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def encrypted_start_input(nrm: NrmClient) -> tuple[str, str]:
    """A new case and its workflow input as stored by the server, as the codec protocol's JSON body."""
    ref = await nrm.open_case(adult_referral(person={"name": NAME}), FIRST_RESPONDER)
    start = (await history_events(nrm.client, ref))[0]
    payloads = start.workflow_execution_started_event_attributes.input
    assert NAME.encode() not in payloads.SerializeToString()
    return ref, json_format.MessageToJson(payloads)


async def test_decode_needs_the_token_or_the_signed_in_cookie(nrm: NrmClient, codec_url: str) -> None:
    _, body = await encrypted_start_input(nrm)
    json_headers = {"Content-Type": "application/json", "X-Namespace": "default"}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # unsafe: IP hosts
        async with http.post(f"{codec_url}/decode", data=body, headers=json_headers) as r:
            assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
            assert NAME not in await r.text()
        async with http.post(
            f"{codec_url}/decode", data=body, headers={**json_headers, "Authorization": "Bearer wrong"}
        ) as r:
            assert r.status == 401
        async with http.post(
            f"{codec_url}/decode", data=body, headers={**json_headers, "Authorization": f"Bearer {TOKEN}"}
        ) as r:
            assert r.status == 200
            decoded = json_format.Parse(await r.text(), Payloads())
        assert NAME.encode() in decoded.payloads[0].data
        async with http.post(
            f"{codec_url}/encode", data=await r.text(), headers={**json_headers, "Authorization": f"Bearer {TOKEN}"}
        ) as r:
            assert r.status == 200 and NAME not in await r.text()

        async with http.post(f"{codec_url}/login", data={"token": "wrong"}) as r:
            assert r.status == 401 and SESSION_COOKIE not in r.cookies
        async with http.post(f"{codec_url}/login", data={"token": TOKEN}) as r:
            assert r.status == 200 and r.cookies[SESSION_COOKIE]["httponly"]
        async with http.post(f"{codec_url}/decode", data=body, headers=json_headers) as r:
            assert r.status == 200
            assert json_format.Parse(await r.text(), Payloads()) == decoded


async def test_cors_answers_only_the_configured_web_ui_origin(nrm: NrmClient, codec_url: str) -> None:
    _, body = await encrypted_start_input(nrm)
    auth = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-namespace"}
    async with aiohttp.ClientSession() as http:
        async with http.options(f"{codec_url}/decode", headers={**preflight, "Origin": UI_ORIGIN}) as r:
            assert r.status == 204
            assert r.headers["Access-Control-Allow-Origin"] == UI_ORIGIN
            assert r.headers["Access-Control-Allow-Credentials"] == "true"
            assert "x-namespace" in r.headers["Access-Control-Allow-Headers"]
        async with http.options(f"{codec_url}/decode", headers={**preflight, "Origin": "http://evil.invalid"}) as r:
            assert r.status == 403 and "Access-Control-Allow-Origin" not in r.headers
        async with http.post(f"{codec_url}/decode", data=body, headers={**auth, "Origin": "http://evil.invalid"}) as r:
            assert "Access-Control-Allow-Origin" not in r.headers
        async with http.post(f"{codec_url}/decode", data=body, headers={**auth, "Origin": UI_ORIGIN}) as r:
            assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == UI_ORIGIN


async def test_temporal_workflow_show_decrypts_through_the_codec_server(nrm: NrmClient, codec_url: str) -> None:
    ref, _ = await encrypted_start_input(nrm)

    async def show(*codec: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            temporal_binary(),
            "workflow",
            "show",
            "--workflow-id",
            workflow_id(ref),
            "--address",
            nrm.settings.temporal_address,
            "--detailed",
            *codec,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        return out.decode()

    shown = await show("--codec-endpoint", codec_url, "--codec-auth", f"Bearer {TOKEN}")
    assert NAME in shown and "input[0].referral.person.name" in shown
    assert NAME not in await show()  # without the codec server: ciphertext only
