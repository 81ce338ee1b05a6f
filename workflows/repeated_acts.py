"""An act repeated with the same request id is carried out once, even across continue-as-new.

Within one run the server itself answers a repeated Update id with the first outcome. A case that continued as
new starts a run that has never seen that id, so the case keeps the ids of the acts it carried out in its state
and answers a repeat with what an act returns now, changing nothing. Repeats skip validation: a retried act whose
first attempt succeeded must not be refused because it succeeded (wrong stage now) or because its signature aged.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.worker import HandleUpdateInput, Interceptor, WorkflowInboundInterceptor, WorkflowInterceptorClassInput

REPEATED_ACTS_PATCH = "request-ids-across-runs"


class RepeatedActInterceptor(Interceptor):
    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        return _AnswerRepeats


def _carried_out(update_id: str) -> bool:
    carried_out: Any = getattr(workflow.instance(), "carried_out", None)
    return carried_out is not None and carried_out(update_id)


class _AnswerRepeats(WorkflowInboundInterceptor):
    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        if not _carried_out(input.id):
            super().handle_update_validator(input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        case: Any = workflow.instance()
        patched = getattr(case, "patched", workflow.patched)  # a case's own also answers for CURRENT_BEHAVIOUR
        if _carried_out(input.id) and patched(REPEATED_ACTS_PATCH):
            return case.act_result()
        result = await super().handle_update_handler(input)
        remember = getattr(case, "remember_act", None)
        if remember is not None:
            remember(input.id)
        return result
