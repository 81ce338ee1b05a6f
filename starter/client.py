"""The client library behind `nrm`: open cases, record acts, read status, list cases. Usable from scripts.

Every error it raises is an `NrmError` (starter.errors) whose message is one clear line with no personal data in
it, and whose `exit_code` is the one `nrm` ends with.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from temporalio.client import Client, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import DomainError
from domain.personal_data import PersonalDataExport
from domain.policy import Policy, load_policy
from domain.reference import check_reference, new_reference, workflow_id
from domain.referral import Referral, check_detection_date
from domain.repeats import AlreadyApplied
from domain.requests import (
    ActRequest,
    AppealRequest,
    AssessRequest,
    ConsentRequest,
    DecisionRequest,
    ExtendRRRequest,
    JudgmentRequest,
    OpenCase,
    ProvideRequest,
    ReconsiderationRequest,
    ReviewRequest,
)
from domain.roles import Act, Actor, authorize
from domain.status import ActResult, CaseStatus
from domain.text import field_problems
from plumbing.codec import UnknownKey
from plumbing.connection import ConnectionConfigError, Unavailable, connect
from plumbing.private_files import PrivateFileError
from plumbing.settings import Settings
from starter.actors import SigningInterceptor
from starter.errors import BadInput, CheckFailed, NrmError, Refused, UnknownCase, Unreachable, from_server

if TYPE_CHECKING:
    from domain.case import Stage
    from domain.status import PendingChallenge
    from plumbing.visibility import CaseList

__all__ = ["BadInput", "CheckFailed", "NrmClient", "NrmError", "Refused", "UnknownCase", "Unreachable"]

# The case workflow by its names (workflows.case.CaseWorkflow; each act's Update is named by its `Act` value), not by
# its class: importing the workflow module would cost every command 0.1 s (tests/unit/test_cli_modules.py checks them)
CASE_WORKFLOW = "CaseWorkflow"
STATUS_QUERY = "status"

ACT_MAX_BYTES = 64 * 1024  # far above every act at its text limits, far below the engine's 2 MB payload limit
ACT_RETRY_FIRST, ACT_RETRY_LONGEST = 0.2, 5.0  # seconds: backoff while the case cannot take an act for a moment
_TRANSIENT_STATUS = {
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.ABORTED,
}
_TRANSIENT_TEXT = (
    "workflow task in failed state",
    "unexpected workflow task failure",
    "workflow is busy",
    "continued as new",
    "continued-as-new",
)


def _refused_at_the_door(error: BaseException | None) -> bool:
    """The server turned the act away before the case saw it (its workflow task is failing)."""
    return "workflow task in failed state" in str(getattr(error, "message", error) or "").lower()


def _transient(error: BaseException | None) -> bool:
    """A state of the server or the case that passes by itself: the case's workflow task being retried after a
    worker crash, a case continuing as new, an overloaded or restarting server."""
    if isinstance(error, RPCError) and error.status in _TRANSIENT_STATUS:
        return True
    text = str(getattr(error, "message", error) or "").lower()
    return any(marker in text for marker in _TRANSIENT_TEXT)


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
        except (PrivateFileError, ConnectionConfigError) as exc:
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
        from plumbing import search_attributes  # loaded by the commands that open cases, not by every act

        try:  # a case needs every search attribute: on a namespace without one it would wedge (once per client)
            await search_attributes.require(self.client)
        except Unavailable as exc:
            raise Unreachable(str(exc)) from None
        reference = new_reference()
        await self.client.start_workflow(
            CASE_WORKFLOW,
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

    async def _update(self, reference: str, update: Act, request: ActRequest, request_id: str | None) -> ActResult:
        """Carry out the act; its result is the case in brief (`status` has the whole case). With a request id, a
        repeat of an act already carried out changes nothing and answers `repeated=True`; the same id given to a
        different act is refused."""
        ref, handle = self._handle(reference)
        # every act goes with a request id, the caller's or one of its own, so that a retry never acts twice
        request_id = request_id or request.request_id
        request = request.model_copy(update={"request_id": request_id or f"auto-{uuid.uuid4().hex}"})
        size = len(request.model_dump_json())
        if size > ACT_MAX_BYTES:
            raise Refused(
                f"the act's arguments are {size:,} bytes; at most {ACT_MAX_BYTES:,} are sent (texts have "
                'limits of their own, see README "Input limits"; keep long documents elsewhere)'
            )
        delay, waited = ACT_RETRY_FIRST, 0.0
        maybe_carried_out = False  # an attempt failed after the case may have taken it (not refused at the door)
        while True:
            try:
                with self._key_errors(ref):
                    return await handle.execute_update(update.value, request, result_type=ActResult)
            except WorkflowUpdateFailedError as exc:
                cause = exc.cause
                if isinstance(cause, ApplicationError) and cause.type == AlreadyApplied.__name__:
                    # the caller's repeat, unless an earlier attempt of this very call may have carried it out
                    return await self._brief(ref, repeated=request_id is not None and not maybe_carried_out)
                if not _transient(cause) or waited >= self.settings.act_retry_for.total_seconds():
                    raise Refused(cause.message if isinstance(cause, ApplicationError) else str(cause)) from None
                maybe_carried_out = maybe_carried_out or not _refused_at_the_door(cause)
            except RPCError as exc:
                if not _transient(exc) or waited >= self.settings.act_retry_for.total_seconds():
                    raise from_server(exc, ref) from None
                maybe_carried_out = maybe_carried_out or not _refused_at_the_door(exc)
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, ACT_RETRY_LONGEST)

    async def _brief(self, ref: str, *, repeated: bool) -> ActResult:
        status = await self.status(ref)
        return ActResult.model_validate(
            {**status.model_dump(include=set(ActResult.model_fields)), "repeated": repeated}
        )

    @staticmethod
    @contextmanager
    def _server_errors(ref: str | None = None) -> Iterator[None]:
        """What the server or the key ring refused, as one NrmError line (about the case, given one)."""
        try:
            with NrmClient._key_errors(ref):
                yield
        except RPCError as exc:
            raise from_server(exc, ref) from None

    @staticmethod
    @contextmanager
    def _key_errors(ref: str | None = None) -> Iterator[None]:
        try:
            yield
        except (UnknownKey, PrivateFileError) as exc:
            raise BadInput(f"case {ref}: {exc}" if ref else str(exc)) from None

    async def record_consent(self, reference: str, request: ConsentRequest, request_id: str | None = None) -> ActResult:
        return await self._update(reference, Act.RECORD_CONSENT, request, request_id)

    async def decide_stage1(self, reference: str, request: DecisionRequest, request_id: str | None = None) -> ActResult:
        return await self._update(reference, Act.STAGE1_DECISION, request, request_id)

    async def decide_stage2(self, reference: str, request: DecisionRequest, request_id: str | None = None) -> ActResult:
        return await self._update(reference, Act.STAGE2_DECISION, request, request_id)

    async def extend_rr(self, reference: str, request: ExtendRRRequest, request_id: str | None = None) -> ActResult:
        return await self._update(reference, Act.EXTEND_RR, request, request_id)

    async def provide(self, reference: str, request: ProvideRequest, request_id: str | None = None) -> ActResult:
        """Record a provision given (or not needed); the same request id never records twice."""
        return await self._update(reference, Act.PROVIDE, request, request_id)

    async def assess(self, reference: str, request: AssessRequest, request_id: str | None = None) -> ActResult:
        """Record an assessment's result; its date of next review becomes the next obligation."""
        return await self._update(reference, Act.RECORD_ASSESSMENT, request, request_id)

    async def request_reconsideration(
        self, reference: str, request: ReconsiderationRequest, request_id: str | None = None
    ) -> ActResult:
        """Ask the review panel to reconsider the case's negative decision (within its window, or after it on new
        evidence where the policy allows it)."""
        return await self._update(reference, Act.REQUEST_RECONSIDERATION, request, request_id)

    async def record_review(self, reference: str, request: ReviewRequest, request_id: str | None = None) -> ActResult:
        """The review panel's decision: upheld or overturned."""
        return await self._update(reference, Act.RECORD_REVIEW, request, request_id)

    async def lodge_appeal(self, reference: str, request: AppealRequest, request_id: str | None = None) -> ActResult:
        """Lodge a judicial appeal against the negative decision, within the policy's window."""
        return await self._update(reference, Act.LODGE_APPEAL, request, request_id)

    async def record_judgment(
        self, reference: str, request: JudgmentRequest, request_id: str | None = None
    ) -> ActResult:
        """The court's judgment on the appeal: dismissed, allowed or remitted."""
        return await self._update(reference, Act.RECORD_JUDGMENT, request, request_id)

    async def status(self, reference: str) -> CaseStatus:
        ref, handle = self._handle(reference)
        try:
            with self._server_errors(ref):
                return await handle.query(STATUS_QUERY, result_type=CaseStatus)
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
        pending: PendingChallenge | None = None,
        limit: int | None = None,
        listed: Callable[[int, int], None] | None = None,
    ) -> CaseList:
        """Running cases by visibility query (no per-case calls), soonest next deadline first; overdue = next
        deadline already past. With a `limit`, the `limit` cases due soonest; `.total` counts all that match.
        `listed(n, total)` follows a whole listing row by row."""
        from plumbing.visibility import running_cases_query, soonest_cases  # loaded by the listing commands only

        now = datetime.now(UTC)
        due_before = now if overdue else (now + due_within if due_within is not None else None)
        phases = pending.phases if pending else ()
        query = running_cases_query(stage=stage, due_before=due_before, child=child, pending=phases)
        with self._server_errors():
            return await soonest_cases(self.client, query, now, limit, listed=listed)
