"""Entry into the NRM: Stage 1 falls due, and a child's safeguards are owed from then (domain.children).

A case enters at referral (a child always, an adult with consent), when an adult consents later, or when an age
dispute makes a person outside the NRM a child (a child is referred always).
"""

from __future__ import annotations

from datetime import datetime

from domain import children
from domain.case import CaseState, ObligationKind, Stage
from domain.deadlines import new_obligation
from domain.notices import Message
from domain.roles import Role


def refer(state: CaseState, now: datetime) -> list[Message]:
    state.stage = Stage.STAGE1_PENDING
    state.referred_at = now
    state.obligations[ObligationKind.STAGE1_DECISION.value] = new_obligation(
        ObligationKind.STAGE1_DECISION, Role.COMPETENT_AUTHORITY, start=now, due=now + state.stage1_due_after()
    )
    return children.enter_as_child(state, now) if state.is_child else []
