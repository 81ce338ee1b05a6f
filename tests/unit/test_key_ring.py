"""The payload key ring without a server: rotation, permissions, and the error for a key that is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload

from plumbing.codec import EncryptionCodec, KeyFileError, KeyRing, UnknownKey
from plumbing.settings import Settings

PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"name": "payload under test"}')


async def test_payloads_written_under_the_old_key_still_decrypt_after_rotation(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    KeyRing.create(path)
    ring_a = KeyRing.load(path)
    [under_a] = await EncryptionCodec(ring_a).encode([PLAIN])

    ring_a.with_new_active_key().save(path)
    ring_ab = KeyRing.load(path)
    assert ring_ab.active != ring_a.active and set(ring_ab.keys) == {ring_a.active, ring_ab.active}
    [under_b] = await EncryptionCodec(ring_ab).encode([PLAIN])

    assert under_b.metadata["encryption-key-id"].decode() == ring_ab.active
    assert b"payload under test" not in under_a.data + under_b.data
    assert await EncryptionCodec(ring_ab).decode([under_a, under_b]) == [PLAIN, PLAIN]
    assert os.stat(path).st_mode & 0o777 == 0o600


async def test_a_missing_key_is_named_in_the_error(tmp_path: Path) -> None:
    ring_a = KeyRing({"kold": os.urandom(32)}, "kold")
    [under_a] = await EncryptionCodec(ring_a).encode([PLAIN])
    with pytest.raises(UnknownKey, match="'kold'"):
        await EncryptionCodec(KeyRing({"knew": os.urandom(32)}, "knew")).decode([under_a])


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    KeyRing.create(path)
    for mode in (0o644, 0o604, 0o660):
        path.chmod(mode)
        with pytest.raises(
            KeyFileError, match=rf"readable by others or writable by its group \(mode {mode:o}\).*chmod"
        ):
            KeyRing.load(path)


def test_a_key_file_its_group_reads_is_accepted_as_container_platforms_mount_secrets(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    KeyRing.create(path)
    for mode in (0o640, 0o440, 0o400):
        path.chmod(mode)
        assert KeyRing.load(path).active


def test_the_key_ring_from_a_variable_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    KeyRing.create(path)
    text = path.read_text()
    path.unlink()
    settings = Settings(_env_file=None, home=tmp_path, keys=text)
    assert KeyRing.configured(settings).keys == KeyRing.parse(text, "test").keys
    with pytest.raises(KeyFileError, match=r"^NRM_KEYS is malformed"):
        KeyRing.configured(Settings(_env_file=None, home=tmp_path, keys='{"active": "k1"}'))
    with pytest.raises(KeyFileError, match="does not exist"):
        KeyRing.configured(Settings(_env_file=None, home=tmp_path))


def test_a_malformed_or_absent_key_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="nrm keys new"):
        KeyRing.load(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"active": "k1"}')
    bad.chmod(0o600)
    with pytest.raises(KeyFileError, match="malformed"):
        KeyRing.load(bad)


def test_keys_new_then_rotate_from_the_command_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NRM_", "TEMPORAL_"))}
    env["NRM_HOME"] = str(tmp_path)

    def nrm(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(Path(sys.executable).parent / "nrm"), *args], env=env, capture_output=True, text=True, timeout=60
        )

    assert nrm("keys", "new").returncode == 0
    first = KeyRing.load(tmp_path / "keys.json")
    again = nrm("keys", "new")
    assert again.returncode == 2 and "already exists" in again.stderr
    rotated = nrm("keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    ring = KeyRing.load(tmp_path / "keys.json")
    assert ring.active in rotated.stdout and first.keys.items() <= ring.keys.items()
    (tmp_path / "keys.json").chmod(0o644)
    refused = nrm("keys", "rotate")
    assert refused.returncode == 2 and refused.stderr.startswith("error: key file") and "chmod 600" in refused.stderr


def test_a_new_key_file_holds_a_person_key_secret_that_rotation_keeps(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    KeyRing.create(path)
    secret = KeyRing.load(path).person_secret
    assert secret is not None and len(secret) == 32
    KeyRing.load(path).with_new_active_key().save(path)
    assert KeyRing.load(path).person_secret == secret
    older = tmp_path / "older.json"  # a key file from before person keys: rotation gives it one
    KeyRing({"kold": os.urandom(32)}, "kold").save(older)
    assert KeyRing.load(older).person_secret is None
    assert KeyRing.load(older).with_new_active_key().person_secret is not None
