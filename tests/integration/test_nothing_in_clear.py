"""Nothing identifying in clear: cases whose name, date of birth, nationality, address and reasons are sentinel
strings go through Stage 1 and Stage 2 (and through refusals on the way); then the server's SQLite file, the
worker's logs (DEBUG, JSON) and every error message are scanned: zero hits. With the key, the export shows them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from temporalio.client import Client

from domain.requests import ExtendRRRequest
from plumbing.settings import Settings
from starter.client import NrmClient, NrmError
from tests.conftest import FAST_POLICY
from tests.devserver import address, start_dev_server
from tests.integration.helpers import (
    AUTHORITY,
    COORDINATOR,
    FIRST_RESPONDER,
    adult_referral,
    child_referral,
    decision,
    guardian_advocate_allocated,
)

NAME = "Qxzv Sentinelname-7H3K"
NATIONALITY = "Sentinelnationality-Q9"
ADDRESS = "17 Sentinelstreet-W4P"
ADULT_BIRTH = date(1931, 7, 29)
CHILD_BIRTH = date(date.today().year - 12, 2, 3)
REASONS = "Sentinelreason-R8 told by the person"
SENTINELS = [NAME, NATIONALITY, ADDRESS, ADULT_BIRTH.isoformat(), CHILD_BIRTH.isoformat(), REASONS]


def person(birth: date) -> dict[str, str]:
    return {"name": NAME, "date_of_birth": birth.isoformat(), "nationality": NATIONALITY, "address": ADDRESS}


def hits(text: str | bytes) -> list[str]:
    blob = text.lower() if isinstance(text, str) else text.decode("utf-8", "replace").lower()
    return [s for s in SENTINELS if s.lower() in blob]


async def run_cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "nrm"),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, stderr.decode()


async def test_no_personal_data_in_database_logs_or_errors(
    settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "temporal.db"
    env = await start_dev_server(settings, db=db)
    own = settings.model_copy(
        update={"temporal_address": address(env), "task_queue": f"in-clear-{uuid.uuid4().hex[:8]}"}
    )
    child_env = {
        **cli_env,
        "TEMPORAL_ADDRESS": own.temporal_address,
        "NRM_TASK_QUEUE": own.task_queue,
        "NRM_LOG_LEVEL": "DEBUG",
        "NRM_LOG_FORMAT": "json",
    }
    worker_log = tmp_path / "worker.log"
    with worker_log.open("wb") as log_file:
        worker = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "nrm"),
            "worker",
            env=child_env,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
        )
    errors: list[str] = []
    try:
        nrm = NrmClient(Client(**{**env.client.config()}), own)

        async def refused(act) -> None:
            with pytest.raises(NrmError) as caught:
                await act
            errors.append(str(caught.value))

        await refused(
            nrm.open_case(
                adult_referral(person={**person(ADULT_BIRTH), "date_of_birth": "2999-01-01"}), FIRST_RESPONDER
            )
        )
        await refused(nrm.open_case(adult_referral(person={**person(ADULT_BIRTH), "shoe": NAME}), FIRST_RESPONDER))
        await refused(
            nrm.open_case(
                adult_referral(person=person(ADULT_BIRTH), detected_on=(date.today() + timedelta(days=9)).isoformat()),
                FIRST_RESPONDER,
            )
        )
        bad_file = tmp_path / "referral.json"
        bad_file.write_text(json.dumps(adult_referral(person={**person(ADULT_BIRTH), "date_of_birth": NAME})))
        code, stderr = await run_cli(child_env, "case", "open", "--file", str(bad_file), "--as", "first_responder:fr-1")
        assert code == 2  # bad input
        errors.append(stderr)

        adult = await nrm.open_case(adult_referral(person=person(ADULT_BIRTH)), FIRST_RESPONDER)
        # the fast policy lets the child's negative Stage 2 come before the R&R period ends
        child = await nrm.open_case(child_referral(person=person(CHILD_BIRTH)), FIRST_RESPONDER, policy=FAST_POLICY)
        for ref in (adult, child):
            await refused(nrm.decide_stage1(ref, decision(actor=COORDINATOR, reasons=REASONS)))
            await refused(nrm.decide_stage2(ref, decision(reasons=REASONS)))
            await refused(
                nrm.extend_rr(ref, ExtendRRRequest(actor=AUTHORITY, reasons=REASONS, extend_by=timedelta(days=1)))
            )
            code, stderr = await run_cli(
                child_env,
                "case",
                "decide",
                "stage1",
                ref,
                "--outcome",
                "positive",
                "--reasons",
                REASONS,
                "--as",
                "auditor:au-1",
            )
            assert code == 3  # refused by the case
            errors.append(stderr)
            views = {"child_views": f"{NAME} wants to stay"} if ref == child else {}
            if ref == child:
                await guardian_advocate_allocated(nrm, ref)
            await nrm.decide_stage1(ref, decision(reasons=REASONS, evidence=f"interview with {NAME}", **views))
            outcome = "negative" if ref == child else "positive"
            await nrm.decide_stage2(ref, decision(outcome, reasons=REASONS, **views))

        export = await nrm.personal_data(adult, COORDINATOR)
        held = export.model_dump_json()
        assert hits(held) == [NAME, NATIONALITY, ADDRESS, ADULT_BIRTH.isoformat(), REASONS]
        assert export.referral.person.address == ADDRESS and export.status.stage.value == "confirmed_victim"
    finally:
        if worker.returncode is None:
            os.killpg(worker.pid, signal.SIGINT)
            await asyncio.wait_for(worker.wait(), 30)
        await env.shutdown()

    assert len(errors) == 12 and all(errors)
    assert [e for e in errors if hits(e)] == []
    logged = worker_log.read_text()
    assert adult in logged and child in logged, "the worker's log is not the one that ran these cases"
    assert hits(logged) == []
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("temporal.db*"))
    assert f"case-{adult}".encode() in stored, "the database file is not the one that holds these cases"
    assert hits(stored) == []
