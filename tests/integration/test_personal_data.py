"""The person's data rights: the export of everything held about them (for the coordinator only), and the
namespace retention after which closed cases are deleted."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from starter.client import NrmClient, Refused
from starter.retention import namespace_retention, set_namespace_retention
from tests.integration.helpers import AUDITOR, AUTHORITY, COORDINATOR, FIRST_RESPONDER, adult_referral, decision

NAME = "Personal Data Export Test Person"


async def nrm_cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "nrm"),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_the_coordinator_exports_everything_held_about_the_person(
    nrm: NrmClient, cli_env: dict[str, str], tmp_path: Path
) -> None:
    ref = await nrm.open_case(adult_referral(person={"name": NAME, "nationality": "md"}), FIRST_RESPONDER)
    await nrm.decide_stage1(ref, decision(reasons="indicators of forced labour"))

    export = await nrm.personal_data(ref, COORDINATOR)
    assert export.referral.person.name == NAME and export.referral.person.nationality == "md"
    assert export.opened_by == FIRST_RESPONDER and export.exported_by == COORDINATOR
    assert [(d.act, d.reasons) for d in export.status.decisions] == [("stage1_decision", "indicators of forced labour")]
    for other in (FIRST_RESPONDER, AUTHORITY, AUDITOR):
        with pytest.raises(
            Refused, match=f"role {other.role.value} may not export the person's data; allowed: coordinator"
        ):
            await nrm.personal_data(ref, other)

    target = tmp_path / "export.json"
    code, out, err = await nrm_cli(cli_env, "case", "personal-data", ref, "--as", "coordinator:co-1", "-o", str(target))
    assert code == 0, err
    assert json.loads(target.read_text())["referral"]["person"]["name"] == NAME
    assert target.stat().st_mode & 0o777 == 0o600
    code, out, err = await nrm_cli(cli_env, "case", "personal-data", ref, "--as", "auditor:au-1")
    assert code == 3 and NAME not in out + err and "may not export" in err


async def test_retention_of_closed_cases_is_the_namespace_setting(nrm: NrmClient, cli_env: dict[str, str]) -> None:
    await set_namespace_retention(nrm.client, timedelta(days=30))
    assert await namespace_retention(nrm.client) == timedelta(days=30)
    code, out, err = await nrm_cli({**cli_env, "NRM_RETENTION": "P400D"}, "retention", "--apply")
    assert code == 0, err
    assert "closed cases are deleted 400 days after they close" in out
    assert await namespace_retention(nrm.client) == timedelta(days=400)
