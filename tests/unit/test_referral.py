"""Who is a child, who enters the NRM, and what makes a referral inconsistent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from domain.errors import InvalidRequest
from domain.referral import Referral, check_detection_date
from starter.client import parse_referral
from starter.errors import BadInput
from tests.integration.helpers import adult_referral
from tests.unit.builders import DETECTED, referral


def born(years_before_detection: int, days_offset: int = 0) -> dict:
    dob = DETECTED.replace(year=DETECTED.year - years_before_detection) + timedelta(days=days_offset)
    return {"person": {"date_of_birth": dob.isoformat()}}


def test_a_declared_child_is_a_child_and_is_referred_without_consent() -> None:
    ref = referral(child=True)
    assert ref.is_child and ref.enters_nrm and ref.consent_to_referral is None


def test_an_age_dispute_means_a_child() -> None:
    ref = referral(age_disputed=True, consent_to_referral=None)
    assert ref.is_child and ref.enters_nrm


def test_under_18_by_birth_date_is_a_child_even_if_declared_adult() -> None:
    ref = referral(consent_to_referral=None, **born(18, days_offset=1))  # 18th birthday the day after detection
    assert ref.child_by_birth_date and ref.is_child and ref.enters_nrm


def test_an_18th_birthday_on_the_day_of_detection_is_an_adult() -> None:
    ref = referral(**born(18))
    assert not ref.is_child


def test_an_adult_enters_the_nrm_only_with_consent() -> None:
    assert referral(consent_to_referral=True).enters_nrm
    declined = referral(consent_to_referral=False)
    assert not declined.is_child and not declined.enters_nrm


def invalid(**overrides) -> str:
    with pytest.raises(ValidationError) as caught:
        referral(**overrides)
    return "; ".join(e["msg"] for e in caught.value.errors())


def test_an_adult_needs_a_consent_answer() -> None:
    assert invalid(consent_to_referral=None) == (
        "Value error, an adult's referral needs consent_to_referral (true or false)"
    )


def test_a_birth_date_after_detection_is_refused() -> None:
    assert invalid(**born(0, days_offset=1)) == "Value error, date of birth is after the date of detection"


def test_unknown_fields_are_refused() -> None:
    assert invalid(nickname="x") == "Extra inputs are not permitted"


def test_a_detection_date_in_the_future_is_refused() -> None:
    ref = referral()
    check_detection_date(ref, DETECTED)
    with pytest.raises(InvalidRequest) as caught:
        check_detection_date(ref, DETECTED - timedelta(days=1))
    assert str(caught.value) == f"date of detection {DETECTED} is in the future"


def test_personal_data_stays_in_its_own_model() -> None:
    ref = Referral.model_validate(
        {
            "first_responder_id": "fr-1",
            "detected_on": date(2026, 1, 1),
            "cross_border": False,
            "consent_to_referral": True,
            "person": {"name": "A. Person"},
        }
    )
    assert ref.person.name == "A. Person" and "name" not in Referral.model_fields


@pytest.mark.parametrize(
    ("person", "why"),
    [
        ({"name": "N" * 201}, "person.name: String should have at most 200 characters"),
        ({"address": "A" * 501}, "person.address: String should have at most 500 characters"),
        ({"nationality": "X" * 65}, "person.nationality: String should have at most 64 characters"),
        ({"email": "p@" + "e" * 253}, "person.email: String should have at most 254 characters"),
        ({"date_of_birth": "0001-01-01"}, "date of birth is more than 120 years before the date of detection"),
    ],
)
def test_personal_data_is_bounded_and_dated_sanely_and_never_echoed(person: dict, why: str) -> None:
    with pytest.raises(BadInput) as refused:
        parse_referral(adult_referral(person=person))
    message = str(refused.value)
    assert why in message and not any(str(v)[:20] in message for v in person.values())


def test_a_detection_more_than_50_years_ago_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="more than 50 years ago: check the date"):
        check_detection_date(Referral.model_validate(adult_referral(detected_on="1970-01-01")), date(2026, 3, 2))
    check_detection_date(Referral.model_validate(adult_referral(detected_on="1980-01-01")), date(2026, 3, 2))
