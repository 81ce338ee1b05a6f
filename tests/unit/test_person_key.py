"""The pseudonymous person key (domain.person_key) and the person registry's rules (domain.person_registry),
without a server: what is the same person, what is bounded, what a retried registration answers."""

from __future__ import annotations

import secrets
from datetime import date

import pytest

from domain import person_registry
from domain.errors import InvalidRequest, NotAuthorized
from domain.person_key import KEY_HEX, normalised, person_key
from domain.person_registry import (
    REGISTRY_ID,
    PersonCases,
    PersonRegistry,
    RegisterPerson,
    check_registration,
    register,
    registry_id,
)
from domain.referral import PersonalData
from domain.roles import Actor, Role
from tests.integration.helpers import FIRST_RESPONDER

SECRET = secrets.token_bytes(32)
ANA = PersonalData(name="Ana-Maria Popescu", date_of_birth=date(1990, 4, 17), nationality="Romanian")


def test_the_same_person_written_otherwise_has_the_same_key() -> None:
    for written in ("POPESCU, Ana Maria", "  ana   maria popescu ", "Ána-María Popescu"):
        assert person_key(SECRET, ANA.model_copy(update={"name": written})) == person_key(SECRET, ANA)
    assert person_key(SECRET, ANA.model_copy(update={"nationality": " ROMANIAN"})) == person_key(SECRET, ANA)
    key = person_key(SECRET, ANA)
    assert key is not None and len(key) == KEY_HEX and int(key, 16) >= 0


def test_another_birth_date_name_nationality_or_secret_gives_another_key() -> None:
    key = person_key(SECRET, ANA)
    assert person_key(SECRET, ANA.model_copy(update={"date_of_birth": date(1990, 4, 18)})) != key
    assert person_key(SECRET, ANA.model_copy(update={"name": "Ana Popescu"})) != key
    assert person_key(SECRET, ANA.model_copy(update={"nationality": None})) != key
    assert person_key(secrets.token_bytes(32), ANA) != key


def test_no_name_or_no_birth_date_keys_no_one() -> None:
    assert normalised(PersonalData(name="Ana Popescu")) is None
    assert normalised(PersonalData(date_of_birth=date(1990, 4, 17))) is None
    assert person_key(SECRET, PersonalData(name=" - ", date_of_birth=date(1990, 4, 17))) is None
    assert "ana" not in (person_key(SECRET, ANA) or "")


def test_a_registration_answers_the_cases_before_and_after_and_a_retry_the_same() -> None:
    registry, key = PersonRegistry(), "a" * KEY_HEX
    assert register(registry, key, "NRM-0000-0001") == PersonCases()
    assert register(registry, key, "nrm-0000-0002") == PersonCases(earlier=["NRM-0000-0001"])
    assert register(registry, key, "NRM-0000-0002") == PersonCases(earlier=["NRM-0000-0001"])  # retried
    assert register(registry, "b" * KEY_HEX, "NRM-0000-0003") == PersonCases()
    assert register(registry, key, "NRM-0000-0004").earlier == ["NRM-0000-0001", "NRM-0000-0002"]
    # a case re-opened is registered again: its place, with the cases opened after it
    assert register(registry, key, "NRM-0000-0001") == PersonCases(later=["NRM-0000-0002", "NRM-0000-0004"])
    assert list(registry.cases) == ["b" * KEY_HEX, key]  # the person registered most recently last
    assert registry.cases[key] == ["NRM-0000-0001", "NRM-0000-0002", "NRM-0000-0004"]


def test_the_registry_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(person_registry, "MAX_PERSONS", 2)
    monkeypatch.setattr(person_registry, "MAX_CASES_PER_PERSON", 2)
    registry = PersonRegistry()
    for i in range(3):
        register(registry, "a" * KEY_HEX, f"NRM-0000-000{i}")
    assert registry.cases["a" * KEY_HEX] == ["NRM-0000-0001", "NRM-0000-0002"]  # the most recent cases
    register(registry, "b" * KEY_HEX, "NRM-0000-0010")
    register(registry, "a" * KEY_HEX, "NRM-0000-0003")  # registered again: the most recent person now
    register(registry, "c" * KEY_HEX, "NRM-0000-0011")
    assert list(registry.cases) == ["a" * KEY_HEX, "c" * KEY_HEX]  # b, registered least recently, made room


def test_a_registration_is_checked() -> None:
    shard = "nrm-person-registry-0"
    check_registration(RegisterPerson(actor=FIRST_RESPONDER, key="0" * KEY_HEX, reference="NRM-0000-0001"), shard)
    with pytest.raises(NotAuthorized, match=r"^role auditor may not open a case"):
        auditor = Actor(role=Role.AUDITOR, id="au-1")
        check_registration(RegisterPerson(actor=auditor, key="0" * KEY_HEX, reference="NRM-0000-0001"), shard)
    with pytest.raises(InvalidRequest, match="person key"):
        check_registration(RegisterPerson(actor=FIRST_RESPONDER, key="Ana Popescu", reference="NRM-0000-0001"), shard)
    with pytest.raises(InvalidRequest, match="not a case reference"):
        check_registration(RegisterPerson(actor=FIRST_RESPONDER, key="0" * KEY_HEX, reference="case-1"), shard)
    with pytest.raises(InvalidRequest, match="belongs to another shard of the registry"):
        check_registration(RegisterPerson(actor=FIRST_RESPONDER, key="f" * KEY_HEX, reference="NRM-0000-0001"), shard)


def test_a_person_is_in_the_shard_of_their_keys_first_digit() -> None:
    assert [registry_id(d * KEY_HEX) for d in "0af"] == [f"{REGISTRY_ID}-{d}" for d in "0af"]
    assert len({registry_id(f"{d:x}" * KEY_HEX) for d in range(16)}) == person_registry.SHARDS
