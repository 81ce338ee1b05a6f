"""nrmflow as one Temporal plugin: the workflows, the actor check, the sandbox's pass-through and, for a worker,
its activities. The worker, the replayer behind `nrm audit replay` and the tests all use it, so they run the
same code the same way (the audit's replayer outside the sandbox: starter.audit.replay says why)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from temporalio.converter import DataConverter
from temporalio.plugin import SimplePlugin
from temporalio.worker import WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from domain.actors import ActorDirectory, NotVerified
from workflows.actor_check import ActorCheckInterceptor, OpeningVerifier
from workflows.case import CaseWorkflow
from workflows.delivery import DeliveryQueue
from workflows.digest import DigestWorkflow
from workflows.metrics import CaseMetrics
from workflows.person_registry import PersonRegistryWorkflow

WORKFLOWS = (CaseWorkflow, DigestWorkflow, PersonRegistryWorkflow)
# acts are verified with Ed25519 signatures: cryptography's native module must not be imported again in the sandbox
SANDBOX = SandboxedWorkflowRunner(SandboxRestrictions.default.with_passthrough_modules("cryptography"))


def _replay_only() -> ActorDirectory:
    raise NotVerified("this replayer verifies no act (validators do not run on replay)")


def nrm_plugin(
    data_converter: DataConverter,
    *,
    workflows: Sequence[type] = WORKFLOWS,
    directory: Callable[[], ActorDirectory] = _replay_only,
    activities: Sequence[Callable[..., Any]] = (),
    run_context: Callable[[], AbstractAsyncContextManager[None]] | None = None,
    delivery_queue: str | None = None,
    workflow_runner: WorkflowRunner = SANDBOX,
) -> SimplePlugin:
    """`directory` is the worker's actor directory; `run_context` wraps the worker's run (following that file);
    `delivery_queue` is where the workflows schedule deliveries (workflows.delivery.DeliveryQueue; default their
    own queue); `workflows` differ only where a test replays a variant; `workflow_runner` only for the audit's
    replay (starter.audit.replay): a worker always runs the workflows in the sandbox."""
    # outermost first: the metrics count the actor check's refusals too
    interceptors: list[Any] = [CaseMetrics(), ActorCheckInterceptor(directory)]
    if delivery_queue is not None:
        interceptors.append(DeliveryQueue(delivery_queue))
    return SimplePlugin(
        "nrmflow",
        data_converter=data_converter,
        interceptors=interceptors,
        workflows=list(workflows),
        activities=[*activities, OpeningVerifier(directory).verify_opening],  # a new case's opening (local)
        workflow_runner=workflow_runner,
        run_context=run_context,
    )
