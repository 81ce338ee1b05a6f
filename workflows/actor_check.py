"""Every act must prove who acts: the worker interceptor that verifies an Update's signed actor assertion before
the Update's own validator runs.

The assertion travels in the Update's header (`nrm-actor-assertion`), so that no request model needs a field for
it and the history keeps it beside the act for auditors. It is verified for every Update of a workflow whose
Updates name an actor (all of CaseWorkflow's), against the worker's current actor directory; a refusal is a
validator refusal, so nothing is written to the history. Repeats are verified like any act.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pydantic import ValidationError
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

with workflow.unsafe.imports_passed_through():
    from domain.actors import ActorAssertion, ActorDirectory, NotVerified, verify_act
    from domain.requests import ActRequest

ASSERTION_HEADER = "nrm-actor-assertion"


def assertion_header(assertion: ActorAssertion) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=assertion.model_dump_json().encode())


def assertion_from_header(headers: Mapping[str, Payload]) -> ActorAssertion | None:
    """The assertion an Update carries; a header that is not one counts as none (the act is then unsigned)."""
    payload = headers.get(ASSERTION_HEADER)
    if payload is None:
        return None
    try:
        return ActorAssertion.model_validate_json(payload.data)
    except ValidationError:
        return None


class ActorCheckInterceptor(Interceptor):
    """`directory` gives the worker's current actor directory (plumbing.actor_directory.ActorDirectoryFollower)."""

    def __init__(self, directory: Callable[[], ActorDirectory]) -> None:
        self.directory = directory

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        directory = self.directory

        class _VerifyActor(WorkflowInboundInterceptor):
            def handle_update_validator(self, input: HandleUpdateInput) -> None:
                request = input.args[0] if len(input.args) == 1 else None
                if not isinstance(request, ActRequest):
                    raise NotVerified(f"the act {input.update} names no actor")
                verify_act(
                    directory(),
                    assertion_from_header(input.headers),
                    request.actor,
                    workflow.info().workflow_id,
                    input.update,
                    request,
                    workflow.now(),
                )
                super().handle_update_validator(input)

        return _VerifyActor
