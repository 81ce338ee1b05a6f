"""Hostile and faulty input, through the client library and raw through a Temporal client that bypasses it: every
bad act is refused with a message naming what is wrong, and the case's history gains no event.

Cases run under the OSCE model (timers days away), so only the act under test could add events.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, OutboundInterceptor, StartWorkflowUpdateInput, WorkflowUpdateFailedError
from temporalio.converter import PayloadCodec
from temporalio.testing import WorkflowEnvironment

from domain.reference import workflow_id
from domain.requests import ActRequest, DecisionRequest, ExtendRRRequest, ProvideRequest
from domain.roles import Act, Actor
from domain.text import EVIDENCE_MAX, REASONS_MAX
from plumbing.codec import ENCODING, KEY_ID, EncryptionCodec
from plumbing.connection import data_converter
from plumbing.settings import Settings
from starter.actors import SigningInterceptor, load_private_key
from starter.audit.history import decode_case, fetch_case, opened
from starter.client import NrmClient, Refused
from tests.devserver import own_server
from tests.integration.helpers import (
    AUTHORITY,
    COORDINATOR,
    FIRST_RESPONDER,
    adult_referral,
    decision,
    history_events,
    settled,
)
from worker import build_worker
from workflows.actor_check import ASSERTION_HEADER, assertion_header


async def refused(nrm: NrmClient, ref: str, act: Any, expected: str) -> None:
    await settled(nrm.client, ref)
    before = len(await history_events(nrm.client, ref))
    with pytest.raises(Refused) as caught:
        await act()
    assert expected in str(caught.value), str(caught.value)
    assert len(await history_events(nrm.client, ref)) == before


REQUESTS: dict[str, type[ActRequest]] = {
    Act.STAGE1_DECISION.value: DecisionRequest,
    Act.EXTEND_RR.value: ExtendRRRequest,
    Act.PROVIDE.value: ProvideRequest,
}


class SigningRaw(SigningInterceptor):
    """Signs raw arguments (dicts) too, over exactly what the worker will decode: a forger's own key is not needed
    to reach the case's rules, only a registered actor's."""

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        signer = self

        class _Raw(OutboundInterceptor):
            async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> Any:
                [argument] = input.args
                if isinstance(argument, dict) and isinstance(argument.get("actor"), dict):
                    model = REQUESTS[input.update].model_construct(**argument)
                    actor = Actor.model_validate(argument["actor"])
                    assertion = signer.assertion(input.id, input.update, model, actor)
                    input.headers = {**input.headers, ASSERTION_HEADER: assertion_header(assertion)}
                return await super().start_workflow_update(input)

        return _Raw(super().intercept_client(next))


def signed_raw(env: WorkflowEnvironment, settings: Settings, codec: PayloadCodec | None = None) -> Client:
    """A Temporal client that signs acts as the client library does, but sends whatever payload it is given."""
    converter = data_converter(settings)
    if codec is not None:
        converter = dataclasses.replace(converter, payload_codec=codec)
    return Client(
        **{
            **env.client.config(),
            "data_converter": converter,
            "interceptors": [SigningRaw(lambda actor: load_private_key(settings, actor.id))],
        }
    )


async def raw_refusal(client: Client, nrm: NrmClient, ref: str, act: Act, argument: Any) -> str:
    await settled(nrm.client, ref)
    before = len(await history_events(nrm.client, ref))
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await client.get_workflow_handle(workflow_id(ref)).execute_update(act.value, argument)
    assert len(await history_events(nrm.client, ref)) == before, "a refused act wrote to the history"
    events = [e.event_type for e in await history_events(nrm.client, ref)]
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in events
    return str(caught.value.cause.message)


async def test_reasons_that_say_nothing_are_not_reasons(nrm: NrmClient) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    for empty in ("\u200b", "  \u200b\u200c  ", ".", "--- !"):
        await refused(
            nrm,
            ref,
            lambda: nrm.decide_stage1(ref, decision(reasons=empty)),
            "a Stage 1 decision needs written reasons",
        )
    for hiding in ("indicators\x00present", "\ufeffindicators", "indicators \u202eesent", "esc \x1b[31m"):
        await refused(
            nrm,
            ref,
            lambda: nrm.decide_stage1(ref, decision(reasons=hiding)),
            "reasons contains a control or direction-changing character",
        )
    await refused(
        nrm,
        ref,
        lambda: nrm.decide_stage1(ref, decision(reasons="x" * (REASONS_MAX + 1))),
        f"reasons is {REASONS_MAX + 1:,} characters long; at most {REASONS_MAX:,} are accepted",
    )
    assert (
        await nrm.decide_stage1(ref, decision(reasons="indicators of forced labour"))
    ).stage.value == "presumed_victim"


async def test_extensions_beyond_the_policy_and_absurd_dates_are_refused(nrm: NrmClient) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    await nrm.decide_stage1(ref, decision())
    limit = "an R&R extension is at most 365 days at a time under policy osce-model@2024.1"
    for when in (
        {"new_end": datetime(9999, 12, 31, tzinfo=UTC)},
        {"extend_by": timedelta(days=300 * 365)},
        {"extend_by": timedelta(days=999_999_999)},
        {"extend_by": timedelta(days=366)},
    ):
        await refused(
            nrm, ref, lambda: nrm.extend_rr(ref, ExtendRRRequest(actor=AUTHORITY, reasons="trauma", **when)), limit
        )
    status = await nrm.extend_rr(ref, ExtendRRRequest(actor=AUTHORITY, reasons="trauma", extend_by=timedelta(days=365)))
    assert status.rr is not None and status.rr.end - status.rr.start == timedelta(days=90 + 365)


async def test_errors_quote_input_sanitised_and_short(nrm: NrmClient) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    await nrm.decide_stage1(ref, decision())
    hostile = "\x1b[2J" + "pony" * 1000
    with pytest.raises(Refused) as caught:
        await nrm.provide(ref, ProvideRequest(actor=COORDINATOR, kind=hostile, evidence="e"))
    message = str(caught.value)
    assert message.startswith("unknown obligation kind '\\u001b[2Jpony") and "..." in message
    assert "\x1b" not in message and len(message) < 600


async def test_a_repeat_must_be_signed_like_any_act(
    nrm: NrmClient, temporal_env: WorkflowEnvironment, settings: Settings
) -> None:
    """Anyone who knows a request id must not be able to replay it and read the case's brief."""
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    request = decision(reasons="first").model_copy(update={"request_id": "form-7"})
    await nrm.decide_stage1(ref, request)
    unsigned = Client(**{**temporal_env.client.config(), "interceptors": []})
    message = await raw_refusal(unsigned, nrm, ref, Act.STAGE1_DECISION, request)
    assert message.startswith("the act is unsigned"), message
    again = await nrm.decide_stage1(ref, decision(reasons="first"), request_id="form-7")
    assert again.repeated


async def test_raw_acts_that_do_not_decode_are_refused_naming_the_field(
    nrm: NrmClient, temporal_env: WorkflowEnvironment, settings: Settings
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    raw = signed_raw(temporal_env, settings)
    actor = {"role": "competent_authority", "id": "ca-1"}
    wrong_outcome = await raw_refusal(
        raw, nrm, ref, Act.STAGE1_DECISION, {"actor": actor, "outcome": "maybe", "reasons": "r"}
    )
    assert wrong_outcome.startswith("invalid arguments for this act: outcome: Input should be"), wrong_outcome
    assert "maybe" not in wrong_outcome
    not_an_object = await raw_refusal(raw, nrm, ref, Act.STAGE1_DECISION, ["a", "list"])
    assert not_an_object.startswith("invalid arguments for this act"), not_an_object
    big = await raw_refusal(raw, nrm, ref, Act.STAGE1_DECISION, decision(reasons="r" * 500_000))
    assert f"at most {REASONS_MAX:,} are accepted" in big, big[:200]
    with pytest.raises(Refused, match=r"^the act's arguments are 2,500,\d+ bytes; at most 65,536 are sent"):
        await nrm.decide_stage1(ref, decision(reasons="r" * 2_500_000))  # the client library does not send it
    await nrm.decide_stage1(ref, decision())
    naive = await raw_refusal(
        raw, nrm, ref, Act.EXTEND_RR, {"actor": actor, "reasons": "trauma", "new_end": "2027-06-01T00:00:00"}
    )
    assert naive == "invalid arguments for this act: new_end: Input should have timezone info", naive
    year_one = await raw_refusal(
        raw,
        nrm,
        ref,
        Act.PROVIDE,
        {
            "actor": {"role": "coordinator", "id": "co-1"},
            "kind": "nrm_referral",
            "evidence": "e",
            "when": "0001-01-01T00:00:00Z",
        },
    )
    assert "is before the obligation existed" in year_one, year_one
    assert (await nrm.status(ref)).stage.value == "presumed_victim"  # the case takes valid acts still


class Garbling(PayloadCodec):
    """Encrypts nothing, but names a key: what an attacker or a misconfigured client sends. Reads answers with the
    real codec."""

    def __init__(self, key_id: bytes, data: bytes, real: PayloadCodec) -> None:
        self.key_id, self.data, self.real = key_id, data, real

    async def encode(self, payloads: Any) -> list[Payload]:
        return [Payload(metadata={"encoding": ENCODING, KEY_ID: self.key_id}, data=self.data) for _ in payloads]

    async def decode(self, payloads: Any) -> list[Payload]:
        return await self.real.decode(payloads)


async def test_an_act_the_worker_cannot_decrypt_is_refused_and_fails_no_task(
    nrm: NrmClient, temporal_env: WorkflowEnvironment, settings: Settings
) -> None:
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    real = data_converter(settings).payload_codec
    assert isinstance(real, EncryptionCodec)
    for codec, reason in (
        (Garbling(b"k-unknown", b"\x00" * 40, real), "key 'k-unknown', which is not in the key ring"),
        (Garbling(real.ring.active.encode(), b"\x01" * 40, real), "does not decrypt with the key it names"),
    ):
        message = await raw_refusal(
            signed_raw(temporal_env, settings, codec), nrm, ref, Act.STAGE1_DECISION, decision()
        )
        assert message.startswith("the act's arguments could not be read") and reason in message, message
    assert (await nrm.decide_stage1(ref, decision())).stage.value == "presumed_victim"


async def test_a_case_opened_while_no_worker_runs_counts_its_deadlines_from_its_opening(
    temporal_env: WorkflowEnvironment, settings: Settings
) -> None:
    own = settings.model_copy(update={"task_queue": f"late-worker-{uuid.uuid4().hex[:8]}"})
    nrm = NrmClient(temporal_env.client, own)
    ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
    await asyncio.sleep(3)  # no worker on this queue yet: the case waits
    async with build_worker(temporal_env.client, own):
        status = await nrm.status(ref)
        audit_opened = opened(await decode_case(await fetch_case(nrm.client, ref), nrm.client.data_converter)).at
    assert status.referred_at == status.opened_at == audit_opened  # to the microsecond
    assert status.deadlines[0].due_at == audit_opened + timedelta(days=5)


async def test_a_case_at_its_size_limits_continues_as_new(settings: Settings) -> None:
    """Every text at its limit, in four-byte characters, through continue-as-new: the carried state stays far below
    the engine's 2 MB payload limit, and nothing is lost."""
    own = settings.model_copy(update={"task_queue": f"limits-{uuid.uuid4().hex[:8]}"})
    server_args = ["--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=60"]
    widest = "\U0001d49c"  # a letter that is four bytes in UTF-8
    async with own_server(own, extra_args=server_args) as nrm:
        ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
        await nrm.decide_stage1(ref, decision(reasons=widest * REASONS_MAX, evidence=widest * EVIDENCE_MAX))
        handle = nrm.client.get_workflow_handle(workflow_id(ref))
        first_run = (await handle.describe()).run_id
        for n in range(30):
            if (await handle.describe()).run_id != first_run:
                break
            await nrm.extend_rr(
                ref,
                ExtendRRRequest(actor=AUTHORITY, reasons=widest * REASONS_MAX, extend_by=timedelta(days=1)),
                request_id=f"ext-{n}",
            )
        assert (await handle.describe()).run_id != first_run, "the case did not continue as new"
        status = await nrm.status(ref)
        assert status.decisions[0].reasons == widest * REASONS_MAX
        assert status.rr is not None and all(e.reasons == widest * REASONS_MAX for e in status.rr.extensions)
        assert (await nrm.decide_stage2(ref, decision())).stage.value == "confirmed_victim"
