"""Every Update to a case must prove who acts: the worker interceptor that checks it before any validator.

The assertion travels in the Update's header (`nrm-actor-assertion`), so that no request model needs a field
for it and the history keeps it beside the act for auditors. It is checked here, for every Update that has a
validator (all of CaseWorkflow's do), against the worker's current actor directory; a refusal is a validator
refusal, so nothing is written to the history.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

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
    from domain.actors import ActorAssertion, ActorDirectory

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

        class _CheckActor(WorkflowInboundInterceptor):
            def handle_update_validator(self, input: HandleUpdateInput) -> None:
                verify: Any = getattr(workflow.instance(), "verify_act", None)
                if verify is not None:
                    verify(input.update, input.args[0] if input.args else None,
                           assertion_from_header(input.headers), directory())
                super().handle_update_validator(input)

        return _CheckActor
