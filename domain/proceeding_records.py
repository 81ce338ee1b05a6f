"""Claims and proceedings as the case records them; their references stay inside the encrypted case state. The
rules are in domain.proceedings, the holds they make in domain.holds."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel

from domain.roles import Actor


class ProceedingKind(str, enum.Enum):
    ASYLUM_CLAIM = "asylum_claim"
    PROTECTION_CLAIM = "protection_claim"  # another protection claim (subsidiary, humanitarian, statelessness)
    CRIMINAL = "criminal"  # against the traffickers, the person a witness or injured party
    CIVIL = "civil"
    COMPENSATION = "compensation"

    @property
    def is_claim(self) -> bool:
        return self in (ProceedingKind.ASYLUM_CLAIM, ProceedingKind.PROTECTION_CLAIM)


class Proceeding(BaseModel):
    number: int
    kind: ProceedingKind
    reference: str  # the authority's or court's reference, inside the encrypted state only
    presence_needed: bool  # proceedings: the person's presence is needed, and the person wants to take part
    opened_at: datetime
    opened_by: Actor
    note: str = ""
    ended_at: datetime | None = None
    ended_by: Actor | None = None

    @property
    def holds(self) -> bool:
        return self.ended_at is None and (self.kind.is_claim or self.presence_needed)
