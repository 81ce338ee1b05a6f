"""nrmflow's own counters from the workflows, through the SDK's workflow metric meter (replay-safe: nothing is
counted again when a workflow replays), exported with the SDK's metrics (plumbing.telemetry):

- `nrm_acts_accepted{act}` and `nrm_acts_refused{act,reason}`: every Update on a case (not the person registry's
  registrations), whether its validator (or the actor check before it) refused it; `reason` is the refusal's class
  (not_authorized, wrong_stage, invalid_request, not_verified, already_applied, ...);
- `nrm_deadlines_met{kind,on_time}`: an obligation fulfilled by an act (a waived one is not counted);
- `nrm_deadlines_missed{kind}`: an obligation escalated when its due time passed.

An interceptor, so that the case workflow's code stays about cases. Labels come from fixed sets only (the Act
names, the obligation kinds): an Update name a raw client made up counts as `unknown`, never as itself.
"""

from __future__ import annotations

import re
from typing import Any

from temporalio import workflow
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    StartActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

with workflow.unsafe.imports_passed_through():
    from domain.case import CaseState
    from domain.deadlines import Alert, AlertKind
    from domain.errors import DomainError
    from domain.roles import Act

ACTS = frozenset(a.value for a in Act)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def reason_code(exc: BaseException) -> str:
    """The refusal's class in snake case (NotAuthorized: not_authorized); `other` outside the rules' own errors."""
    return _CAMEL.sub("_", type(exc).__name__).lower() if isinstance(exc, DomainError) else "other"


def _act(input: HandleUpdateInput) -> str:
    return input.update if input.update in ACTS else "unknown"


def _count(name: str, description: str, labels: dict[str, str]) -> None:
    workflow.metric_meter().create_counter(name, description).add(1, labels)


def _case_state() -> CaseState | None:
    state = getattr(workflow.instance(), "state", None)
    return state if isinstance(state, CaseState) else None


def _fulfilled(state: CaseState | None) -> set[str]:
    return set() if state is None else {k for k, o in state.obligations.items() if o.fulfilled_at is not None}


class CaseMetrics(Interceptor):
    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        return _Inbound


class _Inbound(WorkflowInboundInterceptor):
    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_Outbound(outbound))

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        try:
            super().handle_update_validator(input)
        except Exception as exc:
            if _case_state() is not None:  # an act on a case (the person registry's registrations are none)
                labels = {"act": _act(input), "reason": reason_code(exc)}
                _count("nrm_acts_refused", "acts a case refused, by act and reason", labels)
            raise

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        before = _fulfilled(_case_state())
        result = await super().handle_update_handler(input)
        state = _case_state()
        if state is not None:
            _count("nrm_acts_accepted", "acts a case carried out, by act", {"act": _act(input)})
            for key in _fulfilled(state) - before:
                ob = state.obligations[key]
                if not ob.waived:
                    labels = {"kind": ob.kind.value, "on_time": str(not ob.late).lower()}
                    _count("nrm_deadlines_met", "obligations fulfilled, by kind and whether on time", labels)
        return result


class _Outbound(WorkflowOutboundInterceptor):
    def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
        alert = input.args[0] if input.activity == "send_alert" and input.args else None
        if isinstance(alert, Alert) and alert.kind is AlertKind.ESCALATION:
            kind = {"kind": alert.obligation_kind.value}
            _count("nrm_deadlines_missed", "obligations escalated past their due time, by kind", kind)
        return super().start_activity(input)
