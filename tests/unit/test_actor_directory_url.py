"""The actor directory from an https URL (NRM_ACTORS_URL): fetched before the worker starts, fetched again and
followed, https only, a size limit, and a failing fetch that keeps the last good directory in force."""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from pydantic import ValidationError

from domain.actors import ActorDirectory, NotVerified
from plumbing.actor_directory import MAX_DIRECTORY_BYTES, ActorDirectoryFollower
from plumbing.settings import Settings
from tests.integration.nrm_cli import free_port
from tests.tlscerts import LoopbackTls, make_loopback_tls


class DirectoryServer:
    def __init__(self) -> None:
        self.body = json.dumps({"revision": 1, "actors": {}}).encode()
        self.status = 200
        self.requests: list[str | None] = []  # the If-None-Match each request carried

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request.headers.get("If-None-Match"))
        etag = f'"{hash(self.body)}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304)
        return web.Response(status=self.status, body=self.body, headers={"ETag": etag})


@pytest.fixture
def tls(tmp_path: Path) -> LoopbackTls:
    return make_loopback_tls(tmp_path / "tls")


@pytest_asyncio.fixture
async def served(tls: LoopbackTls) -> AsyncIterator[tuple[DirectoryServer, str]]:
    server = DirectoryServer()
    app = web.Application()
    app.router.add_get("/actors.json", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls.cert, tls.key)
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=context).start()
    yield server, f"https://127.0.0.1:{port}/actors.json"
    await runner.cleanup()


def settings_for(url: str, tls: LoopbackTls | None, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        home=tmp_path,
        actors_url=url,
        actors_url_ca=tls.ca if tls else None,
        actors_url_refresh=timedelta(hours=1),  # the test fetches again itself
    )


async def test_the_directory_is_fetched_before_the_worker_starts_and_followed(
    served: tuple[DirectoryServer, str], tls: LoopbackTls, tmp_path: Path
) -> None:
    server, url = served
    follower = ActorDirectoryFollower(settings_for(url, tls, tmp_path))
    with pytest.raises(NotVerified, match="not read yet"):
        follower.current()
    async with follower.following():
        assert follower.current().revision == 1
        await follower.refresh_url(url)  # unchanged: a 304 keeps it
        assert server.requests[-1] is not None and follower.current().revision == 1
        server.body = json.dumps({"revision": 2, "actors": {}}).encode()
        await follower.refresh_url(url)
        assert follower.current().revision == 2

        # a failing fetch, an oversized or malformed answer: the last good directory stays in force
        server.status = 500
        server.body = b"{}"
        await follower.refresh_url(url)
        server.status = 200
        server.body = json.dumps({"revision": 3, "actors": {}, "pad": "x" * MAX_DIRECTORY_BYTES}).encode()
        await follower.refresh_url(url)
        server.body = b'{"revision": "x"}'
        await follower.refresh_url(url)
        assert follower.current().revision == 2
        assert isinstance(follower.current(), ActorDirectory)


async def test_a_server_whose_certificate_is_not_trusted_gives_no_directory(
    served: tuple[DirectoryServer, str], tmp_path: Path
) -> None:
    _, url = served
    follower = ActorDirectoryFollower(settings_for(url, None, tmp_path))  # system CAs do not know the test CA
    async with follower.following():
        with pytest.raises(NotVerified, match="cannot be fetched: ConnectError"):
            follower.current()


def test_the_directory_url_must_be_https(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="must be https://"):
        Settings(_env_file=None, home=tmp_path, actors_url="http://directory.example/actors.json")
