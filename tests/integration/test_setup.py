"""`nrm setup` on an existing cluster: a bare dev server started without nrmflow's search attributes is refused by
the worker and by `nrm case open` until `nrm setup` registers them (any number of times); then a case runs there. A
conflicting attribute type is named; `--cloud` prints the `tcld` commands. The connection is read like every
Temporal tool reads it (a `temporal.toml` profile), and re-applying the digest schedule keeps an operator's pause."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.case import Stage
from plumbing import search_attributes as sa
from plumbing.connection import data_converter
from plumbing.settings import Settings
from starter.client import NrmClient
from starter.schedules import DIGEST_SCHEDULE_ID
from starter.up import temporal_binary
from tests.conftest import eventually
from tests.devserver import address
from tests.integration.helpers import FIRST_RESPONDER, adult_referral, decision
from tests.integration.nrm_cli import run_nrm
from worker import build_worker

BAD_INPUT, UNAVAILABLE = 2, 5
ALL_NAMES = [k.name for k in sa.ALL]
LACKS_ALL = (
    "error: namespace default lacks nrmflow's search attributes NrmStage (Keyword), NrmJurisdiction (Keyword), "
    "NrmIsChild (Bool), NrmNextDeadline (Datetime), NrmNextDeadlineKind (Keyword), NrmBreachCount (Int), "
    "NrmOpenDeadlines (KeywordList), NrmPending (Keyword), NrmLife (Keyword): run `nrm setup` (on Temporal Cloud "
    "`nrm setup --cloud`)"
)
OPEN = ["case", "open", "--adult", "--consent", "--cross-border", "--exploitation", "labour", "--sex", "female"]


@asynccontextmanager
async def bare_server(settings: Settings) -> AsyncIterator[WorkflowEnvironment]:
    """A dev server without nrmflow's search attributes (as a cluster is before `nrm setup`), with a second
    namespace `clash` for the conflicting type."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        dev_server_log_level="error",
        dev_server_extra_args=["--namespace", "clash"],
        data_converter=data_converter(settings),
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def test_setup_prepares_a_bare_namespace_refused_until_then(cli_env: dict[str, str], settings: Settings) -> None:
    queue = f"setup-{uuid.uuid4().hex[:8]}"
    async with bare_server(settings) as bare:
        env = cli_env | {"TEMPORAL_ADDRESS": address(bare), "NRM_TASK_QUEUE": queue}

        # before: the worker refuses to start, `nrm case open` refuses before starting anything
        worker, opened = await asyncio.gather(
            run_nrm("worker", env=env), run_nrm(*OPEN, "--as", "first_responder:fr-1", env=env)
        )
        assert worker.error_line(UNAVAILABLE) == LACKS_ALL
        assert opened.error_line(UNAVAILABLE) == LACKS_ALL
        assert [w.id async for w in bare.client.list_workflows()] == []

        # --cloud: the tcld commands for all of them, nothing changed on the server
        cloud = (await run_nrm("setup", "--cloud", "--json", env=env)).json()
        assert cloud["tcld"] == [
            "tcld namespace search-attributes add --namespace default --search-attribute NrmStage=Keyword "
            "--search-attribute NrmJurisdiction=Keyword --search-attribute NrmIsChild=Bool --search-attribute "
            "NrmNextDeadline=Datetime --search-attribute NrmNextDeadlineKind=Keyword --search-attribute "
            "NrmBreachCount=Int --search-attribute NrmOpenDeadlines=KeywordList --search-attribute NrmPending=Keyword "
            "--search-attribute NrmLife=Keyword",
            "tcld namespace retention set --namespace default --retention-days 365",
        ]
        assert cloud["missing"] == [f"{k.name} ({sa.type_name(k)})" for k in sa.ALL] and cloud["ready"] is False
        assert not (await sa.check(bare.client)).ok

        first = (await run_nrm("setup", "--json", env=env)).json()
        again = (await run_nrm("setup", "--json", env=env)).json()
        assert first["search_attributes"] == dict.fromkeys(ALL_NAMES, "added")
        assert again["search_attributes"] == dict.fromkeys(ALL_NAMES, "present")
        assert cloud["schedules"] == {DIGEST_SCHEDULE_ID: "created"}  # the data plane's part, on Cloud too
        assert first["schedules"] == again["schedules"] == {DIGEST_SCHEDULE_ID: "updated"}
        assert first["retention_days"] == again["retention_days"] == 365 and again["ready"] is True
        checked = (await run_nrm("setup", "--cloud", "--json", env=env)).json()
        assert (checked["tcld"], checked["missing"], checked["ready"]) == ([], [], True)
        human = await run_nrm("setup", env=env)
        assert human.code == 0 and "search attribute NrmOpenDeadlines: present" in human.out, human.err
        assert "ready: workers may start and cases be opened" in human.out

        # a case's short path on it: opened through the CLI, decided through the client library
        own = settings.model_copy(update={"temporal_address": address(bare), "task_queue": queue})
        async with build_worker(bare.client, own):
            opened = await run_nrm(*OPEN, "--as", "first_responder:fr-1", "--json", env=env)
            reference = opened.json()["reference"]
            nrm = NrmClient(bare.client, own)
            decided = await nrm.decide_stage1(reference, decision())
            assert decided.stage is Stage.PRESUMED_VICTIM
            other = await nrm.open_case(adult_referral(), FIRST_RESPONDER)

            async def listed() -> set[str]:
                rows = (await run_nrm("cases", "list", "--json", env=env)).json()
                return {r["reference"] for r in rows} >= {reference, other}

            await eventually(listed, timeout=20)
        await bare.client.get_schedule_handle(DIGEST_SCHEDULE_ID).delete()


async def test_a_conflicting_attribute_type_is_named(cli_env: dict[str, str], settings: Settings) -> None:
    async with bare_server(settings) as bare:
        await bare.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace="clash", search_attributes={"NrmStage": IndexedValueType.INDEXED_VALUE_TYPE_INT}
            )
        )
        env = cli_env | {"TEMPORAL_ADDRESS": address(bare), "TEMPORAL_NAMESPACE": "clash"}
        setup, cloud, worker, opened = await asyncio.gather(
            run_nrm("setup", env=env),
            run_nrm("setup", "--cloud", env=env),
            run_nrm("worker", env=env),
            run_nrm(*OPEN, "--as", "first_responder:fr-1", env=env),
        )
        expected = (
            "error: namespace clash has search attributes of the wrong type: NrmStage is Int there, nrmflow needs "
            "Keyword (a search attribute's type cannot change: remove it or use another namespace)"
        )
        for run in (setup, cloud, worker, opened):
            assert run.error_line(UNAVAILABLE) == expected
        clash = await sa.namespace_attributes(await _client_on(bare, "clash"))
        assert {name: kind for name, kind in clash.items() if name.startswith("Nrm")} == {"NrmStage": "Int"}


async def _client_on(env: WorkflowEnvironment, namespace: str) -> Client:
    config = env.client.config()
    config["namespace"] = namespace
    return Client(**config)


async def test_a_temporal_toml_profile_points_nrm_at_the_server(
    cli_env: dict[str, str], nrm: NrmClient, tmp_path: Path
) -> None:
    reference = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    config = tmp_path / "temporal.toml"
    config.write_text(f'[profile.nrm-test]\naddress = "{cli_env["TEMPORAL_ADDRESS"]}"\nnamespace = "default"\n')
    env = {k: v for k, v in cli_env.items() if k != "TEMPORAL_ADDRESS"}
    env |= {"TEMPORAL_CONFIG_FILE": str(config), "TEMPORAL_PROFILE": "nrm-test"}
    shown = (await run_nrm("case", "show", reference, "--json", env=env)).json()
    assert shown["reference"] == reference and shown["stage"] == "stage1_pending"

    async def listed() -> bool:
        return reference in {r["reference"] for r in (await run_nrm("cases", "list", "--json", env=env)).json()}

    await eventually(listed, timeout=20)

    broken = tmp_path / "broken.toml"
    broken.write_text("[profile.nrm-test\naddress = \n")
    no_profile, bad_file, worker = await asyncio.gather(
        run_nrm("cases", "list", env=env | {"TEMPORAL_PROFILE": "nope"}),
        run_nrm("case", "show", reference, env=env | {"TEMPORAL_CONFIG_FILE": str(broken)}),
        run_nrm("worker", env=env | {"TEMPORAL_PROFILE": "nope"}),
    )
    where = "error: invalid Temporal connection configuration (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE): "
    assert no_profile.error_line(BAD_INPUT) == where + "Profile 'nope' not found"
    assert worker.error_line(BAD_INPUT) == where + "Profile 'nope' not found"
    assert bad_file.error_line(BAD_INPUT) == (
        where + "Configuration loading error: TOML parse error at line 1, column 18: unclosed table, expected `]`"
    )


async def test_a_paused_digest_schedule_stays_paused_when_applied_again(
    cli_env: dict[str, str], temporal_env: WorkflowEnvironment
) -> None:
    handle = temporal_env.client.get_schedule_handle(DIGEST_SCHEDULE_ID)
    note = "paused by the duty coordinator during the mail server migration"
    try:
        assert (await run_nrm("schedules", "apply", "--json", env=cli_env)).code == 0
        await handle.pause(note=note)
        applied = (await run_nrm("schedules", "apply", "--json", env=cli_env | {"NRM_DIGEST_HOUR": "9"})).json()
        assert applied == {DIGEST_SCHEDULE_ID: "updated"}
        described = await handle.describe()
        assert (described.schedule.state.paused, described.schedule.state.note) == (True, note)
        assert described.schedule.spec.calendars[0].hour[0].start == 9  # the settings did apply
        await handle.unpause(note="migration done")
        assert (await run_nrm("schedules", "apply", "--json", env=cli_env)).code == 0
        assert not (await handle.describe()).schedule.state.paused
    finally:
        await handle.delete()  # test_provide's digest test creates it afresh
