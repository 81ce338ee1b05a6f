"""`nrm batch FILE` and `nrm case open --from-csv FILE` as a script runs them: good, repeated and bad lines in one
file, each bad one told by its line number while the rest go on, a re-run acting once, and a CSV of referrals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starter.client import NrmClient
from tests.integration.helpers import FIRST_RESPONDER, adult_referral
from tests.integration.nrm_cli import run_nrm, run_nrm_on_terminal

CA = "competent_authority:ca-3"


def jsonl(*lines: dict[str, Any] | str) -> str:
    return "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)


def outcomes(report: dict[str, Any]) -> dict[int, str]:
    return {row["line"]: row["outcome"] for row in report["lines"]}


async def test_a_file_of_acts_acts_once_per_line_and_tells_each_refused_line(
    cli_env: dict[str, str], nrm: NrmClient, tmp_path: Path
) -> None:
    first = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    second = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    decide = {"act": "decide", "stage": "stage1", "reference": first, "outcome": "positive", "reasons": "indicators"}
    acts = tmp_path / "acts.jsonl"
    acts.write_text(
        jsonl(
            decide | {"request-id": "batch-1", "evidence": "interview"},
            # after the decision above, in the file's order: the provision it opened
            {
                "act": "provide",
                "reference": first,
                "kind": "urgent_healthcare",
                "evidence": "clinic visit",
                "as": "support_provider:sp-1",
                "request-id": "batch-2",
            },
            decide | {"request-id": "batch-1", "evidence": "interview"},  # the very same act again: a repeat
            decide | {"reference": second, "reasons": "", "request-id": "batch-4"},  # no reasons: refused by the case
            '{"act": "decide", ',  # not JSON
            decide | {"reference": second, "reason": "typo", "request-id": "batch-6"},  # no such field
            decide | {"reference": second},  # no request id
            "",
            decide | {"reference": second, "request-id": "batch-9"},
        )
    )

    run = await run_nrm("batch", str(acts), "--as", CA, "--concurrency", "4", "--json", env=cli_env)
    assert run.code == 3, run.err
    report = json.loads(run.out)
    assert (report["done"], report["repeated"], report["refused"]) == (3, 1, 4)
    assert outcomes(report) == {
        1: "done",
        2: "done",
        3: "repeated",
        4: "refused",
        5: "refused",
        6: "refused",
        7: "refused",
        9: "done",
    }
    refused = {row["line"]: row for row in report["lines"] if row["outcome"] == "refused"}
    assert refused[4]["kind"] == "refused" and "reasons" in refused[4]["error"]
    assert refused[5]["kind"] == "bad_input" and refused[5]["error"].startswith("not JSON")
    assert refused[6]["error"].startswith("decide stage1 takes no 'reason'; its fields: act, stage, reference")
    assert "request-id" in refused[7]["error"]

    async def decided() -> tuple[int, int, str]:
        a, b = await nrm.status(first), await nrm.status(second)
        provided = next(d for d in a.deadlines if d.kind == "urgent_healthcare")
        return len(a.decisions), len(b.decisions), provided.evidence

    assert await decided() == (1, 1, "clinic visit")

    again = await run_nrm("batch", "-", "--as", CA, env=cli_env, stdin=acts.read_text())
    assert again.code == 3 and again.out == ""
    told = again.err.splitlines()
    assert told[-1] == "0 done, 4 repeated, 4 refused (8 lines)"
    assert sorted(line.split(":")[0] for line in told[:-1]) == ["line 4", "line 5", "line 6", "line 7"]  # as told
    assert "line 5: bad_input: not JSON" in again.err
    assert await decided() == (1, 1, "clinic visit")  # nothing carried out twice


async def test_a_file_without_a_refused_line_exits_0(cli_env: dict[str, str], nrm: NrmClient, tmp_path: Path) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    line = {"act": "decide", "stage": "stage1", "reference": ref, "outcome": "negative", "reasons": "no indicators"}
    run = await run_nrm("batch", "-", "--json", env=cli_env, stdin=jsonl(line | {"as": CA, "request-id": "one"}))
    assert run.code == 0, run.err
    assert json.loads(run.out)["lines"] == [{"line": 1, "outcome": "done", "reference": ref}]
    assert (await nrm.status(ref)).decisions[0].outcome == "negative"


async def test_cases_open_from_a_csv_of_referrals(cli_env: dict[str, str], nrm: NrmClient, tmp_path: Path) -> None:
    referrals = tmp_path / "referrals.csv"
    referrals.write_text(
        "sex,exploitation,cross-border,consent,language,child,date-of-birth\n"
        "female,labour,yes,yes,ro,false,1990-04-01\n"
        "male,sexual;criminal,no,,uk,true,\n"
        "robot,labour,yes,yes,en,false,\n"
        "female,labour,maybe,yes,en,false,\n"
    )
    run = await run_nrm(
        "case", "open", "--from-csv", str(referrals), "--as", "first_responder:fr-4", "--json", env=cli_env
    )
    assert run.code == 3, run.err
    report = json.loads(run.out)
    assert (report["done"], report["repeated"], report["refused"]) == (2, 0, 2)
    rows = {row["line"]: row for row in report["lines"]}
    assert rows[4]["kind"] == "bad_input" and rows[4]["error"].startswith("invalid referral: sex:")
    assert "robot" not in rows[4]["error"]  # the input is not echoed
    assert rows[5]["error"] == "column cross-border: 'maybe' is not true or false"
    adult, child = await nrm.status(rows[2]["reference"]), await nrm.status(rows[3]["reference"])
    assert (adult.is_child, adult.stage.value) == (False, "stage1_pending")
    assert (child.is_child, child.stage.value) == (True, "stage1_pending")

    human = await run_nrm(
        "case", "open", "--from-csv", "-", "--as", "first_responder:fr-4", env=cli_env, stdin=referrals.read_text()
    )
    assert human.code == 3
    opened = dict(line.split("\t") for line in human.out.splitlines())
    assert set(opened) == {"2", "3"}
    assert (await nrm.status(opened["3"])).is_child
    assert human.err.splitlines()[-1] == "2 done, 0 repeated, 2 refused (4 lines)"


async def test_a_csv_with_an_unknown_column_is_refused_whole(cli_env: dict[str, str], tmp_path: Path) -> None:
    run = await run_nrm(
        "case", "open", "--from-csv", "-", "--as", "first_responder:fr-4", env=cli_env, stdin="sex,name\nfemale,A\n"
    )
    line = run.error_line(2)
    assert line.startswith("error: the CSV has a column 'name'; its columns: first-responder, detected-on")


async def test_the_progress_bars_run_on_a_terminal(cli_env: dict[str, str], nrm: NrmClient, tmp_path: Path) -> None:
    """Without a terminal (every test above) stderr holds only the refused lines and the summary; on one, `nrm batch`,
    `nrm cases list --all` and `nrm audit replay --all` show their progress."""
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    acts = tmp_path / "acts.jsonl"
    line = {"act": "decide", "stage": "stage1", "reference": ref, "outcome": "positive", "reasons": "indicators"}
    acts.write_text(jsonl(line | {"request-id": "tty-1"}))
    batch = await run_nrm_on_terminal("batch", str(acts), "--as", CA, env=cli_env)
    assert batch.code == 0
    assert "acts" in batch.err and "━" in batch.err  # the bar, drawn then cleared (transient)
    assert "1 done, 0 repeated, 0 refused (1 line)" in batch.err

    listed = await run_nrm_on_terminal("cases", "list", "--all", "--json", env=cli_env)
    assert listed.code == 0 and ref in {row["reference"] for row in json.loads(listed.out)}
    assert "listing cases" in listed.err and "━" in listed.err
    shown = await run_nrm_on_terminal("cases", "list", "--json", env=cli_env)  # the 100 due soonest: no bar
    assert shown.code == 0 and "listing cases" not in shown.err

    only = ("--query", f"WorkflowId = 'case-{ref}'")  # not every case of the session
    replayed = await run_nrm_on_terminal("audit", "replay", "--all", *only, "--as", "auditor:au-1", env=cli_env)
    assert replayed.code == 0, replayed.err
    assert "replaying" in replayed.err and "━" in replayed.err and ref in replayed.out
