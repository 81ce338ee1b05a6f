"""The person's right of access: one document with everything nrmflow holds about them in a case."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from domain.referral import Referral
from domain.roles import Actor
from domain.status import CaseStatus


class PersonalDataExport(BaseModel):
    """The referral as opened (personal data included), who opened it, and the case's status with its decision log.

    Reminders and escalations in the outbox carry only the reference, and search attributes only non-identifying
    facts, so nothing about the person lies outside these two, but for the person registry (domain.person_registry):
    a keyed hash of their name, birth date and nationality with the references of their cases, which the status
    lists as its re-trafficking links.
    """

    reference: str
    exported_at: datetime
    exported_by: Actor
    opened_by: Actor
    policy: str
    referral: Referral
    status: CaseStatus
