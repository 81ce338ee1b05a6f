"""The worker's actor directory: read at start, read again when the file changes, the last good one kept in force
when the file turns bad, and every act refused, saying why, by a worker that never read a good one."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.actors import NotVerified
from domain.roles import Actor
from plumbing.actor_directory import ActorDirectoryFollower
from plumbing.settings import Settings
from starter.actors import add_actor, revoke_actor


def settings_in(home: Path) -> Settings:
    return Settings(_env_file=None, home=home)


def test_follows_the_file_from_absent_to_added_to_revoked(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    follower = ActorDirectoryFollower(settings)
    assert follower.current().actors == {}  # no file yet: an empty directory, every actor unknown
    add_actor(settings, Actor.parse("competent_authority:ca-1"))
    follower.refresh()
    assert set(follower.current().actors) == {"ca-1"}
    assert follower.current().max_assertion_age == settings.assertion_max_age
    revoke_actor(settings, "ca-1")
    follower.refresh()
    assert follower.current().actors["ca-1"].revoked_at is not None


def test_a_file_turned_bad_leaves_the_last_good_directory_in_force(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    add_actor(settings, Actor.parse("coordinator:co-1"))
    follower = ActorDirectoryFollower(settings)
    good = settings.actors_path.read_text()
    settings.actors_path.write_text("{not json")
    follower.refresh()
    assert set(follower.current().actors) == {"co-1"}
    settings.actors_path.write_text(good.replace('"revision": 1', '"revision": 2') + "\n")  # mended: read again
    follower.refresh()
    assert follower.current().revision == 2


def test_a_worker_that_never_read_a_good_directory_refuses_every_act_saying_why(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    settings.actors_path.write_text("{not json")
    follower = ActorDirectoryFollower(settings)
    with pytest.raises(NotVerified, match=r"^the worker holds no actor directory \(actor directory .* is malformed"):
        follower.current()
