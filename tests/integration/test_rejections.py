"""Every refusal: the caller gets the exact error text and the case history gains no event.

Cases here run under the OSCE model (the default) or the CoE minimum, whose timers are days away, so nothing
but the refused act could change the history while a test looks at it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from domain.case import Stage
from domain.requests import ConsentRequest, ExtendRRRequest
from domain.roles import Actor
from starter.client import NrmClient, NrmError, Refused, UnknownCase
from tests.conftest import eventually
from tests.integration.helpers import (
    AUDITOR,
    AUTHORITY,
    COORDINATOR,
    FIRST_RESPONDER,
    adult_referral,
    decision,
    history_events,
    settled,
)

ALLOWED_STAGE1 = "allowed: competent_authority, first_responder"  # the OSCE model delegates Stage 1
ONLY_AUTHORITY = "allowed: competent_authority"


async def refused(
    nrm: NrmClient, ref: str, act: Callable[[], Awaitable[Any]], message: str, error: type[NrmError] = Refused
) -> None:
    await settled(nrm.client, ref)  # nothing in flight (actor directory, letters): only the act could add events
    before = len(await history_events(nrm.client, ref))
    with pytest.raises(error) as caught:
        await act()
    assert str(caught.value) == message
    assert type(caught.value) is error
    assert len(await history_events(nrm.client, ref)) == before


async def open_case(nrm: NrmClient, policy: str | None = None, **referral: Any) -> str:
    return await nrm.open_case(adult_referral(**referral), FIRST_RESPONDER, policy=policy)


def extension(actor: Actor = AUTHORITY, reasons: str = "trauma", **when: Any) -> ExtendRRRequest:
    return ExtendRRRequest(actor=actor, reasons=reasons, **when)


async def test_refusals_while_stage1_is_pending(nrm: NrmClient) -> None:
    ref = await open_case(nrm)
    pending = f"case {ref} is stage1_pending"
    for actor in (COORDINATOR, AUDITOR):
        await refused(
            nrm,
            ref,
            lambda: nrm.decide_stage1(ref, decision(actor=actor)),
            f"role {actor.role.value} may not make a Stage 1 decision; {ALLOWED_STAGE1}",
        )
    await refused(
        nrm,
        ref,
        lambda: nrm.decide_stage2(ref, decision()),
        f"a Stage 2 decision is not possible: {pending} (needs presumed_victim)",
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.extend_rr(ref, extension(extend_by=timedelta(days=1))),
        f"extending the R&R period is not possible: {pending} (needs presumed_victim)",
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.record_consent(ref, ConsentRequest(actor=FIRST_RESPONDER)),
        f"recording consent to referral is not possible: {pending} (needs outside_nrm)",
    )
    for reasons in ("", "  \n\t "):
        await refused(
            nrm,
            ref,
            lambda: nrm.decide_stage1(ref, decision(reasons=reasons)),
            "a Stage 1 decision needs written reasons",
        )
    assert (await nrm.status(ref)).decisions == []


async def test_refusals_during_the_rr_period(nrm: NrmClient) -> None:
    ref = await open_case(nrm)
    status = await nrm.decide_stage1(ref, decision())
    assert status.rr is not None
    end = status.rr.end
    await refused(
        nrm,
        ref,
        lambda: nrm.decide_stage1(ref, decision()),
        f"a Stage 1 decision is not possible: case {ref} is presumed_victim (needs stage1_pending)",
    )
    for actor in (FIRST_RESPONDER, COORDINATOR, AUDITOR):
        role = actor.role.value
        await refused(
            nrm,
            ref,
            lambda: nrm.decide_stage2(ref, decision(actor=actor)),
            f"role {role} may not make a Stage 2 decision; {ONLY_AUTHORITY}",
        )
        await refused(
            nrm,
            ref,
            lambda: nrm.extend_rr(ref, extension(actor, extend_by=timedelta(days=1))),
            f"role {role} may not extend the R&R period; {ONLY_AUTHORITY}",
        )
    for reasons in ("", "   "):
        await refused(
            nrm,
            ref,
            lambda: nrm.decide_stage2(ref, decision(reasons=reasons)),
            "a Stage 2 decision needs written reasons",
        )
        await refused(
            nrm,
            ref,
            lambda: nrm.extend_rr(ref, extension(reasons=reasons, extend_by=timedelta(days=1))),
            "an R&R extension needs written reasons",
        )
    for new_end in (end - timedelta(days=1), end):
        await refused(
            nrm,
            ref,
            lambda: nrm.extend_rr(ref, extension(new_end=new_end)),
            f"the new R&R end {new_end.isoformat()} is not after the current end {end.isoformat()}",
        )
    await refused(
        nrm,
        ref,
        lambda: nrm.extend_rr(ref, extension(extend_by=-timedelta(days=1))),
        f"the new R&R end {(end - timedelta(days=1)).isoformat()} is not after the current end {end.isoformat()}",
    )
    both_or_neither = "an R&R extension needs either a new end date or a duration to extend by, not both"
    await refused(nrm, ref, lambda: nrm.extend_rr(ref, extension()), both_or_neither)
    await refused(
        nrm,
        ref,
        lambda: nrm.extend_rr(ref, extension(new_end=end + timedelta(days=9), extend_by=timedelta(days=9))),
        both_or_neither,
    )
    naive = (end + timedelta(days=9)).replace(tzinfo=None)
    with pytest.raises(ValidationError, match="new_end\n  Input should have timezone info"):
        extension(new_end=naive)  # the request model refuses it: it never reaches the case
    status = await nrm.status(ref)
    assert status.stage is Stage.PRESUMED_VICTIM and status.rr is not None and status.rr.extensions == []
    assert len(status.decisions) == 1


async def test_refusals_outside_the_nrm_and_where_stage1_is_not_delegated(nrm: NrmClient) -> None:
    outside = await open_case(nrm, consent_to_referral=False)
    for actor in (AUTHORITY, AUDITOR):
        await refused(
            nrm,
            outside,
            lambda: nrm.record_consent(outside, ConsentRequest(actor=actor)),
            f"role {actor.role.value} may not record consent to referral; allowed: coordinator, first_responder",
        )
    await refused(
        nrm,
        outside,
        lambda: nrm.decide_stage1(outside, decision()),
        f"a Stage 1 decision is not possible: case {outside} is outside_nrm (needs stage1_pending)",
    )

    coe = await open_case(nrm, policy="coe-minimum")
    await refused(
        nrm,
        coe,
        lambda: nrm.decide_stage1(coe, decision(actor=FIRST_RESPONDER)),
        f"role first_responder may not make a Stage 1 decision; {ONLY_AUTHORITY}",
    )


async def test_unknown_and_malformed_references(nrm: NrmClient) -> None:
    unknown = "NRM-0000-0000"
    for act in (
        lambda: nrm.status(unknown),
        lambda: nrm.decide_stage1(unknown, decision()),
        lambda: nrm.extend_rr(unknown, extension(extend_by=timedelta(days=1))),
        lambda: nrm.record_consent(unknown, ConsentRequest(actor=FIRST_RESPONDER)),
    ):
        with pytest.raises(UnknownCase) as caught:
            await act()
        assert str(caught.value) == f"no open case with reference {unknown}"
    for act in (lambda: nrm.status("NRM-12"), lambda: nrm.decide_stage2("NRM-12", decision())):
        with pytest.raises(NrmError) as caught:
            await act()
        assert str(caught.value) == "'NRM-12' is not a case reference (expected the form NRM-XXXX-XXXX)"


async def test_a_refused_referral_starts_no_case(nrm: NrmClient) -> None:
    since = datetime.now(UTC)
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    bad = [
        (
            adult_referral(cross_border=None),
            NrmError,
            "invalid referral: cross_border: Input should be a valid boolean",
        ),
        (
            {k: v for k, v in adult_referral().items() if k != "cross_border"},
            NrmError,
            "invalid referral: cross_border: Field required",
        ),
        (
            adult_referral(sex="f"),
            NrmError,
            "invalid referral: sex: Input should be 'female', 'male', 'other' or 'unknown'",
        ),
        (
            adult_referral(exploitation_types=["theft"]),
            NrmError,
            "invalid referral: exploitation_types.0: Input should be 'sexual', 'labour', 'domestic_servitude',"
            " 'criminal', 'begging', 'organ_removal', 'forced_marriage' or 'other'",
        ),
        (
            adult_referral(detected_on="2026-02-01", person={"date_of_birth": "2026-02-02"}),
            NrmError,
            "invalid referral: date of birth is after the date of detection",
        ),
        (
            adult_referral(consent_to_referral=None),
            NrmError,
            "invalid referral: an adult's referral needs consent_to_referral (true or false)",
        ),
        (adult_referral(detected_on=tomorrow), Refused, f"date of detection {tomorrow} is in the future"),
    ]
    for referral, error, message in bad:
        with pytest.raises(error) as caught:
            await nrm.open_case(referral, FIRST_RESPONDER)
        assert str(caught.value) == message
    with pytest.raises(Refused) as caught:
        await nrm.open_case(adult_referral(), AUDITOR)
    assert str(caught.value) == (
        "role auditor may not open a case; allowed: competent_authority, coordinator, first_responder"
    )
    with pytest.raises(NrmError) as caught:
        await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy="uk")
    assert str(caught.value).startswith("no policy 'uk' (looked for ")

    # Visibility is eventually consistent: once a case opened afterwards is listed, none of the refused ones is.
    marker = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    query = f"WorkflowType = 'CaseWorkflow' AND StartTime >= '{since.isoformat()}'"

    async def started_since():
        return [w.id async for w in nrm.client.list_workflows(query)]

    assert await eventually(started_since) == [f"case-{marker}"]


async def test_a_negative_stage2_before_the_rr_period_ends_is_refused(nrm: NrmClient) -> None:
    """It would cut the person's recovery short: the OSCE model does not allow it; a positive one may come at once."""
    ref = await open_case(nrm)
    status = await nrm.decide_stage1(ref, decision())
    assert status.rr is not None
    await refused(
        nrm,
        ref,
        lambda: nrm.decide_stage2(ref, decision("negative")),
        f"a negative Stage 2 decision before the R&R period ends ({status.rr.end:%Y-%m-%d %H:%M} UTC) would cut the "
        "person's recovery short; policy osce-model@2024.1 does not allow it (a positive one may come now)",
    )
    assert (await nrm.decide_stage2(ref, decision())).stage is Stage.CONFIRMED_VICTIM
