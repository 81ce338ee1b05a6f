"""Residence permits as the case records them: what was granted, on which grounds, valid until when, renewed how.

The permit's document reference is kept here, inside the encrypted case state, never in a search attribute or a
log. The rules of granting and renewing are in domain.permits.
"""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, Field

from domain.roles import Actor


class PermitType(str, enum.Enum):
    INTERIM = "interim"  # leave to stay while Stage 2 is overdue at the end of the R&R period
    RESIDENCE = "residence"  # the residence permit a positive Stage 2 owes


class PermitGround(str, enum.Enum):
    """CoE Convention Art. 14(1): the person's personal situation, their cooperation with the authorities, or
    both; for a child, per the child's best interests (Art. 14(2))."""

    PERSONAL_SITUATION = "personal_situation"
    COOPERATION = "cooperation"
    BEST_INTERESTS = "best_interests"


class PermitAction(str, enum.Enum):
    GRANT = "grant"
    RENEW = "renew"
    REFUSE = "refuse"  # refuse to grant an owed permit, or to renew the current one


class PermitRenewal(BaseModel):
    previous_until: datetime
    new_until: datetime
    at: datetime
    actor: Actor


class Permit(BaseModel):
    """A permit granted: `renewal_id` is the obligation to decide its renewal before it expires."""

    type: PermitType
    grounds: list[PermitGround]
    valid_from: datetime
    valid_until: datetime
    document: str = ""
    granted_at: datetime
    granted_by: Actor
    renewals: list[PermitRenewal] = Field(default_factory=list)
    renewal_id: str | None = None
    ended_at: datetime | None = None  # superseded (an interim permit by the residence permit), or renewal refused
    ended_why: str = ""

    def valid_at(self, when: datetime) -> bool:
        return (self.ended_at is None or when < self.ended_at) and self.valid_from <= when < self.valid_until
