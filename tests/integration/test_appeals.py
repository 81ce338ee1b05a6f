"""The rights after a negative decision on the real dev server: reconsideration, judicial appeal, final negative.

The paths run under tests/policies/fast.toml (windows of 8 s, the panel's 10 s); refusals under the OSCE model,
whose timers are days away, so that nothing but the refused act could change the history; the closed window under
a copy of fast.toml whose later deadlines are days away.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from domain.case import ChallengePhase, JudgmentOutcome, ReviewOutcome, Stage
from domain.requests import AppealRequest, JudgmentRequest, ProvideRequest, ReconsiderationRequest, ReviewRequest
from domain.roles import Actor, Role
from domain.status import CaseStatus
from starter.client import NrmClient
from tests.conftest import FAST_POLICY, eventually
from tests.integration.helpers import (
    AUDITOR,
    AUTHORITY,
    COORDINATOR,
    FIRST_RESPONDER,
    adult_referral,
    child_decision,
    child_referral,
    decision,
    guardian_advocate_allocated,
    outbox_messages,
    settled,
)
from tests.integration.nrm_cli import run_nrm
from tests.integration.test_rejections import refused
from tests.policies import panel_confirming

ADVOCATE = Actor(role=Role.SUPPORT_PROVIDER, id="sp-1")
LAWYER = Actor(role=Role.LEGAL_REPRESENTATIVE, id="lr-1")
PANEL = Actor(role=Role.REVIEW_PANEL, id="rp-1")
GUARDIAN_ADVOCATE = Actor(role=Role.GUARDIAN_ADVOCATE, id="ga-1")


def ask(actor: Actor = ADVOCATE, reasons: str = "indicators overlooked", **extra: Any) -> ReconsiderationRequest:
    return ReconsiderationRequest(actor=actor, reasons=reasons, **extra)


def review(outcome: str, actor: Actor = PANEL, reasons: str = "the panel's reasons") -> ReviewRequest:
    return ReviewRequest(actor=actor, outcome=ReviewOutcome(outcome), reasons=reasons, evidence="file reviewed")


def judgment(outcome: str, actor: Actor = LAWYER, **extra: Any) -> JudgmentRequest:
    data: dict[str, Any] = {
        "actor": actor,
        "outcome": JudgmentOutcome(outcome),
        "court": "Tribunalul X",
        "judgment_ref": "J-1/2026",
        "decided_on": date.today(),
    }
    return JudgmentRequest.model_validate({**data, **extra})


async def negative_case(nrm: NrmClient, stage: int, policy: str | None = FAST_POLICY) -> str:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=policy)
    if stage == 2:
        await nrm.decide_stage1(ref, decision())
    await (nrm.decide_stage1 if stage == 1 else nrm.decide_stage2)(ref, decision("negative"))
    return ref


def open_kinds(status: CaseStatus) -> set[str]:
    return {d.kind for d in status.open_deadlines}


async def test_negative_stage1_reconsidered_and_overturned_starts_rr_and_provisions(nrm: NrmClient) -> None:
    ref = await negative_case(nrm, 1)
    status = await nrm.status(ref)
    assert status.stage is Stage.STAGE1_NEGATIVE and status.removal_suspended
    assert status.pending is not None and status.pending.phase is ChallengePhase.RECONSIDERATION_WINDOW
    assert status.pending.waiting_for == "support_provider" and status.pending.until is not None
    assert "reconsideration of the negative Stage 1 decision may be requested until" in status.pending.text
    result = await nrm.request_reconsideration(ref, ask())
    assert result.pending is not None and result.pending.phase is ChallengePhase.RECONSIDERATION
    assert open_kinds(result) == {"reconsideration_review"} and result.removal_suspended
    result = await nrm.record_review(ref, review("overturned"))
    status = await nrm.status(ref)
    decided = status.decisions[-1]
    assert (decided.act, decided.outcome, decided.actor) == ("record_review", "overturned", PANEL)
    assert status.stage is Stage.PRESUMED_VICTIM and status.pending is None and status.removal_suspended
    assert status.rr is not None and status.rr.start == decided.at  # R&R from the panel's decision
    owed = {d.kind: d.due_at for d in status.open_deadlines}
    assert owed["legal_advice"] == decided.at + timedelta(seconds=10)  # the adult provisions of fast.toml
    assert owed["stage2_decision"] == status.rr.end
    # the person is informed in Romanian (the referral's language), naming who decided
    await eventually(
        lambda: _letter(nrm, ref, "comisia de reexaminare a reexaminat decizia negativă de etapa 1"), timeout=10
    )


def _letters(nrm: NrmClient, ref: str) -> list[str]:
    """The case's decision letters in the outbox, oldest first, their whitespace folded."""
    return [
        " ".join(m.get_payload(decode=True).decode().split())
        for m in outbox_messages(nrm.settings.outbox_path, ref)
        if m["X-NRM-Kind"] == "decision_letter"
    ]


async def _letter(nrm: NrmClient, ref: str, text: str) -> bool:
    return any(text in body for body in _letters(nrm, ref))


async def test_negative_stage2_upheld_then_appeal_allowed_confirms(nrm: NrmClient) -> None:
    ref = await negative_case(nrm, 2)
    assert (await nrm.status(ref)).removal_suspended
    await nrm.request_reconsideration(ref, ask(LAWYER))
    result = await nrm.record_review(ref, review("upheld"))
    assert result.stage is Stage.STAGE2_NEGATIVE and open_kinds(result) >= {"appeal_lodging"}
    assert result.pending is not None and result.pending.phase is ChallengePhase.APPEAL_WINDOW
    result = await nrm.lodge_appeal(ref, AppealRequest(actor=LAWYER, reasons="error of law", court="Tribunalul X"))
    assert result.pending is not None and result.pending.waiting_for == "court" and result.pending.until is None
    assert result.removal_suspended
    result = await nrm.record_judgment(ref, judgment("allowed", actor=COORDINATOR))
    assert result.stage is Stage.CONFIRMED_VICTIM and result.pending is None
    status = await nrm.status(ref)
    assert [d.act for d in status.decisions][-4:] == [
        "request_reconsideration",
        "record_review",
        "lodge_appeal",
        "record_judgment",
    ]
    assert (status.decisions[-1].court, status.decisions[-1].judgment_ref) == ("Tribunalul X", "J-1/2026")
    await eventually(
        lambda: _letter(
            nrm, ref, "coordonatorul MNR a înregistrat hotărârea instanței Tribunalul X (referința J-1/2026)"
        ),
        timeout=10,
    )


async def test_a_negative_stage2_is_provisional_until_the_panel_confirms_it(nrm: NrmClient, tmp_path: Path) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=panel_confirming(tmp_path))
    await nrm.decide_stage1(ref, decision())
    result = await nrm.decide_stage2(ref, decision("negative", reasons="not on the balance of probabilities"))
    assert result.stage is Stage.STAGE2_NEGATIVE and result.removal_suspended
    assert result.pending is not None and result.pending.phase is ChallengePhase.PANEL_CONFIRMATION
    assert result.pending.waiting_for == "review_panel" and "reconsideration_request" not in open_kinds(result)
    await refused(
        nrm,
        ref,
        lambda: nrm.request_reconsideration(ref, ask()),
        f"a reconsideration request is not possible: case {ref} is stage2_negative, provisional until the review "
        "panel confirms it (needs reconsideration window open or final)",
    )
    await settled(nrm.client, ref)
    assert len(_letters(nrm, ref)) == 1  # Stage 1's: a provisional Stage 2 sends none

    result = await nrm.record_review(ref, review("upheld"))
    assert result.pending is not None and result.pending.phase is ChallengePhase.RECONSIDERATION_WINDOW
    assert "reconsideration_request" in open_kinds(result)

    async def two_letters() -> list[str] | None:
        return letters if len(letters := _letters(nrm, ref)) == 2 else None

    [_, issued] = await eventually(two_letters, timeout=10)
    assert "a luat o decizie negativă de etapa 2 (definitivă)" in issued  # issued now, by who decided it
    assert "not on the balance of probabilities" in issued
    status = await nrm.status(ref)
    assert [d.act for d in status.decisions][-2:] == ["stage2_decision", "record_review"]


async def test_remitted_owes_a_new_stage1_decision(nrm: NrmClient) -> None:
    ref = await negative_case(nrm, 1)
    await nrm.request_reconsideration(ref, ask())
    await nrm.record_review(ref, review("upheld"))
    await nrm.lodge_appeal(ref, AppealRequest(actor=ADVOCATE, reasons="error of law"))
    result = await nrm.record_judgment(ref, judgment("remitted"))
    assert result.stage is Stage.STAGE1_PENDING and result.removal_suspended
    again = next(d for d in result.open_deadlines if d.id == "stage1_decision#2")
    assert again.owner_role == "competent_authority"
    assert again.due_at - result.as_of <= timedelta(seconds=6)  # fast.toml's Stage 1 time for an adult
    result = await nrm.decide_stage1(ref, decision())
    assert result.stage is Stage.PRESUMED_VICTIM


async def test_window_lapses_final_negative_owes_support_then_removal_may_proceed(nrm: NrmClient) -> None:
    ref = await negative_case(nrm, 1)
    status = await eventually(
        lambda: _stage(nrm, ref, Stage.FINAL_NEGATIVE), timeout=20
    )  # the 8 s window closes unused
    window = next(d for d in status.deadlines if d.kind == "reconsideration_request")
    assert window.state.value == "lapsed" and window.breaches == 1 and window.reminders_sent == 2
    assert {"vulnerability_assessment", "onward_referral"} <= open_kinds(status)
    assert all(d.owner_role == "coordinator" for d in status.open_deadlines)
    assert status.removal_suspended and status.pending is None
    result = await nrm.provide(ref, ProvideRequest(actor=COORDINATOR, kind="vulnerability_assessment", evidence="x"))
    assert result.removal_suspended
    result = await nrm.provide(ref, ProvideRequest(actor=COORDINATOR, kind="onward_referral", evidence="to NGO"))
    assert not result.removal_suspended and result.stage is Stage.FINAL_NEGATIVE


async def _stage(nrm: NrmClient, ref: str, stage: Stage) -> CaseStatus | None:
    status = await nrm.status(ref)
    return status if status.stage is stage else None


async def test_refusals_change_nothing(nrm: NrmClient) -> None:
    ref = await negative_case(nrm, 1, policy=None)  # the OSCE model: 30-day windows
    challengers = "allowed: coordinator, first_responder, legal_representative, support_provider"
    for actor in (AUTHORITY, PANEL, AUDITOR):
        await refused(
            nrm,
            ref,
            lambda: nrm.request_reconsideration(ref, ask(actor)),
            f"role {actor.role.value} may not request reconsideration; {challengers}",
        )
    for reasons in ("", " \n "):
        await refused(
            nrm,
            ref,
            lambda: nrm.request_reconsideration(ref, ask(reasons=reasons)),
            "a reconsideration request needs written reasons",
        )
    window_open = f"case {ref} is stage1_negative, reconsideration window open"
    await refused(
        nrm,
        ref,
        lambda: nrm.record_review(ref, review("upheld")),
        f"a review panel's decision is not possible: {window_open} (needs reconsideration pending or provisional "
        "until the review panel confirms it)",
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.lodge_appeal(ref, AppealRequest(actor=LAWYER, reasons="x")),
        f"an appeal is not possible: {window_open} (needs appeal window open)",
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.record_judgment(ref, judgment("allowed")),
        f"a judgment is not possible: {window_open} (needs appeal pending)",
    )
    await nrm.request_reconsideration(ref, ask())
    await refused(
        nrm,
        ref,
        lambda: nrm.record_review(ref, review("upheld", actor=COORDINATOR)),
        "role coordinator may not record a review panel's decision; allowed: review_panel",
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.record_review(ref, review("overturned", reasons="")),
        "a review panel's decision needs written reasons",
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.provide(ref, ProvideRequest(actor=PANEL, kind="reconsideration_review", evidence="x")),
        "reconsideration_review is recorded by an act of its own: use `nrm case review`",
    )
    await nrm.record_review(ref, review("upheld"))
    await nrm.lodge_appeal(ref, AppealRequest(actor=LAWYER, reasons="error of law"))
    await refused(
        nrm,
        ref,
        lambda: nrm.record_judgment(ref, judgment("allowed", actor=ADVOCATE)),
        "role support_provider may not record a court's judgment; allowed: coordinator, legal_representative",
    )
    await refused(
        nrm, ref, lambda: nrm.record_judgment(ref, judgment("allowed", court="")), "a judgment needs the court's name"
    )
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date()
    await refused(
        nrm,
        ref,
        lambda: nrm.record_judgment(ref, judgment("allowed", decided_on=tomorrow)),
        f"the date of the judgment, {tomorrow.isoformat()}, is in the future",
    )
    assert [d.act for d in (await nrm.status(ref)).decisions] == [
        "stage1_decision",
        "request_reconsideration",
        "record_review",
        "lodge_appeal",
    ]


async def test_a_closed_window_refuses_a_request_without_new_evidence(nrm: NrmClient, tmp_path: Path) -> None:
    policy = tmp_path / "short-window.toml"
    text = Path(FAST_POLICY).read_text(encoding="utf-8")
    text = text.replace('reconsideration_window = "PT8S"', 'reconsideration_window = "PT2S"')
    policy.write_text(text.replace('final_support_due = "PT10S"', 'final_support_due = "P5D"'), encoding="utf-8")
    ref = await negative_case(nrm, 1, policy=str(policy))
    status = await eventually(lambda: _stage(nrm, ref, Stage.FINAL_NEGATIVE), timeout=15)
    closed = next(d for d in status.deadlines if d.kind == "reconsideration_request").due_at
    await refused(
        nrm,
        ref,
        lambda: nrm.request_reconsideration(ref, ask()),
        f"the reconsideration window of case {ref} closed at {closed.isoformat()}: a request now needs new "
        "evidence (--new-evidence, with the evidence summarised)",
    )
    result = await nrm.request_reconsideration(ref, ask(new_evidence=True, evidence="a witness came forward"))
    assert result.stage is Stage.STAGE1_NEGATIVE and result.removal_suspended
    status = await nrm.status(ref)
    assert status.decisions[-1].late and status.decisions[-1].outcome == "requested late, on new evidence"


async def _listed_as_pending(cli_env: dict[str, str], ref: str, pending: str, phase: str) -> bool:
    """`nrm cases list --pending PENDING` lists the case, in that phase (visibility follows a moment later)."""
    listed = await run_nrm("cases", "list", "--pending", pending, "--all", "--json", env=cli_env)
    return any(row["reference"] == ref and row["pending"] == phase for row in listed.json())


async def test_the_commands(cli_env: dict[str, str], nrm: NrmClient) -> None:
    ref = await negative_case(nrm, 1, policy=None)
    shown = await run_nrm("case", "show", ref, env=cli_env)
    assert "pending: reconsideration of the negative Stage 1 decision may be requested until" in shown.out
    await eventually(lambda: _listed_as_pending(cli_env, ref, "reconsideration", "reconsideration_window"), timeout=10)
    refusal = await run_nrm("case", "reconsider", ref, "--as", "review_panel:rp-1", env=cli_env)
    assert refusal.error_line(3) == (
        "error: role review_panel may not request reconsideration; allowed: coordinator, first_responder, "
        "legal_representative, support_provider"
    )
    done = await run_nrm(
        "case", "reconsider", ref, "--reasons", "indicators overlooked", "--as", "support_provider:sp-1", "--json",
        env=cli_env,
    )  # fmt: skip
    assert done.json()["pending"]["phase"] == "reconsideration pending"
    done = await run_nrm(
        "case", "review", ref, "--outcome", "upheld", "--reasons", "no new facts", "--as", "review_panel:rp-1",
        "--json", env=cli_env,
    )  # fmt: skip
    assert done.json()["pending"]["phase"] == "appeal window open"
    done = await run_nrm(
        "case", "appeal", ref, "--reasons", "error of law", "--as", "legal_representative:lr-1", "--json",
        env=cli_env,
    )  # fmt: skip
    assert done.json()["pending"]["waiting_for"] == "court"
    await eventually(lambda: _listed_as_pending(cli_env, ref, "appeal", "appeal"), timeout=10)
    assert not await _listed_as_pending(cli_env, ref, "reconsideration", "appeal")
    today = date.today().isoformat()
    missing = await run_nrm(
        "case", "judgment", ref, "--outcome", "dismissed", "--court", "Tribunalul X", "--decided-on", today,
        "--as", "legal_representative:lr-1", env=cli_env,
    )  # fmt: skip
    assert missing.error_line(3) == "error: a judgment needs the judgment's reference"
    done = await run_nrm(
        "case", "judgment", ref, "--outcome", "dismissed", "--court", "Tribunalul X", "--judgment-ref", "J-9",
        "--decided-on", today, "--as", "legal_representative:lr-1", "--json", env=cli_env,
    )  # fmt: skip
    status = done.json()
    assert status["stage"] == "final_negative" and status["removal_suspended"] and status["pending"] is None
    assert {"vulnerability_assessment", "onward_referral"} <= {d["kind"] for d in status["open_deadlines"]}


async def test_a_childs_window_is_the_guardian_advocates_who_may_request(nrm: NrmClient) -> None:
    ref = await nrm.open_case(child_referral(), FIRST_RESPONDER)  # the OSCE model
    await guardian_advocate_allocated(nrm, ref)
    await nrm.decide_stage1(ref, child_decision("negative"))
    status = await nrm.status(ref)
    assert status.pending is not None and status.pending.waiting_for == "guardian_advocate"
    assert status.removal_suspended
    result = await nrm.request_reconsideration(ref, ask(GUARDIAN_ADVOCATE))
    assert result.pending is not None and result.pending.phase is ChallengePhase.RECONSIDERATION
    adult = await negative_case(nrm, 1, policy=None)
    await refused(
        nrm,
        adult,
        lambda: nrm.request_reconsideration(adult, ask(GUARDIAN_ADVOCATE)),
        "role guardian_advocate may not request reconsideration; allowed: coordinator, first_responder, "
        "legal_representative, support_provider",
    )
