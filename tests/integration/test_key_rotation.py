"""Key rotation on a real server: cases written under the old key stay readable, and a worker that lacks a key
only stalls the cases that need it (its workflow task fails, naming the key; the worker keeps serving others)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.case import Stage
from domain.reference import workflow_id
from plumbing.codec import KeyRing
from plumbing.connection import data_converter
from plumbing.settings import Settings
from starter.client import NrmClient, NrmError
from tests.conftest import eventually
from tests.integration.helpers import FIRST_RESPONDER, adult_referral, decision, history_events, settled
from worker import build_worker


def nrm_with_keys(env: WorkflowEnvironment, settings: Settings, key_file: Path) -> NrmClient:
    """A client library whose data converter holds the key ring of `key_file` (read now)."""
    keyed = settings.model_copy(update={"key_file": key_file})
    client = Client(**{**env.client.config(), "data_converter": data_converter(keyed)})
    return NrmClient(client, keyed)


async def test_rotation_keeps_old_cases_readable_and_a_missing_key_stalls_only_its_case(
    temporal_env: WorkflowEnvironment, settings: Settings, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"task_queue": f"rotation-{uuid.uuid4().hex[:8]}"})
    keys = tmp_path / "keys.json"
    KeyRing.create(keys)
    ring_a = KeyRing.load(keys)
    under_a = nrm_with_keys(temporal_env, settings, keys)
    async with build_worker(under_a.client, under_a.settings):
        old_case = await under_a.open_case(adult_referral(), FIRST_RESPONDER)
        assert (await under_a.status(old_case)).stage is Stage.STAGE1_PENDING
        await settled(under_a.client, old_case)  # its actor directory loaded: no task left for the next worker

    ring_ab = ring_a.with_new_active_key()
    ring_ab.save(keys)
    b_only = tmp_path / "b-only.json"
    KeyRing({ring_ab.active: ring_ab.keys[ring_ab.active]}, ring_ab.active).save(b_only)
    after_rotation = nrm_with_keys(temporal_env, settings, keys)
    without_a = nrm_with_keys(temporal_env, settings, b_only)

    async with build_worker(without_a.client, without_a.settings):
        new_case = await without_a.open_case(adult_referral(), FIRST_RESPONDER)
        assert (await without_a.decide_stage1(new_case, decision())).stage is Stage.PRESUMED_VICTIM
        with pytest.raises(NrmError, match=f"case {old_case} could not be read by the worker"):
            await without_a.status(old_case)
        await after_rotation.client.get_workflow_handle(workflow_id(old_case)).signal("nrm-test-wake")

        async def task_failed():
            return [
                e
                for e in await history_events(after_rotation.client, old_case)
                if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
            ]

        [failed] = await eventually(task_failed)
        error = await after_rotation.client.data_converter.decode_failure(
            failed.workflow_task_failed_event_attributes.failure
        )
        assert f"key '{ring_a.active}'" in f"{error}: {error.cause}"  # the case's input named a key it lacks
        # the worker is still serving the cases it can read
        assert (await without_a.status(new_case)).stage is Stage.PRESUMED_VICTIM

    async with build_worker(after_rotation.client, after_rotation.settings):
        status = await after_rotation.decide_stage1(old_case, decision())
        assert status.stage is Stage.PRESUMED_VICTIM
        assert (await after_rotation.status(new_case)).stage is Stage.PRESUMED_VICTIM
