"""Every act must prove who acts: the worker interceptor that verifies an Update's signed actor assertion before
the Update's own validator runs, and the opening of a new case before the case does anything.

The assertion travels in the Update's header (`nrm-actor-assertion`), so that no request model needs a field for
it and the history keeps it beside the act for auditors. It is verified for every Update of a workflow whose
Updates name an actor (all of CaseWorkflow's), against the worker's current actor directory; a refusal is a
validator refusal, so nothing is written to the history. Repeats are verified like any act.

The opening is signed by its opener into the start's header (starter.actors). A new case verifies it first, by a
local activity against the worker's directory (its answer recorded in the history, so a replay reads it again),
counted at the case's start: a start not signed, forged, or signed by another actor than the opener it names
fails at once, having sent and published nothing. A run that carries a case's state is the case's to judge
(workflows.case): a continuation, or a closed case started again for its re-opening, which its first Update
verifies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from temporalio import activity, workflow
from temporalio.api.common.v1 import Payload
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import (
    ExecuteWorkflowInput,
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

with workflow.unsafe.imports_passed_through():
    from domain.actors import ActorAssertion, ActorDirectory, NotVerified, verify_act
    from domain.errors import NotAuthorized
    from domain.requests import ActRequest, OpenCase
    from domain.roles import Act, authorize

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


VERIFY_OPENING = "verify_opening"
OPENER_AWAITED = timedelta(minutes=1)  # an opener not yet in the worker's directory is awaited this long
OPENING_REFUSED = "OpeningRefused"


class OpeningToVerify(BaseModel):
    assertion: ActorAssertion | None
    opening: OpenCase
    case_id: str
    at: datetime  # the case's start: the opening is judged as of then, whenever a worker first runs it


class OpeningVerifier:
    """The local activity that verifies a case's opening against the worker's current actor directory."""

    def __init__(self, directory: Callable[[], ActorDirectory]) -> None:
        self.directory = directory

    @activity.defn(name=VERIFY_OPENING)
    async def verify_opening(self, check: OpeningToVerify) -> str:
        """Empty when the opening is the signed act of the opener it names, a role that may open; else why not."""
        opener = check.opening.opened_by
        directory = self.directory()
        if opener.id not in directory.actors:  # an actor added a moment ago: the worker reads the directory again soon
            raise ApplicationError(f"actor {opener.id} is not in the actor directory", type="UnknownActor")
        try:
            verify_act(directory, check.assertion, opener, check.case_id, Act.OPEN_CASE.value, check.opening, check.at)
            delegated = check.opening.policy.stage1.delegated_to_first_responders
            authorize(Act.OPEN_CASE, opener, stage1_delegated=delegated)
        except (NotVerified, NotAuthorized) as exc:
            return str(exc)
        return ""


async def _verify_opening(opening: OpenCase, headers: Mapping[str, Payload]) -> None:
    info = workflow.info()
    check = OpeningToVerify(
        assertion=assertion_from_header(headers), opening=opening, case_id=info.workflow_id, at=info.workflow_start_time
    )
    try:
        refusal = await workflow.execute_local_activity(
            VERIFY_OPENING,
            check,
            result_type=str,
            start_to_close_timeout=timedelta(seconds=10),
            schedule_to_close_timeout=OPENER_AWAITED,
        )
    except ActivityError as exc:  # the opener never appeared in the directory
        refusal = exc.cause.message if isinstance(exc.cause, ApplicationError) else str(exc)
    if refusal:
        raise ApplicationError(
            f"the opening of the case is refused: {refusal}", type=OPENING_REFUSED, non_retryable=True
        )


class ActorCheckInterceptor(Interceptor):
    """`directory` gives the worker's current actor directory (plumbing.actor_directory.ActorDirectoryFollower)."""

    def __init__(self, directory: Callable[[], ActorDirectory]) -> None:
        self.directory = directory

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        directory = self.directory

        class _VerifyActor(WorkflowInboundInterceptor):
            async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
                opening = input.args[0] if len(input.args) == 1 else None
                if isinstance(opening, OpenCase) and opening.state is None:  # a new case (workflows.case for the rest)
                    await _verify_opening(opening, input.headers)
                return await super().execute_workflow(input)

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
