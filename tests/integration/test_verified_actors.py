"""Verified actors on a real server: every act is tried by every role that may not make it, unsigned, expired,
from the future, forged, by an unknown or revoked actor, for a role the actor does not hold, and replayed from
another case or act. Each is refused with its own message and the history gains no event; the allowed role then
succeeds. The CLI manages the directory."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.workflow import _Definition

from domain.actors import ActorAssertion, sign_act
from domain.case import Stage
from domain.reference import workflow_id
from domain.requests import ConsentRequest, ExtendRRRequest
from domain.roles import Act, Actor, Role, allowed_roles
from plumbing.actor_directory import DirectoryError, load_directory
from plumbing.settings import Settings
from starter.actors import SigningInterceptor, add_actor, load_private_key, revoke_actor
from starter.client import NrmClient
from tests.conftest import TEST_ACTORS, eventually
from tests.integration.helpers import (
    AUTHORITY,
    COORDINATOR,
    FIRST_RESPONDER,
    adult_referral,
    decision,
    history_events,
    settled,
)
from workflows.case import CaseWorkflow

ACTS = {
    "record_consent": Act.RECORD_CONSENT,
    "stage1_decision": Act.STAGE1_DECISION,
    "stage2_decision": Act.STAGE2_DECISION,
    "extend_rr": Act.EXTEND_RR,
}
REPLAYED = "^the assertion was signed for another case, another act or other arguments"
BY_ROLE = {Actor.parse(a).role: Actor.parse(a) for a in reversed(TEST_ACTORS)}  # the first test actor of each role


def act_request(act: str, actor: Actor) -> BaseModel:
    if act == "record_consent":
        return ConsentRequest(actor=actor, note="consent given at the second interview")
    if act == "extend_rr":
        return ExtendRRRequest(actor=actor, reasons="medical treatment ongoing", extend_by=timedelta(days=30))
    return decision(actor=actor)


class FixedAssertion(SigningInterceptor):
    """Sends one given assertion with every act: a copied assertion replayed elsewhere."""

    def __init__(self, assertion: ActorAssertion) -> None:
        super().__init__(lambda actor: Ed25519PrivateKey.generate())
        self.fixed = assertion

    def assertion(self, workflow_id: str, update: str, request: BaseModel, actor: Actor) -> ActorAssertion:
        return self.fixed


def client_with(env: WorkflowEnvironment, *interceptors: object) -> Client:
    """The session's client, without NrmClient's signing: it sends exactly what the test's interceptors add."""
    return Client(**{**env.client.config(), "interceptors": list(interceptors)})


async def refusal(client: Client, ref: str, act: str, request: BaseModel) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await client.get_workflow_handle(workflow_id(ref)).execute_update(act, request)
    return caught.value.cause.message


async def worker_follows(client: Client, ref: str, act: str, request: BaseModel, expected: str) -> None:
    """Wait until the worker refuses this act as `expected`: it follows the directory file (NRM_ACTORS_REFRESH).
    The act must be one the case refuses anyway, whatever directory the worker still holds."""

    async def refused_so() -> bool:
        return bool(re.search(expected, await refusal(client, ref, act, request)))

    await eventually(refused_so)


def test_every_update_of_the_case_has_a_validator_so_every_act_is_verified() -> None:
    updates = _Definition.must_from_class(CaseWorkflow).updates
    assert set(ACTS) <= set(updates)
    assert [name for name, defn in updates.items() if defn.validator is None] == []


async def test_every_forbidden_unsigned_forged_expired_or_replayed_act_is_refused_with_nothing_written(
    nrm: NrmClient, temporal_env: WorkflowEnvironment, settings: Settings
) -> None:
    key = lambda actor: load_private_key(settings, actor.id)  # noqa: E731
    revoked = Actor(role=Role.COMPETENT_AUTHORITY, id=f"ca-gone-{uuid.uuid4().hex[:6]}")
    add_actor(settings, revoked)
    cases = {
        "record_consent": await nrm.open_case(adult_referral(consent_to_referral=False), FIRST_RESPONDER),
        "stage1_decision": await nrm.open_case(adult_referral(), FIRST_RESPONDER),
        "stage2_decision": await nrm.open_case(adult_referral(), FIRST_RESPONDER),
    }
    await nrm.decide_stage1(cases["stage2_decision"], decision())
    cases["extend_rr"] = cases["stage2_decision"]
    revoke_actor(settings, revoked.id)
    for ref in set(cases.values()):
        await settled(nrm.client, ref)  # the letters and requests of Stage 1 sent: only an act could add events
    before = {ref: len(await history_events(nrm.client, ref)) for ref in set(cases.values())}

    unsigned = client_with(temporal_env)
    stale = client_with(temporal_env, SigningInterceptor(key, lambda: datetime.now(UTC) - timedelta(minutes=10)))
    early = client_with(temporal_env, SigningInterceptor(key, lambda: datetime.now(UTC) + timedelta(minutes=10)))
    forger = client_with(temporal_env, SigningInterceptor(lambda actor: Ed25519PrivateKey.generate()))
    signed = client_with(temporal_env, SigningInterceptor(key))
    # an act its case refuses anyway (Stage 1 is decided), so that a stale directory cannot let it through
    await worker_follows(
        signed,
        cases["stage2_decision"],
        "stage1_decision",
        act_request("stage1_decision", revoked),
        f"^actor {revoked.id} was revoked on ",
    )
    for act, ref in cases.items():
        allowed = allowed_roles(ACTS[act], stage1_delegated=True)
        actor = next(BY_ROLE[r] for r in (Role.COMPETENT_AUTHORITY, Role.COORDINATOR) if r in allowed)
        request = act_request(act, actor)
        for role in set(BY_ROLE) - allowed:
            message = await refusal(signed, ref, act, act_request(act, BY_ROLE[role]))
            assert message.startswith(f"role {role.value} may not "), message
        other_case = next(other for other in cases.values() if other != ref)
        copied = sign_act(key(actor), actor, workflow_id(other_case), act, request, datetime.now(UTC))
        other_act = "stage2_decision" if act != "stage2_decision" else "stage1_decision"
        copied_act = sign_act(key(actor), actor, workflow_id(ref), other_act, request, datetime.now(UTC))
        impostor = Actor(role=Role.COMPETENT_AUTHORITY, id=BY_ROLE[Role.FIRST_RESPONDER].id)
        attempts = {
            "unsigned": (unsigned, request, "^the act is unsigned"),
            "expired": (stale, request, r"the assertion expired: issued 6\d\d s ago, more than the 300 s allowed"),
            "future": (early, request, r"the assertion is issued 59\d s in the future"),
            "forged": (forger, request, f"^forged assertion: its signature does not verify with actor {actor.id}'s"),
            "unknown": (
                forger,
                act_request(act, Actor(role=actor.role, id="nobody-1")),
                "^actor nobody-1 is not in the actor directory",
            ),
            "revoked": (signed, act_request(act, revoked), f"^actor {revoked.id} was revoked on "),
            "role": (
                signed,
                act_request(act, impostor),
                f"actor {impostor.id} is registered as first_responder, not competent_authority",
            ),
            "other case": (client_with(temporal_env, FixedAssertion(copied)), request, REPLAYED),
            "other act": (client_with(temporal_env, FixedAssertion(copied_act)), request, REPLAYED),
        }
        for what, (client, req, expected) in attempts.items():
            message = await refusal(client, ref, act, req)
            assert re.search(expected, message), (act, what, message)
    assert {ref: len(await history_events(nrm.client, ref)) for ref in before} == before

    assert (
        await nrm.record_consent(cases["record_consent"], act_request("record_consent", COORDINATOR))
    ).stage is Stage.STAGE1_PENDING
    assert (await nrm.decide_stage1(cases["stage1_decision"], decision())).stage is Stage.PRESUMED_VICTIM
    status = await nrm.extend_rr(cases["extend_rr"], act_request("extend_rr", AUTHORITY))
    assert status.rr is not None and status.rr.extensions
    assert (
        await nrm.decide_stage2(cases["stage2_decision"], decision(actor=AUTHORITY))
    ).stage is Stage.CONFIRMED_VICTIM


async def test_a_new_actor_may_act_on_a_running_case_and_a_revoked_one_no_longer(
    nrm: NrmClient, temporal_env: WorkflowEnvironment, settings: Settings
) -> None:
    """No signal to the case: the worker follows the directory file, within NRM_ACTORS_REFRESH."""
    newcomer = Actor(role=Role.COMPETENT_AUTHORITY, id=f"ca-new-{uuid.uuid4().hex[:6]}")
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    add_actor(settings, newcomer)
    signed = client_with(temporal_env, SigningInterceptor(lambda actor: load_private_key(settings, actor.id)))
    request = decision(actor=newcomer)

    async def accepted() -> bool:
        try:
            await signed.get_workflow_handle(workflow_id(ref)).execute_update("stage1_decision", request)
        except WorkflowUpdateFailedError as exc:
            assert exc.cause.message == f"actor {newcomer.id} is not in the actor directory", exc.cause.message
            return False
        return True

    await eventually(accepted)
    revoke_actor(settings, newcomer.id)
    await worker_follows(signed, ref, "stage1_decision", request, f"^actor {newcomer.id} was revoked on ")
    assert (await nrm.status(ref)).stage is Stage.PRESUMED_VICTIM


async def test_actors_command_line_manages_the_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NRM_", "TEMPORAL_"))}
    env.update({"NRM_HOME": str(tmp_path), "TEMPORAL_ADDRESS": "127.0.0.1:1"})

    async def nrm(*args: str) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "nrm"),
            "actors",
            *args,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        return proc.returncode or 0, out.decode(), err.decode()

    code, out, err = await nrm("add", "competent_authority:ca-5")
    assert code == 0 and "added competent_authority:ca-5" in out and "applies to every case within 1 s" in out, err
    assert (tmp_path / "actors" / "ca-5.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "actors.json").stat().st_mode & 0o777 == 0o644
    with pytest.raises(DirectoryError, match="actor ca-5 is already in the directory \\(as competent_authority\\)"):
        add_actor(Settings(_env_file=None, home=tmp_path), Actor.parse("coordinator:ca-5"))
    code, out, err = await nrm("revoke", "ca-5")
    assert code == 0 and "revoked competent_authority:ca-5" in out
    code, out, err = await nrm("list", "--json")
    [row] = json.loads(out)
    assert row["id"] == "ca-5" and row["revoked_at"]
    (tmp_path / "actors.json").chmod(0o666)
    with pytest.raises(DirectoryError, match="writable by group or others"):
        load_directory(tmp_path / "actors.json")
