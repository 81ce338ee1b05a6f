"""TEST-ONLY: CaseWorkflow as it ran before acts were signed (no actor directory loaded at start, and before
CURRENT_BEHAVIOUR), and as it ran after that but before CURRENT_BEHAVIOUR, each registered under the same name, to
open a case that the current worker then continues as an old running case."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.requests import OpenCase
    from workflows.case import CaseWorkflow


@workflow.defn(name="CaseWorkflow")
class CaseWorkflowBeforeActors(CaseWorkflow):
    behaviour = None

    @workflow.run
    async def run(self, request: OpenCase) -> None:
        await super().run(request)

    def _load_actors_at_start(self) -> None:
        return None


@workflow.defn(name="CaseWorkflow")
class CaseWorkflowBeforeCurrentBehaviour(CaseWorkflow):
    """As cases ran between acts being signed and CURRENT_BEHAVIOUR: each patch recorded, the directory loaded."""

    behaviour = None

    @workflow.run
    async def run(self, request: OpenCase) -> None:
        await super().run(request)
