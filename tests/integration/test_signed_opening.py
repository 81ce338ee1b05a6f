"""Opening a case is a signed act like every other (the `open_case` Update sent with the start): a workflow started
without it, with a forged one, or signed by another actor than the opener it names opens nothing, sends nothing
and is not listed; the opening the client library sends is in the history with its signed assertion."""

from __future__ import annotations

import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy

from domain.policy import load_policy
from domain.reference import workflow_id
from domain.referral import Referral
from domain.requests import ConsentRequest, OpenCase, OpeningRequest
from domain.roles import Act
from starter.actors import SigningInterceptor
from starter.client import NrmClient
from starter.errors import UnknownCase
from tests.conftest import FAST_POLICY
from tests.integration.helpers import COORDINATOR, FIRST_RESPONDER, adult_referral, history_events, outbox_messages
from tests.integration.nrm_cli import run_nrm


def fabricated(nrm: NrmClient) -> tuple[str, OpenCase]:
    ref = f"NRM-{uuid.uuid4().hex[:4].upper()}-{uuid.uuid4().hex[:4].upper()}"
    policy = load_policy(FAST_POLICY, nrm.settings.policy_dir)
    referral = Referral.model_validate(adult_referral())
    return ref, OpenCase(reference=ref, referral=referral, policy=policy, opened_by=FIRST_RESPONDER)


async def test_a_case_started_without_its_signed_opening_opens_nothing(nrm: NrmClient, cli_env: dict[str, str]) -> None:
    ref, opening = fabricated(nrm)
    bare = Client(**{**nrm.client.config(), "interceptors": []})
    handle = await bare.start_workflow("CaseWorkflow", opening, id=workflow_id(ref), task_queue=nrm.settings.task_queue)
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    assert "a case is opened only by its signed opening" in str(failed.value.cause)
    assert outbox_messages(nrm.settings.outbox_path, ref) == []
    events = await history_events(nrm.client, ref)
    assert not any(e.HasField("activity_task_scheduled_event_attributes") for e in events)
    assert not any(e.HasField("upsert_workflow_search_attributes_event_attributes") for e in events)
    listed = (await run_nrm("cases", "list", "--all", "--json", env=cli_env)).json()
    assert ref not in {row["reference"] for row in listed}


@pytest.mark.parametrize("how", ["forged", "unsigned", "another actor"])
async def test_an_opening_forged_unsigned_or_by_another_actor_is_refused(nrm: NrmClient, how: str) -> None:
    ref, opening = fabricated(nrm)
    interceptors = {
        "forged": [SigningInterceptor(lambda actor: Ed25519PrivateKey.generate())],
        "unsigned": [],
        "another actor": nrm.client.config()["interceptors"],
    }[how]
    client = Client(**{**nrm.client.config(), "interceptors": interceptors})
    start = WithStartWorkflowOperation(
        "CaseWorkflow",
        opening,
        id=workflow_id(ref),
        task_queue=nrm.settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    signer = COORDINATOR if how == "another actor" else FIRST_RESPONDER
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await client.execute_update_with_start_workflow(
            Act.OPEN_CASE.value, OpeningRequest(actor=signer), start_workflow_operation=start
        )
    expected = {
        "forged": "forged assertion",
        "unsigned": "the act is unsigned",
        "another actor": "signed by another actor than its opener",
    }[how]
    assert expected in str(refused.value.cause)
    with pytest.raises(WorkflowFailureError):
        await client.get_workflow_handle(workflow_id(ref)).result()
    with pytest.raises(UnknownCase, match="no open case with reference"):  # its run has ended
        await nrm.record_consent(ref, ConsentRequest(actor=COORDINATOR))
    assert outbox_messages(nrm.settings.outbox_path, ref) == []


async def test_the_client_library_opens_a_case_by_its_signed_opening(nrm: NrmClient) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=FAST_POLICY)
    events = await history_events(nrm.client, ref)
    [accepted] = [
        e.workflow_execution_update_accepted_event_attributes
        for e in events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
    ]
    assert accepted.accepted_request.input.name == Act.OPEN_CASE.value
    assert "nrm-actor-assertion" in accepted.accepted_request.input.header.fields
    assert (await nrm.status(ref)).stage.value == "stage1_pending"
