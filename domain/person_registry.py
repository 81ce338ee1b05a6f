"""The person registry: which cases each pseudonymous person key (domain.person_key) was opened for, so that a
person referred again is linked to their earlier cases (re-trafficking).

One registry per namespace (workflows.person_registry). Its state is one encrypted payload carried through
continue-as-new, so it is bounded: at most MAX_CASES_PER_PERSON references a person (the most recent) and
MAX_PERSONS persons, the one registered least recently making room for a new one. About 60 bytes a person: the
state stays below a megabyte, half the engine's payload limit.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from domain.errors import InvalidRequest
from domain.person_key import KEY_HEX
from domain.reference import check_reference
from domain.requests import ActRequest
from domain.roles import Act, authorize

REGISTRY_ID = "nrm-person-registry"
REGISTER = "register_person"  # the Update that registers a case (workflows.person_registry)
MAX_PERSONS = 15_000
MAX_CASES_PER_PERSON = 20
_KEY = re.compile(rf"^[0-9a-f]{{{KEY_HEX}}}$")


class PersonRegistry(BaseModel):
    """Person key -> the references of their cases, oldest first; the person registered least recently first."""

    cases: dict[str, list[str]] = Field(default_factory=dict)


class RegisterPerson(ActRequest):
    """Register the case `reference` as opened for the person `key`; the answer lists their earlier cases. Signed by
    the actor who opened the case."""

    key: str
    reference: str


def check_registration(request: RegisterPerson) -> None:
    authorize(Act.OPEN_CASE, request.actor, stage1_delegated=False)
    if not _KEY.match(request.key):
        raise InvalidRequest(f"a person key is {KEY_HEX} hexadecimal digits (domain.person_key)")
    check_reference(request.reference)


def register(registry: PersonRegistry, key: str, reference: str) -> list[str]:
    """The person's earlier cases, most recent last; `reference` is registered after them (once, whatever the
    number of times it is registered: an opening retried gets the same answer)."""
    reference = check_reference(reference)
    known = registry.cases.pop(key, [])
    if reference in known:  # a retried registration: the answer it had the first time
        registry.cases[key] = known
        return known[: known.index(reference)]
    registry.cases[key] = [*known, reference][-MAX_CASES_PER_PERSON:]
    while len(registry.cases) > MAX_PERSONS:
        del registry.cases[next(iter(registry.cases))]
    return known
