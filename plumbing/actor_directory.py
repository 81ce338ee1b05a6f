"""The actor directory file (who may act, with which public key) and the worker's copy of it.

The directory (NRM_ACTORS_FILE, default `$NRM_HOME/actors.json`) holds no secret but decides who may act, so it must
not be writable by group or others. A worker reads it at start and follows it (a change is seen within
`actors_refresh`); the Update validators of every case verify acts against that one copy. Validators never run on
replay, so the directory needs no place in any case's history, and `nrm actors add|revoke` reach every case without
a message to each.

Where workers have no shared file, the directory comes from NRM_ACTORS_URL instead: https only (NRM_ACTORS_URL_CA
for a private CA), at most MAX_DIRECTORY_BYTES, answered within URL_TIMEOUT, fetched again every `actors_url_refresh`
(with If-None-Match). As with the file, a fetch that fails keeps the last good directory in force.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import structlog
from pydantic import ValidationError

from domain.actors import ActorDirectory, NotVerified
from plumbing.private_files import PrivateFileError, write_private
from plumbing.settings import Settings

log = structlog.get_logger(__name__)


class DirectoryError(PrivateFileError):
    """The actor directory cannot be trusted or changed as asked."""


def load_directory(path: Path) -> ActorDirectory:
    """The directory file; an absent file is an empty directory (every act is then refused by name)."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return ActorDirectory()
    if mode & 0o022:
        raise DirectoryError(
            f"actor directory {path} is writable by group or others (mode {mode:o}): anyone "
            f"who can write it can make themselves an actor; `chmod 644 {path}`"
        )
    return parse_directory(path.read_bytes(), f"actor directory {path}")


def parse_directory(data: bytes, source: str) -> ActorDirectory:
    try:
        return ActorDirectory.model_validate_json(data)
    except ValidationError as exc:
        raise DirectoryError(
            f"{source} is malformed: {exc.error_count()} problem(s), "
            f"first at {'.'.join(map(str, exc.errors()[0]['loc']))}"
        ) from None


MAX_DIRECTORY_BYTES = 4 * 1024 * 1024  # some 10,000 actors; a larger answer is not a directory
URL_TIMEOUT = 10.0  # seconds to connect, and between bytes of the answer


async def fetch_directory(url: str, ca: Path | None, etag: str | None) -> tuple[ActorDirectory | None, str | None]:
    """The directory at `url` and its ETag; (None, etag) when the server says it has not changed (304)."""
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(ca)) if ca else True
    source = f"actor directory at {httpx.URL(url).host}"
    try:
        async with (
            httpx.AsyncClient(verify=verify, timeout=URL_TIMEOUT) as http,
            http.stream("GET", url, headers={"If-None-Match": etag} if etag else {}) as response,
        ):
            if response.status_code == 304:
                return None, etag
            if response.status_code != 200:
                raise DirectoryError(f"{source} answered HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_DIRECTORY_BYTES:
                    raise DirectoryError(f"{source} is larger than {MAX_DIRECTORY_BYTES} bytes")
            new_etag = response.headers.get("ETag")
    except httpx.HTTPError as exc:
        raise DirectoryError(f"{source} cannot be fetched: {type(exc).__name__}") from None
    return parse_directory(bytes(body), source), new_etag


def save_directory(path: Path, directory: ActorDirectory) -> None:
    write_private(
        path, json.dumps(directory.model_dump(mode="json", exclude={"max_assertion_age"}), indent=2), replace=True
    )
    path.chmod(0o644)


class ActorDirectoryFollower:
    """The worker's directory: read at start, read again whenever the file changes, for as long as the worker runs.

    A file that becomes unreadable or malformed keeps the last good directory in force and is logged; a worker
    that never read a good one refuses every act, saying why.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._seen: tuple[int, int, int] | None = None
        self._etag: str | None = None
        self._directory: ActorDirectory | None = None
        self._problem = "not read yet"
        if settings.actors_url is None:
            self.refresh()

    @property
    def path(self) -> Path:
        return self.settings.actors_path

    def current(self) -> ActorDirectory:
        if self._directory is None:
            raise NotVerified(f"the worker holds no actor directory ({self._problem}): no act can be verified")
        return self._directory

    def refresh(self) -> None:
        """Read the file again if it changed since it was last read (its inode, size or modification time)."""
        try:
            st = self.path.stat()
            seen = (st.st_ino, st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            seen = (0, 0, 0)
        if seen == self._seen:
            return
        self._seen = seen  # a bad file is reported once, and read again when it changes
        try:
            directory = load_directory(self.path)
            self._directory = directory.model_copy(update={"max_assertion_age": self.settings.assertion_max_age})
        except PrivateFileError as exc:
            self._problem = str(exc)
            log.error("actor directory unreadable or malformed: the last one read stays in force", path=str(self.path))
            return
        log.info("actor directory read", path=str(self.path), revision=self._directory.revision)

    async def refresh_url(self, url: str) -> None:
        """Fetch the directory again (a 304 keeps the one in force)."""
        try:
            directory, self._etag = await fetch_directory(url, self.settings.actors_url_ca, self._etag)
        except DirectoryError as exc:
            self._problem = str(exc)
            log.error("actor directory cannot be fetched: the last one read stays in force", reason=str(exc))
            return
        if directory is not None:
            self._directory = directory.model_copy(update={"max_assertion_age": self.settings.assertion_max_age})
            log.info("actor directory fetched", revision=self._directory.revision)

    async def follow(self) -> None:
        url = self.settings.actors_url
        every = self.settings.actors_url_refresh if url else self.settings.actors_refresh
        while True:
            await asyncio.sleep(every.total_seconds())
            if url:
                await self.refresh_url(url)
            else:
                self.refresh()

    @asynccontextmanager
    async def following(self) -> AsyncIterator[None]:
        """Follow the file or URL for as long as the context lasts (the worker plugin's run context); a URL is
        fetched once before the worker starts."""
        if self.settings.actors_url:
            await self.refresh_url(self.settings.actors_url)
        task = asyncio.create_task(self.follow())
        try:
            yield
        finally:
            task.cancel()
