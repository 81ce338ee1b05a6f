"""The actor directory as the worker holds it, to verify every act against.

The worker reads its directory file at start and follows it (a change is seen within `actors_refresh`), and the
Update validators of every case verify acts against that one copy (workflows.actor_check). Validators never run
on replay, so the directory needs no place in any case's history, and `nrm actors add|revoke` reach every case
without a signal to each. Cases opened before CURRENT_BEHAVIOUR (workflows.case) also load a copy into their
history, by the follower's activity `load_actor_directory`: it stays registered for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import structlog
from temporalio import activity
from temporalio.client import WorkflowHistory
from temporalio.worker import Plugin, Replayer, ReplayerConfig, Worker, WorkerConfig, WorkflowReplayResult

from domain.actors import ActorDirectory, NotVerified
from starter.actors import load_directory
from starter.private_files import PrivateFileError
from starter.settings import Settings

log = structlog.get_logger(__name__)


class ActorDirectoryFollower(Plugin):
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
        self._seen = seen   # a bad file is reported once, and read again when it changes
        try:
            directory = load_directory(self.path)
            self._directory = directory.model_copy(update={"max_assertion_age": self.settings.assertion_max_age})
        except PrivateFileError as exc:
            self._problem = str(exc)
            log.error("actor directory unreadable or malformed: the last one read stays in force", path=str(self.path))
            return
        log.info("actor directory read", path=str(self.path), revision=self._directory.revision)

    @activity.defn(name="load_actor_directory")
    async def load_actor_directory(self) -> ActorDirectory:
        """The copy that cases opened before CURRENT_BEHAVIOUR load into their history (it decides nothing now)."""
        self.refresh()
        return self.current()

    async def follow(self) -> None:
        while True:
            await asyncio.sleep(self.settings.actors_refresh.total_seconds())
            self.refresh()

    # ---- Plugin: follow the file while the worker runs --------------------------------------------------

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        return config

    async def run_worker(self, worker: Worker, next: Callable[[Worker], Awaitable[None]]) -> None:
        following = asyncio.create_task(self.follow())
        try:
            await next(worker)
        finally:
            following.cancel()

    def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
        return config

    def run_replayer(
        self,
        replayer: Replayer,
        histories: AsyncIterator[WorkflowHistory],
        next: Callable[[Replayer, AsyncIterator[WorkflowHistory]],
                       AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]]],
    ) -> AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]]:
        return next(replayer, histories)
