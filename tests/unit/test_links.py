"""Links between cases (domain.links): a dependent child's case linked to the adult victim's, both ways."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import links, transitions
from domain.case import LinkKind
from domain.errors import InvalidRequest, NotAuthorized, WrongStage
from domain.requests import LinkRequest, OpenCase
from domain.roles import Actor, Role
from tests.integration.helpers import COORDINATOR, FIRST_RESPONDER
from tests.unit.builders import OSCE, T0, opened, referral

CHILD_REF = "NRM-0000-0002"


def test_a_dependent_childs_case_is_linked_at_opening_and_the_adults_links_back() -> None:
    request = OpenCase(
        reference=CHILD_REF,
        referral=referral(True),
        policy=OSCE,
        opened_by=FIRST_RESPONDER,
        dependent_of="nrm-0000-0001",
    )
    child, _ = transitions.open_case(request, T0)
    [link] = child.links
    assert (link.kind, link.reference, link.by) == (LinkKind.DEPENDENT_OF, "NRM-0000-0001", FIRST_RESPONDER)
    adult = opened()
    back = LinkRequest(actor=FIRST_RESPONDER, kind=LinkKind.DEPENDENT, reference=CHILD_REF)
    links.check_link(adult, back)
    links.apply_link(adult, back, T0 + timedelta(seconds=1))
    assert [(x.kind, x.reference) for x in adult.links] == [(LinkKind.DEPENDENT, CHILD_REF)]
    with pytest.raises(WrongStage, match="is linked to NRM-0000-0002 already"):
        links.check_link(adult, back)


def test_link_refusals() -> None:
    adult = opened()
    with pytest.raises(InvalidRequest, match="not linked to itself"):
        links.check_link(adult, LinkRequest(actor=COORDINATOR, kind=LinkKind.DEPENDENT, reference="NRM-0000-0001"))
    with pytest.raises(InvalidRequest, match="is not a case reference"):
        links.check_link(adult, LinkRequest(actor=COORDINATOR, kind=LinkKind.DEPENDENT, reference="Maria"))
    with pytest.raises(WrongStage, match="a dependent child's case links to an adult's"):
        links.check_link(
            opened(child=True), LinkRequest(actor=COORDINATOR, kind=LinkKind.DEPENDENT, reference=CHILD_REF)
        )
    support = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
    with pytest.raises(NotAuthorized, match="role support_provider may not link a case"):
        links.check_link(adult, LinkRequest(actor=support, kind=LinkKind.DEPENDENT, reference=CHILD_REF))
