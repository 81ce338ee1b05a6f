"""Links between cases by their pseudonymous references: a dependent child of an adult victim has a case of their
own (`nrm case open --dependent-of REF`), linked both ways; a person referred again is linked to their earlier
cases both ways (re-trafficking, found by the person registry: domain.person_registry). A reference carries nothing
about the person, and the links travel only inside the encrypted case state.
"""

from __future__ import annotations

from datetime import datetime

from domain.case import CaseLink, CaseState, LinkKind
from domain.errors import InvalidRequest, WrongStage
from domain.notices import Message
from domain.reference import check_reference
from domain.requests import LinkRequest
from domain.roles import Act, Actor
from domain.rules import authorize_act


def dependent_of(state: CaseState, reference: str, by: Actor, now: datetime) -> None:
    """A dependent child's case, at its opening: linked to the adult victim's case."""
    state.links.append(CaseLink(kind=LinkKind.DEPENDENT_OF, reference=check_reference(reference), at=now, by=by))


def check_link(state: CaseState, request: LinkRequest) -> None:
    authorize_act(state, Act.LINK_CASE, request.actor)
    reference = check_reference(request.reference)
    if reference == state.reference:
        raise InvalidRequest("a case is not linked to itself")
    if any(link.reference == reference and link.kind is request.kind for link in state.links):
        raise WrongStage(f"case {state.reference} is linked to {reference} already")
    if request.kind is LinkKind.DEPENDENT and state.is_child:
        raise WrongStage(f"case {state.reference} is a child's: a dependent child's case links to an adult's")


def apply_link(state: CaseState, request: LinkRequest, now: datetime) -> list[Message]:
    reference = check_reference(request.reference)
    state.links.append(CaseLink(kind=request.kind, reference=reference, at=now, by=request.actor))
    return []
