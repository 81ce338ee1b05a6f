"""AES-256-GCM payload encryption with a key ring: one active key for new payloads, older keys still decrypt.

Every payload the SDK writes (workflow, activity and update inputs and results, query results, failures) goes
through this codec, so personal data is never stored in clear in the Temporal database.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from plumbing.payloads import undecodable
from plumbing.private_files import PrivateFileError, read_private, write_private
from plumbing.settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"


class UnknownKey(LookupError):
    """A payload names a key that is not in the ring."""


class KeyFileError(PrivateFileError):
    """The key file is missing, malformed or readable by someone other than its owner."""


class KeyRing:
    """`person_secret`: the HMAC key of the pseudonymous person keys (domain.person_key) that link a person's cases.
    It lives beside the payload keys because every client that opens a case holds this file already; rotation keeps
    it (a new secret would no longer find anyone's earlier cases). A ring without one keys no person."""

    def __init__(self, keys: dict[str, bytes], active: str, person_secret: bytes | None = None) -> None:
        if active not in keys:
            raise ValueError(f"active key {active!r} is not in the key ring")
        for kid, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"key {kid!r} is not 256 bits")
        if person_secret is not None and len(person_secret) != 32:
            raise ValueError("the person key secret is not 256 bits")
        self.keys = keys
        self.active = active
        self.person_secret = person_secret

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        """Read the key file, refusing one that others could read (the keys open every case; the rule is
        plumbing.private_files')."""
        try:
            text = read_private(path, missing_hint="create one with `nrm keys new`")
        except PrivateFileError as exc:
            raise KeyFileError(f"key file {exc}") from None
        return cls.parse(text, f"key file {path}")

    @classmethod
    def parse(cls, text: str, source: str) -> KeyRing:
        """A key file's JSON; `source` names where it came from in the error, never its content."""
        try:
            data = json.loads(text)
            person = data.get("person_key")
            return cls(
                {kid: base64.b64decode(k) for kid, k in data["keys"].items()},
                data["active"],
                base64.b64decode(person) if person is not None else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyFileError(f"{source} is malformed: {exc}") from None

    @classmethod
    def configured(cls, settings: Settings) -> KeyRing:
        """NRM_KEYS (the key file's JSON, as a platform passes a secret in a variable), else the key file
        (NRM_KEY_FILE: a mounted secret file, or `$NRM_HOME/keys.json`)."""
        if settings.keys is not None:
            return cls.parse(settings.keys.get_secret_value(), "NRM_KEYS")
        return cls.load(settings.key_path)

    def with_new_active_key(self) -> KeyRing:
        """A ring with a fresh key made active; the old keys stay so that existing payloads still decrypt. The person
        key secret stays too (a ring from before it gets one)."""
        kid = _new_key_id(self.keys)
        return KeyRing({**self.keys, kid: AESGCM.generate_key(256)}, kid, self.person_secret or secrets.token_bytes(32))

    def save(self, path: Path) -> None:
        """Replace the key file atomically; it is readable by its owner only."""
        data: dict[str, object] = {
            "active": self.active,
            "keys": {kid: base64.b64encode(k).decode() for kid, k in self.keys.items()},
        }
        if self.person_secret is not None:
            data["person_key"] = base64.b64encode(self.person_secret).decode()
        body = json.dumps(data)
        write_private(path, body, replace=True)

    @staticmethod
    def create(path: Path) -> None:
        """Write a new key file with one key and a person key secret, readable by its owner only; never overwrites
        one."""
        if path.exists():
            raise KeyFileError(f"a key file already exists at {path}; it was left unchanged")
        kid = _new_key_id({})
        KeyRing({kid: AESGCM.generate_key(256)}, kid, secrets.token_bytes(32)).save(path)


def _new_key_id(taken: dict[str, bytes]) -> str:
    while (kid := f"k{secrets.token_hex(4)}") in taken:
        pass
    return kid


class EncryptionCodec(PayloadCodec):
    """`mark_undecodable`: a payload that names an unknown key or does not verify becomes a marked payload
    (plumbing.payloads) instead of an error; the worker's codec, so that one bad act does not fail a workflow task."""

    def __init__(self, ring: KeyRing, *, mark_undecodable: bool = False) -> None:
        self.ring = ring
        self.mark_undecodable = mark_undecodable

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        kid = self.ring.active
        aes = AESGCM(self.ring.keys[kid])
        out = []
        for p in payloads:
            nonce = os.urandom(12)
            out.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: kid.encode()},
                    data=nonce + aes.encrypt(nonce, p.SerializeToString(), None),
                )
            )
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            if p.metadata.get("encoding") != ENCODING:
                out.append(p)
                continue
            try:
                out.append(self._decrypt(p))
            except (UnknownKey, InvalidTag, DecodeError, ValueError) as exc:
                if not self.mark_undecodable:
                    raise
                out.append(
                    undecodable(
                        str(exc)
                        if isinstance(exc, UnknownKey)
                        else "the payload does not decrypt with the key it names (altered or forged)"
                    )
                )
        return out

    def _decrypt(self, p: Payload) -> Payload:
        kid = p.metadata.get(KEY_ID, b"").decode(errors="replace")
        key = self.ring.keys.get(kid)
        if key is None:
            raise UnknownKey(
                f"payload was encrypted with key {kid[:16]!r}, which is not in the key ring: "
                f"add that key to the key file (keys are never removed by rotation)"
            )
        plain = AESGCM(key).decrypt(p.data[:12], p.data[12:], None)
        return Payload.FromString(plain)
