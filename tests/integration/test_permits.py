"""Residence permits and the holds on removal on the real dev server, under fast.toml with permits on a seconds
scale (tests/policies.with_permits): decided within 6 s, valid at least 20 s, renewal reminders 12 s and 6 s
before expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.case import Stage
from domain.permit_records import PermitAction, PermitGround, PermitType
from domain.requests import PermitRequest
from domain.roles import Actor, Role
from plumbing.connection import data_converter
from starter.audit.compliance import Status, evaluate_history
from starter.audit.history import decode_case, fetch_case
from starter.client import NrmClient
from tests.conftest import eventually
from tests.integration.helpers import FIRST_RESPONDER, adult_referral, decision, history_events, outbox_messages
from tests.integration.nrm_cli import run_nrm
from tests.integration.test_audit import auditor
from tests.integration.test_rejections import refused
from tests.policies import with_permits

AUTHORITY = Actor(role=Role.COMPETENT_AUTHORITY, id="ca-1")
OFFICER = Actor(role=Role.IMMIGRATION_AUTHORITY, id="ia-1")
AS_OFFICER = ("--as", "immigration_authority:ia-1")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _permit_letters(nrm: NrmClient, ref: str) -> list[str]:
    return [
        " ".join(m.get_payload(decode=True).decode().split())
        for m in outbox_messages(nrm.settings.outbox_path, ref)
        if m["X-NRM-Kind"] == "permit_letter"
    ]


async def _reminders(nrm: NrmClient, ref: str, obligation: str) -> list[str]:
    return [
        m["Subject"]
        for m in outbox_messages(nrm.settings.outbox_path, ref)
        if m["X-NRM-Kind"] == "reminder" and obligation in (m.get_payload(decode=True) or b"").decode()
    ]


async def test_a_confirmed_victim_is_granted_a_permit_reminded_before_expiry_and_renewed(
    nrm: NrmClient, cli_env: dict[str, str], tmp_path: Path
) -> None:
    policy = with_permits(tmp_path)
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=policy)
    await nrm.decide_stage1(ref, decision())
    result = await nrm.decide_stage2(ref, decision())
    assert result.stage is Stage.CONFIRMED_VICTIM
    owed = {d.kind: d for d in result.open_deadlines}
    assert owed["residence_permit"].owner_role == "immigration_authority"

    holds = await run_nrm("case", "holds", ref, "--json", env=cli_env)
    assert [h["kind"] for h in holds.json()] == ["permit"]
    assert "a residence permit is owed and not yet decided" in holds.json()[0]["text"]

    # a grant without grounds is refused by name, with nothing written; then granted through the CLI
    until = datetime.now(UTC) + timedelta(seconds=25)
    bad = await run_nrm("case", "permit", "grant", ref, *AS_OFFICER, "--valid-until", _iso(until), env=cli_env)
    assert "a permit needs its grounds" in bad.error_line(3)
    granted = await run_nrm(
        "case", "permit", "grant", ref, *AS_OFFICER, "--ground", "cooperation", "--ground", "personal_situation",
        "--valid-until", _iso(until), "--document", "RP-2026-0042", "--json",
        env=cli_env,
    )  # fmt: skip
    shown = granted.json()
    [permit] = shown["permits"]
    assert (permit["type"], permit["document"], permit["grounds"]) == (
        "residence",
        "RP-2026-0042",
        ["cooperation", "personal_situation"],
    )
    renewal = next(d for d in shown["open_deadlines"] if d["kind"] == "permit_renewal")
    assert renewal["due_at"].startswith(until.strftime("%Y-%m-%dT%H:%M:%S"))
    assert [h["kind"] for h in shown["holds"]] == ["permit"]
    await eventually(lambda: _letter(nrm, ref, "autoritatea pentru imigrări v-a acordat un permis de ședere"))

    # reminded 12 s and 6 s before expiry, to the authority and the advocate; then renewed
    await eventually(lambda: _count(nrm, ref, renewal["id"], 2), timeout=25)
    new_until = until + timedelta(seconds=30)
    result = await nrm.permit_decision(
        ref, PermitRequest(actor=OFFICER, action=PermitAction.RENEW, valid_until=new_until)
    )
    status = await nrm.status(ref)
    [permit_now] = status.permits
    assert permit_now.valid_until == new_until and len(permit_now.renewals) == 1
    renewals = [d for d in result.open_deadlines if d.kind == "permit_renewal"]
    assert len(renewals) == 1 and renewals[0].due_at == new_until
    await eventually(lambda: _letter(nrm, ref, "autoritatea pentru imigrări v-a reînnoit un permis de ședere"))

    # the audit judges the renewal's reminders by the policy's times before expiry, not by fractions
    converter = data_converter(nrm.settings)
    events = await decode_case(await fetch_case(nrm.client, ref), converter)
    found = {f.rule: f for f in evaluate_history(events, datetime.now(UTC)).findings}
    assert found["permit_renewal.residence.reminders"].status is Status.MET, found["permit_renewal.residence.reminders"]
    assert "12 seconds, 6 seconds before the permit expires" in found["permit_renewal.residence.reminders"].deadline
    assert found["residence_permit"].status is Status.MET
    timeline = await run_nrm("audit", "timeline", ref, env=auditor(cli_env))
    assert "permit decision [immigration_authority:ia-1]: grant" in timeline.out, timeline.out
    assert "RP-2026-0042" not in timeline.out  # the permit document's number stays in the encrypted case


async def _letter(nrm: NrmClient, ref: str, text: str) -> bool:
    return any(text in body for body in _permit_letters(nrm, ref))


async def _count(nrm: NrmClient, ref: str, obligation: str, n: int) -> bool:
    return len(await _reminders(nrm, ref, obligation)) >= n


async def test_stage2_overdue_owes_an_interim_permit_that_the_residence_permit_supersedes(
    nrm: NrmClient, tmp_path: Path
) -> None:
    policy = with_permits(tmp_path)
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=policy)
    await nrm.decide_stage1(ref, decision())

    async def interim_owed() -> bool:
        return any(d.kind == "interim_permit" for d in (await nrm.status(ref)).open_deadlines)

    await eventually(interim_owed, timeout=20)  # the R&R period of 8 s ends with Stage 2 undecided
    holds = {h.kind.value for h in (await nrm.status(ref)).holds}
    assert holds >= {"identification_not_final", "permit"}
    await nrm.permit_decision(
        ref,
        PermitRequest(
            actor=OFFICER,
            action=PermitAction.GRANT,
            grounds=[PermitGround.PERSONAL_SITUATION],
            valid_until=datetime.now(UTC) + timedelta(minutes=5),
        ),
    )
    await nrm.decide_stage2(ref, decision())
    await nrm.permit_decision(
        ref,
        PermitRequest(
            actor=OFFICER,
            action=PermitAction.GRANT,
            grounds=[PermitGround.COOPERATION],
            valid_until=datetime.now(UTC) + timedelta(minutes=10),
        ),
    )
    status = await nrm.status(ref)
    interim, residence = status.permits
    assert interim.type is PermitType.INTERIM and interim.ended_why == "superseded by the residence permit"
    assert residence.type is PermitType.RESIDENCE and residence.ended_at is None
    assert [d.kind for d in status.open_deadlines if "permit" in d.kind] == ["permit_renewal"]


async def test_wrong_permit_decisions_are_refused_with_nothing_written(nrm: NrmClient, tmp_path: Path) -> None:
    policy = with_permits(tmp_path)
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=policy)
    until = datetime.now(UTC) + timedelta(days=30)
    grant = PermitRequest(
        actor=OFFICER, action=PermitAction.GRANT, grounds=[PermitGround.COOPERATION], valid_until=until
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.permit_decision(ref, grant),
        f"case {ref}: no permit is owed; a residence permit is owed with a positive Stage 2, an interim one when "
        "Stage 2 is overdue at the end of the R&R period",
    )
    await nrm.decide_stage1(ref, decision())
    await nrm.decide_stage2(ref, decision())
    await refused(
        nrm,
        ref,
        lambda: nrm.permit_decision(
            ref, grant.model_copy(update={"actor": Actor(role=Role.COMPETENT_AUTHORITY, id="ca-1")})
        ),
        "role competent_authority may not decide on a residence permit; allowed: immigration_authority",
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.permit_decision(ref, PermitRequest(actor=OFFICER, action=PermitAction.REFUSE)),
        "refusing a permit needs written reasons",
    )
    await refused(
        nrm,
        ref,
        lambda: nrm.permit_decision(ref, grant.model_copy(update={"grounds": [PermitGround.BEST_INTERESTS]})),
        f"ground best_interests is not a ground for an adult's permit under {'fast-permits@test.1'}",
    )
    before = len(await history_events(nrm.client, ref))
    await nrm.permit_decision(
        ref, PermitRequest(actor=OFFICER, action=PermitAction.REFUSE, reasons="public order grounds")
    )
    assert len(await history_events(nrm.client, ref)) > before
    status = await nrm.status(ref)
    assert status.decisions[-1].outcome == "refused" and status.permits == []
