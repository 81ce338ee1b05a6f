"""The actor directory file (who may act, with which public key) and the worker's copy of it.

The directory (NRM_ACTORS_FILE, default `$NRM_HOME/actors.json`) holds no secret but decides who may act, so it must
not be writable by group or others. A worker reads it at start and follows it (a change is seen within
`actors_refresh`); the Update validators of every case verify acts against that one copy. Validators never run on
replay, so the directory needs no place in any case's history, and `nrm actors add|revoke` reach every case without
a message to each.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

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
    try:
        return ActorDirectory.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise DirectoryError(
            f"actor directory {path} is malformed: {exc.error_count()} problem(s), "
            f"first at {'.'.join(map(str, exc.errors()[0]['loc']))}"
        ) from None


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
        self._directory: ActorDirectory | None = None
        self._problem = "not read yet"
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

    async def follow(self) -> None:
        while True:
            await asyncio.sleep(self.settings.actors_refresh.total_seconds())
            self.refresh()

    @asynccontextmanager
    async def following(self) -> AsyncIterator[None]:
        """Follow the file for as long as the context lasts (the worker plugin's run context)."""
        task = asyncio.create_task(self.follow())
        try:
            yield
        finally:
            task.cancel()
