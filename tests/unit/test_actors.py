"""Actor assertions without a server: each way an assertion can fail is refused with its own message."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.actors import ActorDirectory, DirectoryEntry, NotVerified, public_key_text, sign_act, verify_act
from domain.case import Outcome
from domain.requests import DecisionRequest
from domain.roles import Act, Actor, Role

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CA = Actor(role=Role.COMPETENT_AUTHORITY, id="ca-1")
KEY = Ed25519PrivateKey.generate()
DIRECTORY = ActorDirectory(
    revision=1,
    actors={
        "ca-1": DirectoryEntry(id="ca-1", role=Role.COMPETENT_AUTHORITY, public_key=public_key_text(KEY), added_at=NOW),
        "fr-1": DirectoryEntry(id="fr-1", role=Role.FIRST_RESPONDER, public_key=public_key_text(KEY), added_at=NOW),
        "ca-2": DirectoryEntry(
            id="ca-2",
            role=Role.COMPETENT_AUTHORITY,
            public_key=public_key_text(KEY),
            added_at=NOW,
            revoked_at=NOW - timedelta(days=1),
        ),
    },
)
CASE = "case-NRM-AAAA-BBBB"


def request(actor: Actor = CA, reasons: str = "indicators present") -> DecisionRequest:
    return DecisionRequest(actor=actor, outcome=Outcome.POSITIVE, reasons=reasons)


REQUEST = request()


def check(
    assertion,
    req: DecisionRequest = REQUEST,
    *,
    case: str = CASE,
    act: str = Act.STAGE1_DECISION.value,
    now: datetime = NOW,
) -> None:
    verify_act(DIRECTORY, assertion, req.actor, case, act, req, now)


def test_a_genuine_assertion_passes_and_survives_a_json_round_trip() -> None:
    assertion = sign_act(KEY, CA, CASE, Act.STAGE1_DECISION.value, request(), NOW)
    check(assertion)
    received = DecisionRequest.model_validate_json(request().model_dump_json())
    check(type(assertion).model_validate_json(assertion.model_dump_json()), received)


@pytest.mark.parametrize(
    ("assertion", "req", "where", "message"),
    [
        (None, request(), {}, "the act is unsigned"),
        (
            sign_act(KEY, CA, CASE, Act.STAGE1_DECISION.value, request(), NOW),
            request(Actor(role=Role.COMPETENT_AUTHORITY, id="ca-9")),
            {},
            "is signed for competent_authority:ca-1, not for the act's actor competent_authority:ca-9",
        ),
        (
            sign_act(
                KEY,
                Actor(role=Role.COMPETENT_AUTHORITY, id="ca-9"),
                CASE,
                Act.STAGE1_DECISION.value,
                request(Actor(role=Role.COMPETENT_AUTHORITY, id="ca-9")),
                NOW,
            ),
            request(Actor(role=Role.COMPETENT_AUTHORITY, id="ca-9")),
            {},
            "actor ca-9 is not in the actor directory",
        ),
        (
            sign_act(
                KEY,
                Actor(role=Role.COMPETENT_AUTHORITY, id="ca-2"),
                CASE,
                Act.STAGE1_DECISION.value,
                request(Actor(role=Role.COMPETENT_AUTHORITY, id="ca-2")),
                NOW,
            ),
            request(Actor(role=Role.COMPETENT_AUTHORITY, id="ca-2")),
            {},
            "actor ca-2 was revoked on 2026-11-19",
        ),
        (
            sign_act(Ed25519PrivateKey.generate(), CA, CASE, Act.STAGE1_DECISION.value, request(), NOW),
            request(),
            {},
            "forged assertion: its signature does not verify with actor ca-1's registered key",
        ),
        (
            sign_act(KEY, CA, CASE, Act.STAGE1_DECISION.value, request(), NOW),
            request(),
            {"case": "case-NRM-CCCC-DDDD"},
            "signed for another case, another act or other arguments",
        ),
        (
            sign_act(KEY, CA, CASE, Act.STAGE1_DECISION.value, request(), NOW),
            request(),
            {"act": Act.STAGE2_DECISION.value},
            "signed for another case, another act or other arguments",
        ),
        (
            sign_act(KEY, CA, CASE, Act.STAGE1_DECISION.value, request(), NOW),
            request(reasons="changed after signing"),
            {},
            "signed for another case, another act or other arguments",
        ),
        (
            sign_act(
                KEY,
                Actor(role=Role.COMPETENT_AUTHORITY, id="fr-1"),
                CASE,
                Act.STAGE1_DECISION.value,
                request(Actor(role=Role.COMPETENT_AUTHORITY, id="fr-1")),
                NOW,
            ),
            request(Actor(role=Role.COMPETENT_AUTHORITY, id="fr-1")),
            {},
            "actor fr-1 is registered as first_responder, not competent_authority",
        ),
        (
            sign_act(KEY, CA, CASE, Act.STAGE1_DECISION.value, request(), NOW - timedelta(minutes=6)),
            request(),
            {},
            "the assertion expired: issued 360 s ago, more than the 300 s allowed",
        ),
        (
            sign_act(KEY, CA, CASE, Act.STAGE1_DECISION.value, request(), NOW + timedelta(minutes=2)),
            request(),
            {},
            "issued 120 s in the future",
        ),
    ],
)
def test_each_failure_has_its_own_message(assertion, req, where, message) -> None:
    with pytest.raises(NotVerified, match=message):
        check(assertion, req, **where)


def test_a_tampered_signature_field_is_forged() -> None:
    assertion = sign_act(KEY, CA, CASE, Act.STAGE1_DECISION.value, request(), NOW)
    assertion.signature = base64.b64encode(b"\0" * 64).decode()
    with pytest.raises(NotVerified, match="forged"):
        check(assertion)
