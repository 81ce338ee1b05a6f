"""The person registry: which cases each pseudonymous person key (domain.person_key) was opened for, so that a
person referred again is linked to their earlier cases (re-trafficking).

The registry of a namespace is SHARDS workflows (workflows.person_registry), a person's by the first hexadecimal
digit of their key (`registry_id`): four bits of a keyed hash, which say nothing of a person without the key ring.
Each one's state is one encrypted payload carried through continue-as-new, so it is bounded: at most
MAX_CASES_PER_PERSON references a person (the most recent) and MAX_PERSONS persons, the one registered least
recently making room for a new one. About 60 bytes a person: a state stays below a megabyte, half the engine's
payload limit; the namespace remembers SHARDS * MAX_PERSONS persons (240,000).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from domain.errors import InvalidRequest
from domain.person_key import KEY_HEX
from domain.reference import check_reference
from domain.requests import ActRequest
from domain.roles import Act, authorize

REGISTRY_ID = "nrm-person-registry"  # each shard's workflow id is this, a dash, and its digit
SHARDS = 16
REGISTER = "register_person"  # the Update that registers a case (workflows.person_registry)
MAX_PERSONS = 15_000
MAX_CASES_PER_PERSON = 20
_KEY = re.compile(rf"^[0-9a-f]{{{KEY_HEX}}}$")


class PersonRegistry(BaseModel):
    """Person key -> the references of their cases, oldest first; the person registered least recently first."""

    cases: dict[str, list[str]] = Field(default_factory=dict)


class RegisterPerson(ActRequest):
    """Register the case `reference` as opened (or re-opened) for the person `key`; the answer is its place among
    their cases. Signed by the actor who opens the case."""

    key: str
    reference: str


def registry_id(key: str) -> str:
    """The workflow id of the registry shard that holds the person `key`."""
    return f"{REGISTRY_ID}-{key[0]}"


def check_registration(request: RegisterPerson, registry: str) -> None:
    """A registration the registry `registry` (its workflow id) takes: a well-formed key of its own shard."""
    authorize(Act.OPEN_CASE, request.actor, stage1_delegated=False)
    if not _KEY.match(request.key):
        raise InvalidRequest(f"a person key is {KEY_HEX} hexadecimal digits (domain.person_key)")
    if registry_id(request.key) != registry:
        raise InvalidRequest(f"the person key belongs to another shard of the registry than {registry}")
    check_reference(request.reference)


class PersonCases(BaseModel):
    """A registered case's place among the person's cases: those opened before it, and after it."""

    earlier: list[str] = Field(default_factory=list)
    later: list[str] = Field(default_factory=list)


def register(registry: PersonRegistry, key: str, reference: str) -> PersonCases:
    """Register `reference` for the person `key`, after their earlier cases, once: a retried registration, or the
    registration of a case re-opened, gets the case's place (the cases opened meanwhile after it)."""
    reference = check_reference(reference)
    known = registry.cases.pop(key, [])
    if reference not in known:
        known = [*known, reference][-MAX_CASES_PER_PERSON:]
    registry.cases[key] = known  # the person registered most recently now
    while len(registry.cases) > MAX_PERSONS:
        del registry.cases[next(iter(registry.cases))]
    at = known.index(reference)
    return PersonCases(earlier=known[:at], later=known[at + 1 :])
