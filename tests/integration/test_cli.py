"""The `nrm` command line as coordinators' scripts use it: subprocesses against the session's test server,
`--json` output parsed and checked, and one `error:` line with its exit code when something fails."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.case import Stage
from domain.reference import check_reference
from starter.client import NrmClient
from tests.conftest import eventually
from tests.integration.helpers import AUTHORITY, FIRST_RESPONDER, adult_referral, decision
from tests.integration.nrm_cli import run_nrm

# Cases are prepared and read back with the client library (`nrm` fixture, which also runs the worker) so that
# only the commands under test pay for a subprocess.

CA = ["--as", "competent_authority:ca-3"]


def days(a: str, b: str) -> float:
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)) / timedelta(days=1)


async def test_policies_list(cli_env: dict[str, str]) -> None:
    rows = {p["name"]: p for p in (await run_nrm("policies", "list", "--json", env=cli_env)).json()}
    assert rows["osce-model"]["rr"]["period"] == "P90D" and rows["coe-minimum"]["rr"]["period"] == "P30D"
    assert rows["osce-model"]["stage1"]["due_adult"] == "P5D" and rows["osce-model"]["stage1"]["due_child"] == "P2D"


async def test_open_from_flags_and_files_then_show(cli_env: dict[str, str], nrm: NrmClient, tmp_path: Path) -> None:
    json_file = tmp_path / "referral.json"
    json_file.write_text(
        json.dumps(
            {
                "first_responder_id": "fr-9",
                "detected_on": "2026-01-05",
                "cross_border": False,
                "consent_to_referral": True,
                "sex": "male",
                "exploitation_types": ["criminal"],
            }
        )
    )
    toml_file = tmp_path / "referral.toml"
    toml_file.write_text(
        'first_responder_id = "fr-9"\ndetected_on = 2026-01-06\ncross_border = true\n'
        'age_disputed = true\nlanguage = "uk"\n[person]\nname = "kept encrypted"\n'
    )
    env = cli_env | {"NRM_ACTOR": "first_responder:fr-9"}
    flags, from_json, from_toml, human = await asyncio.gather(
        run_nrm(
            "case",
            "open",
            "--adult",
            "--consent",
            "--cross-border",
            "--exploitation",
            "labour",
            "--exploitation",
            "begging",
            "--sex",
            "female",
            "--language",
            "ro",
            "--json",
            env=env,
        ),
        run_nrm("case", "open", "--file", str(json_file), "--json", env=env),
        run_nrm("case", "open", "-f", str(toml_file), "--policy", "coe-minimum", "--json", env=env),
        run_nrm("case", "open", "--child", "--internal", env=env),
    )
    refs = [r.json()["reference"] for r in (flags, from_json, from_toml)]
    refs.append(check_reference(human.out.strip()))  # without --json: the reference alone

    by_flags = (await run_nrm("case", "show", refs[0], "--json", env=cli_env)).json()
    assert (by_flags["stage"], by_flags["is_child"]) == ("stage1_pending", False)
    assert by_flags["policy"] == "osce-model@2024.1"
    assert days(by_flags["referred_at"], by_flags["next_deadline"]["due_at"]) == 5
    by_json, by_toml, by_human = [await nrm.status(ref) for ref in refs[1:]]
    assert by_json.stage is Stage.STAGE1_PENDING and not by_json.is_child
    assert (by_toml.is_child, by_toml.policy, by_toml.jurisdiction) == (True, "coe-minimum@2005.1", "coe-minimum")
    assert by_toml.deadlines[0].due_at - by_toml.referred_at == timedelta(hours=48)
    assert by_human.is_child and by_human.stage is Stage.STAGE1_PENDING

    text = (await run_nrm("case", "show", refs[0], env=cli_env)).out
    assert f"Case {refs[0]}" in text and "stage: stage1_pending" in text and "stage1_decision" in text


async def test_decide_extend_consent_and_list(cli_env: dict[str, str], nrm: NrmClient) -> None:
    env = cli_env | {"NRM_ACTOR": "first_responder:fr-4"}
    ref = await nrm.open_case(adult_referral(language="en"), FIRST_RESPONDER)
    outside = await nrm.open_case(adult_referral(consent_to_referral=False), FIRST_RESPONDER)

    consented, s1 = [
        r.json()
        for r in await asyncio.gather(
            run_nrm("case", "consent", outside, "--note", "informed later", "--json", env=env),
            run_nrm(
                "case",
                "decide",
                "stage1",
                ref,
                "--outcome",
                "positive",
                "--reasons",
                "indicators of forced labour",
                "--evidence",
                "interview",
                "--request-id",
                "cli-s1",
                "--json",
                *CA,
                env=env,
            ),
        )
    ]
    assert consented["stage"] == "stage1_pending" and consented["decisions"][0]["act"] == "record_consent"
    assert s1["repeated"] is False
    again = await run_nrm(
        "case",
        "decide",
        "stage1",
        ref,
        "--outcome",
        "positive",
        "--reasons",
        "indicators of forced labour",
        "--evidence",
        "interview",
        "--request-id",
        "cli-s1",
        "--json",
        *CA,
        env=env,
    )
    assert again.json()["repeated"] is True and len(again.json()["decisions"]) == 1
    assert again.err.strip() == "repeat: this act was carried out earlier under its request id; nothing was done again"
    assert s1["stage"] == "presumed_victim" and days(s1["rr"]["start"], s1["rr"]["end"]) == 90
    assert s1["decisions"][0] | {"at": None} == {
        "act": "stage1_decision",
        "outcome": "positive",
        "actor": {"role": "competent_authority", "id": "ca-3"},
        "at": None,
        "reasons": "indicators of forced labour",
        "evidence": "interview",
        "informed_in": "en",
        "stage": None,
        "challenged": None,
        "late": False,
        "court": "",
        "judgment_ref": "",
        "decided_on": None,
        "child_views": "",
    }

    by = (
        await run_nrm("case", "extend-rr", ref, "--by", "30d", "--reasons", "medical treatment", "--json", *CA, env=env)
    ).json()
    assert days(by["rr"]["start"], by["rr"]["end"]) == 120
    until = (datetime.now(UTC) + timedelta(days=400)).date()
    to_date = (
        await run_nrm(
            "case",
            "extend-rr",
            ref,
            "--until",
            until.isoformat(),
            "--reasons",
            "pending decision",
            "--json",
            *CA,
            env=env,
        )
    ).json()
    assert datetime.fromisoformat(to_date["rr"]["end"]) == datetime(until.year, until.month, until.day, tzinfo=UTC)
    stage2 = next(d for d in to_date["deadlines"] if d["kind"] == "stage2_decision")
    assert stage2["due_at"] == to_date["rr"]["end"]
    assert [e["automatic"] for e in to_date["rr"]["extensions"]] == [False, False]

    async def visible():
        rows = await nrm.list_cases(stage=Stage.PRESUMED_VICTIM)
        return ref in [r.reference for r in rows] and outside in [r.reference for r in await nrm.list_cases()]

    await eventually(visible)
    listed, soon = [
        r.json()
        for r in await asyncio.gather(
            run_nrm("cases", "list", "--stage", "presumed_victim", "--adult", "--all", "--json", env=env),
            run_nrm("cases", "list", "--due-within", "7d", "--all", "--json", env=env),
        )
    ]
    [row] = [r for r in listed if r["reference"] == ref]
    assert row["stage"] == "presumed_victim" and row["is_child"] is False and row["next_deadline"]
    assert outside in [r["reference"] for r in soon]  # Stage 1 due 5 days after consent

    early = await run_nrm(
        "case", "decide", "stage2", ref, "--outcome", "negative", "--reasons", "not established", *CA, env=env
    )
    assert early.error_line(3).startswith("error: a negative Stage 2 decision before the R&R period ends (")
    s2 = (
        await run_nrm(
            "case", "decide", "stage2", ref, "--outcome", "positive", "--reasons", "established", "--json", *CA, env=env
        )
    ).json()
    assert s2["stage"] == "confirmed_victim"
    assert [d["act"] for d in s2["decisions"]] == ["stage1_decision", "stage2_decision"]


async def test_errors_are_one_line_with_their_exit_code(cli_env: dict[str, str], nrm: NrmClient) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    await nrm.decide_stage1(ref, decision(actor=AUTHORITY))
    wrong_role, unknown, bad_duration, malformed, no_actor = await asyncio.gather(
        run_nrm(
            "case",
            "decide",
            "stage2",
            ref,
            "--outcome",
            "positive",
            "--reasons",
            "r",
            "--as",
            "coordinator:co-1",
            env=cli_env,
        ),
        run_nrm("case", "show", "NRM-0000-0000", env=cli_env),
        run_nrm("case", "extend-rr", ref, "--by", "30x", "--reasons", "r", *CA, env=cli_env),
        run_nrm("case", "show", "nrm-1", "--json", env=cli_env),
        run_nrm(
            "case", "decide", "stage2", ref, "--outcome", "positive", "--reasons", "r", "--as", "mayor:m-1", env=cli_env
        ),
    )
    assert wrong_role.error_line(3) == (
        "error: role coordinator may not make a Stage 2 decision; allowed: competent_authority"
    )
    assert unknown.error_line(4) == "error: no open case with reference NRM-0000-0000"
    assert bad_duration.error_line(2) == "error: '30x' is not a duration (use e.g. 7d, 48h, 30m or P30D)"
    assert malformed.error_json(2) == {  # with --json the error is an object on stderr
        "error": "'nrm-1' is not a case reference (expected the form NRM-XXXX-XXXX)",
        "kind": "bad_input",
        "exit_code": 2,
    }
    assert no_actor.error_line(2).startswith("error: unknown role 'mayor'; roles are: first_responder, ")
