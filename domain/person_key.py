"""The pseudonymous person key that links the cases of a person referred again (re-trafficking).

A keyed hash (HMAC-SHA-256, the secret in the key ring) of the person's normalised name, date of birth and
nationality: the same person referred twice gets the same key, and without the secret nobody can compute a key
from what they know of someone, nor test a guess. It is computed where a case is opened and travels only inside
encrypted payloads (the person registry's state), never in a workflow id, a search attribute or a log.

Normalising forgives what differs between two referrals of the same person: letter case, accents, punctuation,
spacing and the order of the names ("POPESCU, Ana-Maria" is "ana maria popescu"). A nationality given once and not
the next time gives another key: it is part of who the person is, and two people with the same name and birth
date are told apart by it.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from domain.referral import PersonalData

KEY_HEX = 32  # 128 bits: no collision among any number of persons an NRM sees, and half the registry's bytes


def _letters(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return kept.split()


def normalised(person: PersonalData) -> str | None:
    """What the key is a hash of, or None when the referral has no name or no date of birth to key on."""
    names = sorted(_letters(person.name or ""))
    if not names or person.date_of_birth is None:
        return None
    nationality = " ".join(_letters(person.nationality or ""))
    return "\n".join([" ".join(names), person.date_of_birth.isoformat(), nationality])


def person_key(secret: bytes, person: PersonalData) -> str | None:
    """The person's key (hex), or None when there is nothing to key on."""
    text = normalised(person)
    if text is None:
        return None
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()[:KEY_HEX]
