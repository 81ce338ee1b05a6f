"""Metrics (README "Production"): `nrm worker` with NRM_METRICS_BIND serves the SDK's metrics and nrmflow's on
/metrics; scraped during a case path, the acts (accepted and refused, by act and reason), the deadlines (met on
time, missed) and the messages sent are counted, open cases by stage are counted from visibility, and nothing in
the page names the case or the person."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.kinds import ObligationKind
from domain.requests import ProvideRequest
from plumbing.settings import Settings
from starter.client import NrmClient
from starter.errors import Refused
from tests.conftest import FAST_POLICY, eventually
from tests.integration.helpers import COORDINATOR, FIRST_RESPONDER, adult_referral, decision
from tests.integration.nrm_cli import free_port
from tests.integration.workers import running

NAME = "Qxzv Sentinelname-M3TR"
REASONS = "Sentinelreason-M9 told by the person"
SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def samples(page: str, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """Every sample of metric `name`: its labels (without the SDK's service_name) and value."""
    found = {}
    for line in page.splitlines():
        m = SAMPLE.match(line)
        if m and m["name"] == name:
            labels = frozenset(
                (k, v) for k, v in re.findall(r'(\w+)="([^"]*)"', m["labels"] or "") if k != "service_name"
            )
            found[labels] = float(m["value"])
    return found


def value(page: str, name: str, **labels: str) -> float:
    """The sum over the samples of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for k, v in samples(page, name).items() if wanted <= k)


@pytest.fixture
def queue(settings: Settings) -> str:
    return f"{settings.task_queue}-metrics"


async def test_the_metrics_endpoint_counts_a_case_path_and_names_nobody(
    temporal_env: WorkflowEnvironment,
    settings: Settings,
    cli_env: dict[str, str],
    queue: str,
    tmp_path: Path,
    finish: list[str],
) -> None:
    metrics = f"http://127.0.0.1:{free_port()}/metrics"
    env = cli_env | {
        "NRM_TASK_QUEUE": queue,
        "NRM_OUTBOX": str(tmp_path / "outbox"),
        "NRM_METRICS_BIND": metrics.removeprefix("http://").removesuffix("/metrics"),
        "NRM_OPEN_CASES_REFRESH": "PT1S",
    }
    async with running("all", env, tmp_path / "worker.log") as worker:
        nrm = NrmClient(temporal_env.client, settings.model_copy(update={"task_queue": queue}))
        referral = adult_referral(person={"name": NAME, "date_of_birth": date(1931, 7, 29).isoformat()})
        ref = await nrm.open_case(referral, FIRST_RESPONDER, policy=FAST_POLICY)
        finish.append(ref)
        with pytest.raises(Refused):
            await nrm.decide_stage2(ref, decision(reasons=REASONS))  # Stage 1 first
        await nrm.decide_stage1(ref, decision(actor=FIRST_RESPONDER, reasons=REASONS))
        await nrm.provide(ref, ProvideRequest(actor=COORDINATOR, kind="nrm_referral", evidence=REASONS))

        async def scrape() -> str:
            async with httpx.AsyncClient(timeout=5) as http:
                return (await http.get(metrics)).text

        async def counted() -> str | None:
            page = await scrape()
            done = (
                value(page, "nrm_deadlines_missed_total") >= 1  # a provision left undone past its 10 s
                and value(page, "nrm_messages_sent_total", channel="maildir", kind="decision_letter") >= 1
                and value(page, "nrm_open_cases", stage="presumed_victim") >= 1
            )
            return page if done else None

        page = await eventually(counted, timeout=40, interval=1)
        assert value(page, "nrm_acts_accepted_total", act="stage1_decision") >= 1
        assert value(page, "nrm_acts_accepted_total", act="provide") >= 1
        assert value(page, "nrm_acts_refused_total", act="stage2_decision", reason="wrong_stage") >= 1
        assert value(page, "nrm_deadlines_met_total", kind="stage1_decision", on_time="true") >= 1
        assert value(page, "nrm_deadlines_met_total", kind="nrm_referral", on_time="true") >= 1
        missed = {dict(labels)["kind"] for labels in samples(page, "nrm_deadlines_missed_total")}
        assert missed and missed <= {k.value for k in ObligationKind}  # e.g. stage2_decision once the 8 s R&R ends
        assert "temporal_workflow_completed" in page or "temporal_request" in page  # the SDK's own metrics too

        # no label, no line names the case or the person
        for secret in (ref, ref.lower(), NAME, REASONS, "1931-07-29", f"case-{ref}"):
            assert secret not in page
        labels = {v for line in page.splitlines() for v in re.findall(r'="([^"]*)"', line)}
        assert not [v for v in labels if re.search(r"NRM-[0-9A-Z]{4}-[0-9A-Z]{4}", v)]
        assert await worker.terminate() == 0
