"""A dependent child's case through `nrm case open --dependent-of`: a case of the child's own, linked both ways."""

from __future__ import annotations

from starter.client import NrmClient
from tests.integration.helpers import FIRST_RESPONDER, adult_referral
from tests.integration.nrm_cli import run_nrm

OPEN = ("case", "open", "--cross-border", "--sex", "male", "--as", "first_responder:fr-1")


async def test_a_dependent_childs_case_is_linked_both_ways(nrm: NrmClient, cli_env: dict[str, str]) -> None:
    adult = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    opened = await run_nrm(*OPEN, "--child", "--dependent-of", adult, "--json", env=cli_env)
    child = opened.json()["reference"]
    child_status, adult_status = await nrm.status(child), await nrm.status(adult)
    assert child_status.is_child and [(x.kind.value, x.reference) for x in child_status.links] == [
        ("dependent_of", adult)
    ]
    assert [(x.kind.value, x.reference) for x in adult_status.links] == [("dependent", child)]
    shown = (await run_nrm("case", "show", adult, env=cli_env)).out
    assert f"dependent child: {child}" in shown

    not_a_child = await run_nrm(*OPEN, "--adult", "--consent", "--dependent-of", adult, env=cli_env)
    assert "the referral must be of a child" in not_a_child.error_line(3)
    of_a_child = await run_nrm(*OPEN, "--child", "--dependent-of", child, env=cli_env)
    assert "links to an open adult's case" in of_a_child.error_line(3)
    unknown = await run_nrm(*OPEN, "--child", "--dependent-of", "NRM-ZZZZ-ZZZZ", env=cli_env)
    assert unknown.code == 4
