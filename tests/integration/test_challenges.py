"""An adult age finding and a permit refusal challenged in the shape of the identification appeals, on the real dev
server: through the `nrm` command line (`--of age`, `--of permit`) and the client library, on the seconds-scale
policy (windows of 8 s, the panel's 10 s); the refusals under the OSCE model, whose timers are days away, so that
nothing but the refused act could change the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.case import AgeFinding, AgeStatus, ChallengePhase, ChallengeSubject, ReviewOutcome
from domain.permit_records import PermitAction, PermitGround
from domain.requests import (
    AgeAssessmentRequest,
    AgeDisputeRequest,
    PermitRequest,
    ReconsiderationRequest,
    ReviewRequest,
)
from domain.roles import Actor, Role
from domain.status import PendingChallenge
from starter.client import NrmClient
from tests.conftest import FAST_POLICY, eventually
from tests.integration.helpers import AUTHORITY, FIRST_RESPONDER, adult_referral, decision, outbox_messages
from tests.integration.nrm_cli import run_nrm
from tests.integration.test_rejections import refused
from tests.policies import with_permits

SUPPORT = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
CHILD_PROTECTION = Actor(role=Role.CHILD_PROTECTION, id="cp-1")
GUARDIAN_ADVOCATE = Actor(role=Role.GUARDIAN_ADVOCATE, id="ga-1")
PANEL = Actor(role=Role.REVIEW_PANEL, id="rp-1")
OFFICER = Actor(role=Role.IMMIGRATION_AUTHORITY, id="ia-1")
ADULT = AgeAssessmentRequest(
    actor=CHILD_PROTECTION, outcome=AgeFinding.ADULT, reasons="appearance and interview", child_views="says 16"
)


def _letters(nrm: NrmClient, ref: str, kind: str) -> list[str]:
    return [
        " ".join(m.get_payload(decode=True).decode().split())
        for m in outbox_messages(nrm.settings.outbox_path, ref)
        if m["X-NRM-Kind"] == kind
    ]


async def _letter(nrm: NrmClient, ref: str, kind: str, text: str) -> bool:
    return any(text in body for body in _letters(nrm, ref, kind))


async def _listed_pending(nrm: NrmClient, ref: str, pending: PendingChallenge) -> bool:
    return any(r.reference == ref for r in await nrm.list_cases(pending=pending, limit=None))


async def _found_adult(nrm: NrmClient, policy: str | None = FAST_POLICY) -> str:
    """An adult's case, presumed victim, whose age is disputed and then assessed as adult."""
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=policy)
    await nrm.decide_stage1(ref, decision(actor=AUTHORITY))
    await nrm.dispute_age(ref, AgeDisputeRequest(actor=SUPPORT, reasons="school records say 16"))
    await nrm.record_age_assessment(ref, ADULT)
    return ref


async def test_an_adult_finding_challenged_by_the_guardian_advocate_and_overturned_settles_a_child(
    nrm: NrmClient, cli_env: dict[str, str], finish: list[str]
) -> None:
    ref = await _found_adult(nrm)
    finish.append(ref)
    status = await nrm.status(ref)
    # not final: a child still, the age not settled, removal suspended, the guardian advocate's window open
    assert (status.age_status, status.is_child, status.removal_suspended) == (AgeStatus.DISPUTED, True, True)
    assert "advocate_handover" not in {d.kind for d in status.deadlines}
    window = next(d for d in status.open_deadlines if d.kind == "reconsideration_request")
    assert window.owner_role == "guardian_advocate"
    assert status.pending is not None and status.pending.of is ChallengeSubject.AGE
    assert "reconsideration of the age assessment's adult finding may be requested until" in status.pending.text
    holds = (await run_nrm("case", "holds", ref, "--json", env=cli_env)).json()
    assert any(h["kind"] == "age_not_settled" and "not settled" in h["text"] for h in holds)
    # the letter of the assessment gives the rights, to the guardian (the person is treated as a child)
    assert await eventually(lambda: _letter(nrm, ref, "decision_letter", "rezultatul evaluării vârstei"), timeout=10)
    [letter] = [t for t in _letters(nrm, ref, "decision_letter") if "evaluării vârstei" in t]
    assert "nu este încă definitivă" in letter and "Este posibil până la" in letter
    assert await eventually(lambda: _listed_pending(nrm, ref, PendingChallenge.RECONSIDERATION))

    asked = await run_nrm(
        "case", "reconsider", ref, "--of", "age", "--reasons", "the birth certificate was not considered",
        "--as", "guardian_advocate:ga-1", "--json", env=cli_env,
    )  # fmt: skip
    assert asked.json()["pending"]["phase"] == ChallengePhase.RECONSIDERATION.value
    reviewed = await run_nrm(
        "case", "review", ref, "--of", "age", "--outcome", "overturned", "--reasons", "the certificate is genuine",
        "--as", "review_panel:rp-1", "--json", env=cli_env,
    )  # fmt: skip
    assert reviewed.json()["pending"] is None
    status = await nrm.status(ref)
    assert (status.age_status, status.is_child, status.removal_suspended) == (AgeStatus.CHILD, True, True)
    assert "advocate_handover" not in {d.kind for d in status.deadlines}
    assert not any(h.kind.value == "age_not_settled" for h in status.holds)
    [review] = [d for d in status.decisions if d.act == "record_review"]
    assert (review.challenged, review.stage, review.outcome) == (ChallengeSubject.AGE, None, "overturned")
    assert await eventually(
        lambda: _letter(nrm, ref, "decision_letter", "a reexaminat constatarea evaluării vârstei"), timeout=10
    )
    assert await _letter(nrm, ref, "decision_letter", "decizia este anulată. Copilul este tratat ca minor")


async def test_an_adult_finding_whose_window_closes_unused_is_final_and_owes_the_handover(
    nrm: NrmClient, finish: list[str]
) -> None:
    ref = await _found_adult(nrm)
    finish.append(ref)
    found = (await nrm.status(ref)).decisions[-1]
    assert (found.act, found.outcome) == ("record_age_assessment", "adult")

    async def final() -> bool:
        return (await nrm.status(ref)).age_status is AgeStatus.ADULT

    assert await eventually(final, timeout=20)  # the window of 8 s closed unused
    status = await nrm.status(ref)
    assert not status.is_child and status.removal_suspended  # nothing given is taken back
    window = next(d for d in status.deadlines if d.kind == "reconsideration_request")
    handover = next(d for d in status.deadlines if d.kind == "advocate_handover")
    assert handover.owner_role == "guardian_advocate"
    assert handover.due_at - window.due_at == timedelta(seconds=8)  # from the window's end: fast.toml handover_due
    assert status.pending is None and not any(h.kind.value == "age_not_settled" for h in status.holds)
    assert "guardian_advocate" in {d.kind for d in status.deadlines}  # what the child was owed stays owed


async def test_a_permit_refusal_reconsidered_and_overturned_is_owed_again_and_granted(
    nrm: NrmClient, cli_env: dict[str, str], tmp_path: Path, finish: list[str]
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=with_permits(tmp_path))
    finish.append(ref)
    await nrm.decide_stage1(ref, decision(actor=AUTHORITY))
    await nrm.decide_stage2(ref, decision(actor=AUTHORITY))
    refused_ = await nrm.permit_decision(
        ref, PermitRequest(actor=OFFICER, action=PermitAction.REFUSE, reasons="no grounds found")
    )
    assert refused_.pending is not None and refused_.pending.of is ChallengeSubject.PERMIT
    window = next(d for d in refused_.open_deadlines if d.kind == "reconsideration_request")
    holds = (await run_nrm("case", "holds", ref, "--json", env=cli_env)).json()
    assert any(h["kind"] == "challenge_pending" and "the permit refusal is not final" in h["text"] for h in holds)
    assert await eventually(lambda: _letter(nrm, ref, "permit_letter", "Este posibil până la"), timeout=10)

    of = ChallengeSubject.PERMIT
    await nrm.request_reconsideration(ref, ReconsiderationRequest(actor=SUPPORT, reasons="grounds misread", of=of))
    result = await nrm.record_review(
        ref, ReviewRequest(actor=PANEL, outcome=ReviewOutcome.OVERTURNED, reasons="the grounds apply", of=of)
    )
    again = next(d for d in result.open_deadlines if d.kind == "residence_permit")
    status = await nrm.status(ref)
    review_at = status.decisions[-1].at
    assert again.owner_role == "immigration_authority" and again.due_at == review_at + timedelta(seconds=6)
    assert window.due_at > review_at and result.pending is None
    no = await run_nrm(
        "case", "permit", "refuse", ref, "--reasons", "still no", "--as", "immigration_authority:ia-1", env=cli_env
    )
    assert "the refusal of this permit was set aside on challenge" in no.error_line(3)
    granted = await nrm.permit_decision(
        ref,
        PermitRequest(
            actor=OFFICER,
            action=PermitAction.GRANT,
            grounds=[PermitGround.PERSONAL_SITUATION],
            valid_until=datetime.now(UTC) + timedelta(minutes=5),
        ),
    )
    assert "residence_permit" not in {d.kind for d in granted.open_deadlines}
    status = await nrm.status(ref)
    assert [p.type.value for p in status.permits] == ["residence"] and status.permits[0].valid_at(datetime.now(UTC))


async def test_a_challenge_by_a_wrong_role_or_of_nothing_challenged_is_refused_with_nothing_written(
    nrm: NrmClient,
) -> None:
    ref = await _found_adult(nrm, policy=None)  # the OSCE model: every timer days away
    ask = ReconsiderationRequest(actor=AUTHORITY, reasons="we changed our mind", of=ChallengeSubject.AGE)
    await refused(
        nrm,
        ref,
        lambda: nrm.request_reconsideration(ref, ask),
        "role competent_authority may not request reconsideration; allowed: coordinator, "
        "first_responder, guardian_advocate, legal_representative, support_provider",
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.request_reconsideration(ref, ask.model_copy(update={"actor": OFFICER})),
        "role immigration_authority may not request reconsideration; allowed: coordinator, "
        "first_responder, guardian_advocate, legal_representative, support_provider",
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.request_reconsideration(
            ref, ask.model_copy(update={"actor": GUARDIAN_ADVOCATE, "of": ChallengeSubject.PERMIT})
        ),
        f"a reconsideration request of the permit refusal is not possible: in case {ref} it is not challengeable "
        "now (needs reconsideration window open or final)",
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.record_review(
            ref, ReviewRequest(actor=PANEL, outcome=ReviewOutcome.UPHELD, reasons="x", of=ChallengeSubject.AGE)
        ),
        f"a review panel's decision of the age assessment's adult finding is not possible: in case {ref} it is "
        "reconsideration window open (needs reconsideration pending or provisional until the review panel "
        "confirms it)",
    )
