"""Opening a case is a signed act like every other: the opener's assertion travels in the start's header and the
case verifies it before it does anything. A case started unsigned, with a forged assertion, signed by another actor
than the opener it names, or carrying a fabricated state fails at once: it sends nothing, publishes nothing and is
not listed. A case opened while no worker runs is verified when one comes (as of its start)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.api.common.v1 import Payload
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    WorkflowFailureError,
    WorkflowHandle,
)

from domain import transitions
from domain.actors import sign_act
from domain.policy import load_policy
from domain.reference import workflow_id
from domain.referral import Referral
from domain.requests import OpenCase
from domain.roles import Act
from starter.actors import SigningInterceptor, load_private_key
from starter.client import NrmClient
from tests.conftest import FAST_POLICY
from tests.integration.helpers import COORDINATOR, FIRST_RESPONDER, adult_referral, history_events, outbox_messages
from tests.integration.nrm_cli import run_nrm
from workflows.actor_check import ASSERTION_HEADER, assertion_header


def fabricated(nrm: NrmClient, **extra: Any) -> tuple[str, OpenCase]:
    ref = f"NRM-{uuid.uuid4().hex[:4].upper()}-{uuid.uuid4().hex[:4].upper()}"
    policy = load_policy(FAST_POLICY, nrm.settings.policy_dir)
    referral = Referral.model_validate(adult_referral())
    return ref, OpenCase(reference=ref, referral=referral, policy=policy, opened_by=FIRST_RESPONDER, **extra)


async def refused_start(nrm: NrmClient, client: Client, ref: str, opening: OpenCase, why: str) -> None:
    handle = await client.start_workflow(
        "CaseWorkflow", opening, id=workflow_id(ref), task_queue=nrm.settings.task_queue
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    assert why in str(failed.value.cause)
    assert outbox_messages(nrm.settings.outbox_path, ref) == []
    events = await history_events(nrm.client, ref)
    assert not any(e.HasField("activity_task_scheduled_event_attributes") for e in events)
    assert not any(e.HasField("upsert_workflow_search_attributes_event_attributes") for e in events)


async def test_a_case_started_unsigned_or_forged_opens_nothing_and_is_not_listed(
    nrm: NrmClient, cli_env: dict[str, str]
) -> None:
    unsigned = Client(**{**nrm.client.config(), "interceptors": []})
    ref, opening = fabricated(nrm)
    await refused_start(nrm, unsigned, ref, opening, "the opening of the case is refused: the act is unsigned")
    forger = Client(
        **{**nrm.client.config(), "interceptors": [SigningInterceptor(lambda actor: Ed25519PrivateKey.generate())]}
    )
    forged_ref, forged = fabricated(nrm)
    await refused_start(nrm, forger, forged_ref, forged, "forged assertion")
    listed = {row["reference"] for row in (await run_nrm("cases", "list", "--all", "--json", env=cli_env)).json()}
    assert ref not in listed and forged_ref not in listed


class _Header(Interceptor):
    """Sends a start with the header given, as a client of one's own making could."""

    def __init__(self, header: Payload) -> None:
        self.header = header

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        header = self.header

        class _Send(OutboundInterceptor):
            async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
                input.headers = {**input.headers, ASSERTION_HEADER: header}
                return await super().start_workflow(input)

        return _Send(next)


async def test_an_opening_signed_by_another_actor_or_carrying_a_made_up_state_is_refused(nrm: NrmClient) -> None:
    ref, opening = fabricated(nrm)
    key = load_private_key(nrm.settings, COORDINATOR.id)
    theirs = sign_act(key, COORDINATOR, workflow_id(ref), Act.OPEN_CASE.value, opening, datetime.now(UTC))
    client = Client(**{**nrm.client.config(), "interceptors": [_Header(assertion_header(theirs))]})
    await refused_start(nrm, client, ref, opening, "is signed for coordinator:co-1, not for the act's actor")
    ref, plain = fabricated(nrm)
    state, _ = transitions.open_case(plain, datetime.now(UTC))  # an open case's state, made up by the client
    await refused_start(
        nrm, nrm.client, ref, plain.model_copy(update={"state": state}), "a case's state is carried only by its own"
    )


async def test_a_case_opened_by_the_client_library_has_its_opening_verified_and_recorded(nrm: NrmClient) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER, policy=FAST_POLICY)
    assert (await nrm.status(ref)).stage.value == "stage1_pending"
    events = await history_events(nrm.client, ref)
    started = events[0].workflow_execution_started_event_attributes
    assert ASSERTION_HEADER in started.header.fields  # the signed opening, kept for the audit
    assert any(e.HasField("marker_recorded_event_attributes") for e in events)  # the verification's answer
