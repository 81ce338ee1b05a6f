"""PersonRegistryWorkflow: one shard of the namespace's person registry (domain.person_registry), id
`nrm-person-registry-<digit>`.

Started by the first opening that keys a person (update-with-start, the registration its Update) and never ended: it
continues as new, carrying its state, when the server suggests it or after UPDATES_PER_RUN registrations, so that
its history stays short to replay. Its state travels only in encrypted payloads, like a case's.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import person_registry
    from domain.person_registry import REGISTER, PersonCases, PersonRegistry, RegisterPerson

UPDATES_PER_RUN = 500


@workflow.defn(name="PersonRegistryWorkflow")
class PersonRegistryWorkflow:
    @workflow.init
    def __init__(self, registry: PersonRegistry) -> None:
        self.registry = registry
        self._registered = 0

    @workflow.run
    async def run(self, registry: PersonRegistry) -> None:
        await workflow.wait_condition(lambda: self._full() and workflow.all_handlers_finished())
        workflow.continue_as_new(self.registry)

    def _full(self) -> bool:
        return self._registered >= UPDATES_PER_RUN or workflow.info().is_continue_as_new_suggested()

    @workflow.update(name=REGISTER)
    def register(self, request: RegisterPerson) -> PersonCases:
        self._registered += 1
        return person_registry.register(self.registry, request.key, request.reference)

    @register.validator
    def _check_register(self, request: RegisterPerson) -> None:
        person_registry.check_registration(request, workflow.info().workflow_id)
