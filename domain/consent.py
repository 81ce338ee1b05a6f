"""Consent per purpose: what the person has agreed to, and what stops when they withdraw it.

Withdrawing consent stops only what depends on it (messages to other agencies, a receiving country's contact,
monitoring after a return); what protects the person (deadlines, removal suspended, support owed) stays.
"""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel

from domain.roles import Actor


class ConsentPurpose(str, enum.Enum):
    REFERRAL = "referral"  # the referral into the NRM and its support
    DATA_SHARING = "data_sharing"  # sharing the case with other agencies, here or in a receiving country
    MONITORING = "monitoring"  # reintegration monitoring after a return


class ConsentWithdrawal(BaseModel):
    """The person withdrew consent for one purpose: who recorded it and when (kept for audit)."""

    purpose: ConsentPurpose
    at: datetime
    actor: Actor
    reasons: str = ""
