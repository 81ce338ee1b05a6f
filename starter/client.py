"""The client library behind `nrm`: open cases, record acts, read status, list cases. Usable from scripts.

Every error it raises is an `NrmError` (starter.errors) whose message is one clear line with no personal data in
it, and whose `exit_code` is the one `nrm` ends with.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from temporalio.client import Client, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from domain.case import Stage
from domain.errors import DomainError
from domain.personal_data import PersonalDataExport
from domain.policy import Policy, load_policy
from domain.reference import check_reference, new_reference, workflow_id
from domain.referral import Referral, check_detection_date
from domain.repeats import AlreadyApplied
from domain.requests import (
    ActRequest,
    AssessRequest,
    ConsentRequest,
    DecisionRequest,
    ExtendRRRequest,
    OpenCase,
    ProvideRequest,
)
from domain.roles import Act, Actor, authorize
from domain.status import ActResult, CaseStatus
from domain.text import field_problems
from plumbing.codec import UnknownKey
from plumbing.connection import Unavailable, connect
from plumbing.private_files import PrivateFileError
from plumbing.settings import Settings
from plumbing.visibility import CaseList, running_cases_query, soonest_cases
from starter.actors import SigningInterceptor
from starter.errors import BadInput, CheckFailed, NrmError, Refused, UnknownCase, Unreachable, from_server
from workflows.case import CaseWorkflow

__all__ = ["BadInput", "CheckFailed", "NrmClient", "NrmError", "Refused", "UnknownCase", "Unreachable"]

ACT_MAX_BYTES = 64 * 1024  # far above every act at its text limits, far below the engine's 2 MB payload limit


def invalid_input(exc: ValidationError, what: str) -> BadInput:
    """A pydantic error as one line naming the fields, without echoing the values (they may be personal)."""
    return BadInput(f"invalid {what}: {field_problems(exc)}")


def parse_referral(data: Mapping[str, Any]) -> Referral:
    try:
        return Referral.model_validate(data)
    except ValidationError as exc:
        raise invalid_input(exc, "referral") from None


@dataclass
class NrmClient:
    """Every act it sends is signed with the key of the actor the act names (`$NRM_HOME/actors/<id>.key`)."""

    client: Client
    settings: Settings

    def __post_init__(self) -> None:
        config = self.client.config()
        if not any(isinstance(i, SigningInterceptor) for i in config["interceptors"]):
            signing = SigningInterceptor.from_settings(self.settings)
            config["interceptors"] = [*config["interceptors"], signing]
            self.client = Client(**config)

    @classmethod
    async def connect(cls, settings: Settings | None = None) -> NrmClient:
        settings = settings or Settings()
        try:
            client = await connect(settings)
        except Unavailable as exc:
            raise Unreachable(str(exc)) from None
        except PrivateFileError as exc:
            raise BadInput(str(exc)) from None
        return cls(client, settings)

    def policy(self, name: str | None = None) -> Policy:
        try:
            return load_policy(name or self.settings.default_policy, self.settings.policy_dir)
        except DomainError as exc:
            raise BadInput(str(exc)) from None

    async def open_case(
        self, referral: Referral | Mapping[str, Any], actor: Actor, *, policy: str | None = None
    ) -> str:
        """Start the case workflow; returns the new pseudonymous reference."""
        if not isinstance(referral, Referral):
            referral = parse_referral(referral)
        snapshot = self.policy(policy)
        try:
            authorize(Act.OPEN_CASE, actor, stage1_delegated=snapshot.stage1.delegated_to_first_responders)
            check_detection_date(referral, datetime.now(UTC).date())
        except DomainError as exc:
            raise Refused(str(exc)) from None
        reference = new_reference()
        await self.client.start_workflow(
            CaseWorkflow.run,
            OpenCase(reference=reference, referral=referral, policy=snapshot, opened_by=actor),
            id=workflow_id(reference),
            task_queue=self.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        return reference

    def _handle(self, reference: str):
        try:
            ref = check_reference(reference)
        except DomainError as exc:
            raise BadInput(str(exc)) from None
        return ref, self.client.get_workflow_handle(workflow_id(ref))

    async def _update(self, reference: str, update: Any, request: ActRequest, request_id: str | None) -> ActResult:
        """Carry out the act; its result is the case in brief (`status` has the whole case). With a request id, a
        repeat of an act already carried out changes nothing and answers `repeated=True`; the same id given to a
        different act is refused."""
        ref, handle = self._handle(reference)
        if request_id is not None:
            request = request.model_copy(update={"request_id": request_id})
        size = len(request.model_dump_json())
        if size > ACT_MAX_BYTES:
            raise Refused(
                f"the act's arguments are {size:,} bytes; at most {ACT_MAX_BYTES:,} are sent (texts have "
                'limits of their own, see README "Input limits"; keep long documents elsewhere)'
            )
        try:
            with self._server_errors(ref):
                return await handle.execute_update(update, request, result_type=ActResult)
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type == AlreadyApplied.__name__:
                status = await self.status(ref)
                return ActResult.model_validate(
                    {**status.model_dump(include=set(ActResult.model_fields)), "repeated": True}
                )
            raise Refused(cause.message if isinstance(cause, ApplicationError) else str(cause)) from None

    @staticmethod
    @contextmanager
    def _server_errors(ref: str | None = None) -> Iterator[None]:
        """What the server or the key ring refused, as one NrmError line (about the case, given one)."""
        try:
            yield
        except RPCError as exc:
            raise from_server(exc, ref) from None
        except (UnknownKey, PrivateFileError) as exc:
            raise BadInput(f"case {ref}: {exc}" if ref else str(exc)) from None

    async def record_consent(self, reference: str, request: ConsentRequest, request_id: str | None = None) -> ActResult:
        return await self._update(reference, CaseWorkflow.record_consent, request, request_id)

    async def decide_stage1(self, reference: str, request: DecisionRequest, request_id: str | None = None) -> ActResult:
        return await self._update(reference, CaseWorkflow.decide_stage1, request, request_id)

    async def decide_stage2(self, reference: str, request: DecisionRequest, request_id: str | None = None) -> ActResult:
        return await self._update(reference, CaseWorkflow.decide_stage2, request, request_id)

    async def extend_rr(self, reference: str, request: ExtendRRRequest, request_id: str | None = None) -> ActResult:
        return await self._update(reference, CaseWorkflow.extend_rr, request, request_id)

    async def provide(self, reference: str, request: ProvideRequest, request_id: str | None = None) -> ActResult:
        """Record a provision given (or not needed); the same request id never records twice."""
        return await self._update(reference, CaseWorkflow.provide, request, request_id)

    async def assess(self, reference: str, request: AssessRequest, request_id: str | None = None) -> ActResult:
        """Record an assessment's result; its date of next review becomes the next obligation."""
        return await self._update(reference, CaseWorkflow.assess, request, request_id)

    async def status(self, reference: str) -> CaseStatus:
        ref, handle = self._handle(reference)
        try:
            with self._server_errors(ref):
                return await handle.query(CaseWorkflow.status)
        except WorkflowQueryFailedError as exc:
            raise NrmError(f"case {ref} could not be read by the worker (its log says why): {exc}") from None

    async def personal_data(self, reference: str, actor: Actor) -> PersonalDataExport:
        """Everything held about the person in this case, decrypted: the referral from the run's input, and the
        status (decisions, deadlines, R&R) from the case itself. For the roles the authorization table allows."""
        ref, handle = self._handle(reference)
        try:
            authorize(Act.EXPORT_PERSONAL_DATA, actor, stage1_delegated=False)
        except DomainError as exc:
            raise Refused(str(exc)) from None
        status = await self.status(ref)
        with self._server_errors(ref):
            started = (await handle.fetch_history()).events[0].workflow_execution_started_event_attributes
            [opened] = await self.client.data_converter.decode(started.input.payloads, [OpenCase])
        return PersonalDataExport(
            reference=ref,
            exported_at=datetime.now(UTC),
            exported_by=actor,
            opened_by=opened.opened_by,
            policy=opened.policy.label,
            referral=opened.referral,
            status=status,
        )

    async def list_cases(
        self,
        *,
        stage: Stage | None = None,
        due_within: timedelta | None = None,
        overdue: bool = False,
        child: bool | None = None,
        limit: int | None = None,
    ) -> CaseList:
        """Running cases by visibility query (no per-case calls), soonest next deadline first; overdue = next
        deadline already past. With a `limit`, the `limit` cases due soonest; `.total` counts all that match."""
        now = datetime.now(UTC)
        due_before = now if overdue else (now + due_within if due_within is not None else None)
        query = running_cases_query(stage=stage, due_before=due_before, child=child)
        with self._server_errors():
            return await soonest_cases(self.client, query, now, limit)
