"""Claims and proceedings that hold a removal and a return (Guiding Principles 001 L603-609; DOMAIN.md §6): an
asylum or other protection claim pending, and criminal, civil or compensation proceedings where the person's
presence is needed and the person wants to take part. Recorded as facts of the case, opened and ended by act."""

from __future__ import annotations

from datetime import datetime

from domain.case import CaseState
from domain.errors import InvalidRequest, WrongStage
from domain.notices import Message
from domain.proceeding_records import Proceeding
from domain.requests import ProceedingRequest
from domain.roles import Act
from domain.rules import authorize_act
from domain.text import EVIDENCE_MAX, REFERENCE_MAX, check_text


def check_proceeding(state: CaseState, request: ProceedingRequest) -> None:
    authorize_act(state, Act.RECORD_PROCEEDING, request.actor)
    proceedings = state.proceedings
    check_text(request.reference, "the reference", REFERENCE_MAX)
    check_text(request.note, "the note", EVIDENCE_MAX)
    if request.end is None:
        if request.kind is None:
            raise InvalidRequest("a claim or proceeding needs its kind (--kind)")
        if request.kind.is_claim and request.presence_needed:
            raise InvalidRequest("--presence-needed is for proceedings; a pending claim holds removal by itself")
        return
    found = next((p for p in proceedings if p.number == request.end), None)
    if found is None:
        known = ", ".join(str(p.number) for p in proceedings) or "none"
        raise InvalidRequest(f"no claim or proceeding number {request.end} in the case (recorded: {known})")
    if found.ended_at is not None:
        raise WrongStage(f"claim or proceeding {request.end} ended already ({found.ended_at:%Y-%m-%d})")


def apply_proceeding(state: CaseState, request: ProceedingRequest, now: datetime) -> list[Message]:
    proceedings = state.proceedings
    if request.end is not None:
        ended = next(p for p in proceedings if p.number == request.end)
        ended.ended_at, ended.ended_by = now, request.actor
        return []
    assert request.kind is not None
    proceedings.append(
        Proceeding(
            number=len(proceedings) + 1,
            kind=request.kind,
            reference=request.reference.strip(),
            presence_needed=request.presence_needed,
            opened_at=now,
            opened_by=request.actor,
            note=request.note.strip(),
        )
    )
    return []
