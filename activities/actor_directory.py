"""The actor directory as the cases see it: read from the worker's file, so that it reaches each case as an
activity result in its history (deterministic on replay), at the case's start and whenever it is told of a change."""

from __future__ import annotations

from temporalio import activity

from domain.actors import ActorDirectory
from starter.actors import load_directory
from starter.settings import Settings


class ActorDirectoryActivities:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @activity.defn(name="load_actor_directory")
    async def load_actor_directory(self) -> ActorDirectory:
        directory = load_directory(self.settings.actors_path)
        return directory.model_copy(update={"max_assertion_age": self.settings.assertion_max_age})
