"""The referral that opens a case: what the first responder knows at detection.

Personal data (name, date of birth, nationality, address) sits apart in `PersonalData` so that it is easy to
see what must never reach a workflow id, a search attribute, a log line or an error message.
"""

from __future__ import annotations

import enum
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.errors import InvalidRequest

# sizes and ranges of what a referral carries (personal data is bounded like every other text)
NAME_MAX = 200
NATIONALITY_MAX = 64
ADDRESS_MAX = 500
EMAIL_MAX = 254  # RFC 5321's longest forward path
OLDEST_YEARS = 120  # a date of birth at most this long before the detection
OLDEST_DAYS = int(OLDEST_YEARS * 365.25)
DETECTED_WITHIN_YEARS = 50  # a detection at most this long ago
DETECTED_WITHIN_DAYS = int(DETECTED_WITHIN_YEARS * 365.25)


class Sex(str, enum.Enum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Exploitation(str, enum.Enum):
    SEXUAL = "sexual"
    LABOUR = "labour"
    DOMESTIC_SERVITUDE = "domestic_servitude"
    CRIMINAL = "criminal"
    BEGGING = "begging"
    ORGAN_REMOVAL = "organ_removal"
    FORCED_MARRIAGE = "forced_marriage"
    OTHER = "other"


class PersonalData(BaseModel):
    """Identifying data. Travels only inside encrypted payloads; never in ids, attributes, logs or errors."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=NAME_MAX)
    date_of_birth: date | None = None
    nationality: str | None = Field(default=None, max_length=NATIONALITY_MAX)
    address: str | None = Field(default=None, max_length=ADDRESS_MAX)
    # where an adult's letters go
    email: str | None = Field(default=None, max_length=EMAIL_MAX, pattern=r"^[^@\s]+@[^@\s]+$")


class GuardianRelation(str, enum.Enum):
    PARENT = "parent"  # family: the child's letters go here only after a positive finding that the family is safe
    LEGAL_GUARDIAN = "legal_guardian"  # appointed by the State: receives the child's letters


class GuardianContact(BaseModel):
    """A child's parent or legal guardian, to whom the child's letters may go. Personal data, like PersonalData."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=EMAIL_MAX, pattern=r"^[^@\s]+@[^@\s]+$")
    relation: GuardianRelation = GuardianRelation.PARENT
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class Referral(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_responder_id: str = Field(min_length=1, max_length=64)
    detected_on: date
    declared_child: bool = False
    age_disputed: bool = False
    unaccompanied: bool = False  # a child unaccompanied or separated: a legal guardian must be appointed
    # a positive finding that the child's family gives safe and appropriate care (the family may be the exploiter):
    # without it a legal guardian is appointed and no letter goes to a parent
    family_safe: bool = False
    sex: Sex = Sex.UNKNOWN
    exploitation_types: list[Exploitation] = Field(default_factory=list)
    cross_border: bool
    consent_to_referral: bool | None = None
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    person: PersonalData = Field(default_factory=PersonalData)
    guardian: GuardianContact | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Referral:
        dob = self.person.date_of_birth
        if dob is not None and dob > self.detected_on:
            raise ValueError("date of birth is after the date of detection")
        if dob is not None and (self.detected_on - dob).days > OLDEST_DAYS:
            raise ValueError(f"date of birth is more than {OLDEST_YEARS} years before the date of detection")
        if not self.is_child and self.consent_to_referral is None:
            raise ValueError("an adult's referral needs consent_to_referral (true or false)")
        if not self.is_child and (self.unaccompanied or self.guardian or self.family_safe):
            raise ValueError("unaccompanied, family_safe and guardian apply to a child only")
        if self.unaccompanied and self.family_safe:
            raise ValueError("an unaccompanied child has no family care here to be found safe")
        return self

    @property
    def child_by_birth_date(self) -> bool:
        dob = self.person.date_of_birth
        if dob is None:
            return False
        d = self.detected_on
        age = d.year - dob.year - ((d.month, d.day) < (dob.month, dob.day))
        return age < 18

    @property
    def is_child(self) -> bool:
        """Benefit of the doubt (DOMAIN.md section 5): declared, disputed or by birth date a child is a child."""
        return self.declared_child or self.age_disputed or self.child_by_birth_date

    @property
    def enters_nrm(self) -> bool:
        """A child is referred always; an adult only with informed consent."""
        return self.is_child or bool(self.consent_to_referral)


def check_detection_date(referral: Referral, today: date) -> None:
    if referral.detected_on > today:
        raise InvalidRequest(f"date of detection {referral.detected_on} is in the future")
    if (today - referral.detected_on).days > DETECTED_WITHIN_DAYS:
        raise InvalidRequest(
            f"date of detection {referral.detected_on} is more than {DETECTED_WITHIN_YEARS} years ago: check the date"
        )
