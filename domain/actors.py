"""Verifiable actors: who may act is proven by a signature, not claimed.

Every act (Update) carries an `ActorAssertion`: the actor's id and role, when it was issued, and a digest that
binds it to one case, one act and that act's exact arguments, signed with the actor's Ed25519 private key. The
case verifies it against the deployment's `ActorDirectory` (public keys, roles, revocations). A copied assertion
is worthless elsewhere: its digest names the case, the act and the arguments it was made for.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, Field

from domain.errors import DomainError
from domain.roles import Actor, Role

FUTURE_SKEW = timedelta(seconds=30)  # clocks differ a little between a signer and the worker


class NotVerified(DomainError):
    """The act's assertion is missing, forged, expired, revoked, for another act, or for another role."""


class DirectoryEntry(BaseModel):
    id: str
    role: Role
    public_key: str  # raw Ed25519 public key, base64
    added_at: datetime
    revoked_at: datetime | None = None


class ActorDirectory(BaseModel):
    """The deployment's actors as a worker holds them. `revision` grows with every change of the directory."""

    revision: int = 0
    max_assertion_age: timedelta = timedelta(minutes=5)
    actors: dict[str, DirectoryEntry] = Field(default_factory=dict)


class ActorAssertion(BaseModel):
    actor_id: str
    role: Role
    issued_at: datetime
    digest: str  # act_digest(case, act, arguments), hex
    signature: str = ""  # Ed25519 over signed_bytes(), base64

    def signed_bytes(self) -> bytes:
        return _canonical(self.model_dump(mode="json", exclude={"signature"}))


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def act_digest(case_id: str, act: str, arguments: BaseModel) -> str:
    """SHA-256 of the case's workflow id, the act's (Update's) name and its arguments in canonical JSON."""
    return hashlib.sha256(
        _canonical({"case": case_id, "act": act, "arguments": arguments.model_dump(mode="json")})
    ).hexdigest()


def public_key_text(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes_raw()).decode()


def sign_act(
    key: Ed25519PrivateKey, actor: Actor, case_id: str, act: str, arguments: BaseModel, now: datetime
) -> ActorAssertion:
    assertion = ActorAssertion(
        actor_id=actor.id, role=actor.role, issued_at=now, digest=act_digest(case_id, act, arguments)
    )
    assertion.signature = base64.b64encode(key.sign(assertion.signed_bytes())).decode()
    return assertion


def verify_act(
    directory: ActorDirectory,
    assertion: ActorAssertion | None,
    actor: Actor,
    case_id: str,
    act: str,
    arguments: BaseModel,
    now: datetime,
) -> None:
    """Raise NotVerified, with a message saying which check failed, unless the assertion proves `actor` did this."""
    if assertion is None:
        raise NotVerified(
            "the act is unsigned: every act must carry an assertion signed with the actor's key "
            "(`nrm actors add` creates one; the CLI and NrmClient sign with it)"
        )
    if (assertion.actor_id, assertion.role) != (actor.id, actor.role):
        raise NotVerified(
            f"the assertion is signed for {assertion.role.value}:{assertion.actor_id}, not for the act's actor {actor}"
        )
    entry = directory.actors.get(actor.id)
    if entry is None:
        raise NotVerified(f"actor {actor.id} is not in the actor directory")
    if entry.revoked_at is not None:
        raise NotVerified(
            f"actor {actor.id} was revoked on {entry.revoked_at:%Y-%m-%d %H:%M} UTC: "
            "their assertions are no longer accepted"
        )
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(entry.public_key)).verify(
            base64.b64decode(assertion.signature), assertion.signed_bytes()
        )
    except (InvalidSignature, ValueError):
        raise NotVerified(
            f"forged assertion: its signature does not verify with actor {actor.id}'s registered key"
        ) from None
    if assertion.digest != act_digest(case_id, act, arguments):
        raise NotVerified(
            "the assertion was signed for another case, another act or other arguments: "
            "it cannot be reused for this one"
        )
    if entry.role is not assertion.role:
        raise NotVerified(f"actor {actor.id} is registered as {entry.role.value}, not {assertion.role.value}")
    age = now - assertion.issued_at
    if age > directory.max_assertion_age:
        raise NotVerified(
            f"the assertion expired: issued {int(age.total_seconds())} s ago, more than the "
            f"{int(directory.max_assertion_age.total_seconds())} s allowed; sign the act again"
        )
    if -age > FUTURE_SKEW:
        raise NotVerified(
            f"the assertion is issued {int(-age.total_seconds())} s in the future: check the signer's clock"
        )
