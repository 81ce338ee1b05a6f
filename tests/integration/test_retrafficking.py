"""Re-trafficking: a person referred again is linked to their earlier cases through a pseudonymous person key held
only encrypted. On a dev server of the test's own with a SQLite file: the same person's second referral (their
name written otherwise) links both cases both ways; another person, or a referral without a birth date, links
nothing; a closed earlier case is linked from the new one, and links back once re-opened; `nrm case show` lists
the links and `nrm stats` counts the re-trafficked persons; then the database file holds neither the person's data
nor their key. The registry continues as new and still knows everyone, and its runs replay."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from domain.case import ClosureReason
from domain.person_key import person_key
from domain.person_registry import REGISTRY_ID, registry_id
from domain.referral import PersonalData
from domain.requests import CloseRequest, ReopenRequest
from plumbing.codec import KeyRing
from plumbing.settings import Settings
from starter.audit.history import CaseHistory
from starter.audit.replay import replay
from starter.client import NrmClient
from tests.conftest import FAST_POLICY, eventually
from tests.devserver import own_server
from tests.integration.helpers import AUTHORITY, COORDINATOR, FIRST_RESPONDER, adult_referral, decision
from tests.integration.nrm_cli import run_nrm

NAME = "Ana-Maria Sentinelperson-J7Q"
BIRTH = "1944-03-17"
NATIONALITY = "Sentinelland-V2"
PERSON = {"name": NAME, "date_of_birth": BIRTH, "nationality": NATIONALITY}


async def links(nrm: NrmClient, ref: str) -> list[tuple[str, str]]:
    return [(link.kind.value, link.reference) for link in (await nrm.status(ref)).links]


async def test_a_person_referred_again_is_linked_to_their_earlier_cases_and_nothing_is_in_clear(
    settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "temporal.db"
    async with own_server(settings, db=db) as nrm:
        env = {**cli_env, "TEMPORAL_ADDRESS": nrm.settings.temporal_address}
        first = await nrm.open_case(adult_referral(person=PERSON), FIRST_RESPONDER, policy=FAST_POLICY)
        again = {**PERSON, "name": "SENTINELPERSON-J7Q, ana maria"}  # the same person, written otherwise
        second = await nrm.open_case(adult_referral(person=again), FIRST_RESPONDER)
        other = await nrm.open_case(adult_referral(person={**PERSON, "date_of_birth": "1944-03-18"}), FIRST_RESPONDER)
        unkeyed = await nrm.open_case(adult_referral(person={"name": NAME}), FIRST_RESPONDER)

        assert await links(nrm, first) == [("referred_again_in", second)]
        assert await links(nrm, second) == [("retrafficking_of", first)]
        assert await links(nrm, other) == [] and await links(nrm, unkeyed) == []
        shown = (await run_nrm("case", "show", first, env=env)).out
        assert f"re-trafficking: the person referred again in {second}" in shown
        shown = (await run_nrm("case", "show", second, env=env)).out
        assert f"re-trafficking: the person's earlier case {first}" in shown

        # the first case closed, the person is referred a third time: linked to both, the open one links back
        await nrm.decide_stage1(first, decision(actor=AUTHORITY))
        await nrm.decide_stage2(first, decision(actor=AUTHORITY))
        await nrm.close_case(first, CloseRequest(actor=COORDINATOR, reason=ClosureReason.SUPPORT_ENDED))
        third = await nrm.open_case(adult_referral(person=PERSON), FIRST_RESPONDER)
        assert await links(nrm, third) == [("retrafficking_of", first), ("retrafficking_of", second)]
        assert await links(nrm, second) == [("retrafficking_of", first), ("referred_again_in", third)]
        assert await links(nrm, first) == [("referred_again_in", second)]  # closed: it takes no act
        await nrm.reopen_case(first, ReopenRequest(actor=COORDINATOR, reasons="referred again"))
        assert await links(nrm, first) == [("referred_again_in", second), ("referred_again_in", third)]

        out_dir = tmp_path / "stats"
        tomorrow = (date.today() + timedelta(days=1)).isoformat()
        args = ("stats", "--from", "2000-01-01", "--to", tomorrow, "--min-cell", "1", "--out", str(out_dir), "--json")
        counted = (await run_nrm(*args, "--as", "auditor:au-1", env=env, timeout=120)).json()
        [table] = [t for t in counted["tables"] if t["dimension"] == "retrafficking"]
        assert table["cells"] == {
            "an earlier case of a person referred again": 2,
            "no other case of the person known": 2,
            "re-trafficked: the person's latest case, earlier ones known": 1,  # one person, three cases
        }

    key = person_key(KeyRing.load(settings.key_path).person_secret or b"", PersonalData(**PERSON))
    assert key is not None
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("temporal.db*"))
    assert f"case-{second}".encode() in stored and REGISTRY_ID.encode() in stored, "not the database of these cases"
    for sentinel in (NAME, "Sentinelperson", BIRTH, NATIONALITY, key):
        assert sentinel.lower().encode() not in stored.lower(), sentinel
    assert json.dumps(PERSON).encode() not in stored


async def test_the_registry_continues_as_new_and_still_knows_every_person(settings: Settings) -> None:
    server_args = ["--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=30"]  # about 6 registrations
    async with own_server(settings, extra_args=server_args) as nrm:
        secret = KeyRing.load(settings.key_path).person_secret or b""

        def shard(person: dict[str, str]) -> str:
            key = person_key(secret, PersonalData(**person))
            assert key is not None
            return registry_id(key)

        everyone = [{**PERSON, "name": f"Person {n}"} for n in range(400)]
        registry = shard(everyone[0])
        persons = [p for p in everyone if shard(p) == registry][:10]  # ten people of one shard of the registry
        assert len(persons) == 10
        refs = [await nrm.open_case(adult_referral(person=p), FIRST_RESPONDER) for p in persons]
        again = await nrm.open_case(adult_referral(person=persons[0]), FIRST_RESPONDER)
        assert await links(nrm, again) == [("retrafficking_of", refs[0])]
        assert await links(nrm, refs[0]) == [("referred_again_in", again)]

        async def runs() -> list[str] | None:
            listed = [e.run_id async for e in nrm.client.list_workflows(f"WorkflowId = '{registry}'")]
            return listed if len(listed) >= 2 else None

        histories = [
            await nrm.client.get_workflow_handle(registry, run_id=run_id).fetch_history()
            for run_id in await eventually(runs)
        ]
        outcomes = [o async for o in replay([CaseHistory(registry, tuple(histories))], nrm.client.data_converter)]
        assert len(outcomes) == len(histories) and all(o.faithful for o in outcomes)
