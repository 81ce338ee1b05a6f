"""The actor directory and the actors' signing keys, and the client interceptor that signs every act.

The directory (NRM_ACTORS_FILE, default `$NRM_HOME/actors.json`) lists each actor's id, role, Ed25519 public key
and revocation; it holds no secret but decides who may act, so it must not be writable by group or others. The
workers read and follow it (plumbing.actor_directory); `nrm actors add|revoke` change it.
An actor's private key lives in `$NRM_HOME/actors/<id>.key` (owner-only) on the machine they act from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel
from temporalio.api.common.v1 import Payload
from temporalio.client import (
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    StartWorkflowUpdateInput,
    StartWorkflowUpdateWithStartInput,
    WorkflowHandle,
    WorkflowUpdateHandle,
)

from domain.actors import ActorAssertion, DirectoryEntry, public_key_text, sign_act
from domain.requests import OpenCase
from domain.roles import Act, Actor
from plumbing.actor_directory import DirectoryError, load_directory, save_directory
from plumbing.private_files import PrivateFileError, read_private, write_private
from plumbing.settings import Settings
from workflows.actor_check import ASSERTION_HEADER, assertion_header


def private_key_path(settings: Settings, actor_id: str) -> Path:
    return settings.actor_keys_dir / f"{actor_id}.key"


def add_actor(settings: Settings, actor: Actor, public_key: str | None = None) -> DirectoryEntry:
    """Register an actor: with their own public key (base64 raw Ed25519), or with a new key pair whose private
    half is written to `$NRM_HOME/actors/<id>.key`."""
    directory = load_directory(settings.actors_path)
    if actor.id in directory.actors:
        raise DirectoryError(
            f"actor {actor.id} is already in the directory (as "
            f"{directory.actors[actor.id].role.value}); ids are never reused"
        )
    if public_key is None:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        write_private(private_key_path(settings, actor.id), pem.decode(), replace=False)
        public_key = public_key_text(key)
    entry = DirectoryEntry(id=actor.id, role=actor.role, public_key=public_key, added_at=datetime.now(UTC))
    directory.actors[actor.id] = entry
    directory.revision += 1
    save_directory(settings.actors_path, directory)
    return entry


def revoke_actor(settings: Settings, actor_id: str) -> DirectoryEntry:
    directory = load_directory(settings.actors_path)
    entry = directory.actors.get(actor_id)
    if entry is None:
        raise DirectoryError(f"actor {actor_id} is not in the directory {settings.actors_path}")
    if entry.revoked_at is None:
        entry.revoked_at = datetime.now(UTC)
        directory.revision += 1
        save_directory(settings.actors_path, directory)
    return entry


def load_private_key(settings: Settings, actor_id: str) -> Ed25519PrivateKey:
    path = private_key_path(settings, actor_id)
    text = read_private(
        path, missing_hint=f"actor {actor_id} has no signing key on this machine (`nrm actors add ROLE:ID` creates one)"
    )
    key = serialization.load_pem_private_key(text.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise PrivateFileError(f"{path} is not an Ed25519 private key")
    return key


class SigningInterceptor(Interceptor):
    """Signs every Update whose argument names an `actor`, and the start of a new case by its opener, with that
    actor's key, and sends the assertion in the header: the arguments themselves stay as they are, and the history
    keeps the assertion for audit."""

    def __init__(
        self, key_for: Callable[[Actor], Ed25519PrivateKey], clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.key_for = key_for
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> SigningInterceptor:
        return cls(lambda actor: load_private_key(settings, actor.id))

    def assertion(self, workflow_id: str, update: str, request: BaseModel, actor: Actor) -> ActorAssertion:
        return sign_act(self.key_for(actor), actor, workflow_id, update, request, self.clock())

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _Signing(next, self)


class _Signing(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, signer: SigningInterceptor) -> None:
        super().__init__(next)
        self.signer = signer

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        """The opening of a new case is an act too: signed by its opener, the assertion in the start's header (the
        case verifies it before it does anything, workflows.actor_check)."""
        opening = input.args[0] if len(input.args) == 1 else None
        if isinstance(opening, OpenCase) and opening.state is None and ASSERTION_HEADER not in input.headers:
            assertion = self.signer.assertion(input.id, Act.OPEN_CASE.value, opening, opening.opened_by)
            input.headers = {**input.headers, ASSERTION_HEADER: assertion_header(assertion)}
        return await super().start_workflow(input)

    async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
        input.headers = self._signed(input.headers, input.id, input.update, input.args)
        return await super().start_workflow_update(input)

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        """An act sent with the start of a run (the re-opening of a closed case) is signed like any other."""
        update = input.update_workflow_input
        update.headers = self._signed(update.headers, input.start_workflow_input.id, update.update, update.args)
        return await super().start_update_with_start_workflow(input)

    def _signed(
        self, headers: Mapping[str, Payload], workflow_id: str, update: str, args: Sequence[Any]
    ) -> Mapping[str, Payload]:
        request = args[0] if len(args) == 1 else None
        actor = getattr(request, "actor", None)
        if isinstance(request, BaseModel) and isinstance(actor, Actor) and ASSERTION_HEADER not in headers:
            assertion = self.signer.assertion(workflow_id, update, request, actor)
            return {**headers, ASSERTION_HEADER: assertion_header(assertion)}
        return headers
