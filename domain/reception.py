"""The receiving side's record of the arrival after a voluntary return (Guiding Principles on return, 001 L509-535:
reception arranged and confirmed). Where the receiving country was contacted for the return, its support provider
owes, from the departure, a record that the person was received; a person who did not arrive is reported missing
at once (domain.lifecycle: a child's case is escalated to the coordinator and child protection immediately).
"""

from __future__ import annotations

from datetime import datetime

from domain import lifecycle
from domain.case import CaseState, Obligation, ObligationKind
from domain.errors import InvalidRequest, NotAuthorized, WrongStage
from domain.notices import Message
from domain.requests import MissingRequest, ReceptionRequest
from domain.return_records import Reception
from domain.roles import Act
from domain.rules import authorize_act, fulfil
from domain.text import SUMMARY_MAX, check_written

NOT_RECEIVED = "did not arrive at the destination of the return"


def _owed(state: CaseState) -> Obligation:
    ob = state.open_obligation(ObligationKind.RETURN_RECEPTION)
    if ob is None:
        raise WrongStage(f"case {state.reference} owes no record of a reception (none is awaited after a departure)")
    return ob


def check_reception(state: CaseState, request: ReceptionRequest, now: datetime) -> None:
    authorize_act(state, Act.RECORD_RECEPTION, request.actor)
    ob = _owed(state)
    if request.actor.role is not ob.owner_role:
        raise NotAuthorized(
            f"role {request.actor.role.value} may not record the reception: it is owed by {ob.owner_role.value}"
        )
    check_written(request.summary, "the summary", SUMMARY_MAX, "a reception record")
    when = request.when or now
    if when > now or when < ob.window_start:
        raise InvalidRequest(f"the reception, {when:%Y-%m-%d %H:%M}, is in the future or before the departure")


def apply_reception(state: CaseState, request: ReceptionRequest, now: datetime) -> list[Message]:
    ob = _owed(state)
    when = request.when or now
    fulfil(state, ob.id, request.actor, when)
    ob.recorded_at = now
    voluntary_return = state.returns[-1]
    summary = request.summary.strip()
    voluntary_return.reception = Reception(at=when, by=request.actor, received=request.received, summary=summary)
    if request.received or state.missing is not None:
        return []
    return lifecycle.apply_missing(state, MissingRequest(actor=request.actor, note=NOT_RECEIVED), when)
