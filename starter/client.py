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
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain import lifecycle
from domain.case import CaseState, LinkKind
from domain.errors import DomainError, InvalidRequest
from domain.person_key import person_key
from domain.person_registry import REGISTER, PersonCases, PersonRegistry, RegisterPerson, registry_id
from domain.personal_data import PersonalDataExport
from domain.policy import Policy, load_policy
from domain.reference import check_reference, new_reference, workflow_id
from domain.referral import Referral, check_detection_date
from domain.repeats import AlreadyApplied
from domain.requests import (
    ActRequest,
    AgeAssessmentRequest,
    AgeDisputeRequest,
    AppealRequest,
    AssessRequest,
    CheckInRequest,
    CloseRequest,
    ConsentRequest,
    ConsentWithdrawalRequest,
    DecisionRequest,
    DepartureRequest,
    ExtendRRRequest,
    FoundRequest,
    JudgmentRequest,
    LinkRequest,
    MissingRequest,
    OpenCase,
    PermitRequest,
    ProceedingRequest,
    ProvideRequest,
    ReceptionRequest,
    ReconsiderationRequest,
    ReopenRequest,
    ReturnAssessmentRequest,
    ReturnPlanRequest,
    ReturnRequest,
    ReviewRequest,
)
from domain.roles import Act, Actor, authorize
from domain.status import ActResult, CaseStatus, Life
from domain.text import field_problems
from plumbing.codec import EncryptionCodec, UnknownKey
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
REGISTRY_WORKFLOW = "PersonRegistryWorkflow"  # workflows.person_registry

ACT_MAX_BYTES = 64 * 1024  # far above every act at its text limits, far below the engine's 2 MB payload limit
ACT_RETRY_FIRST, ACT_RETRY_LONGEST = 0.2, 5.0  # seconds: backoff while the case cannot take an act for a moment
_TRANSIENT_STATUS = {
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.ABORTED,
}
LIST_ATTEMPTS = 3
_TRANSIENT_LIST_STATUS = _TRANSIENT_STATUS | {RPCStatusCode.CANCELLED}  # a visibility query the server gave up on
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


def _auto_request_id() -> str:
    return f"auto-{uuid.uuid4().hex}"


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
        self,
        referral: Referral | Mapping[str, Any],
        actor: Actor,
        *,
        policy: str | None = None,
        dependent_of: str | None = None,
    ) -> str:
        """Start the case workflow; returns the new pseudonymous reference. `dependent_of`: the reference of an
        open adult victim's case whose dependent child this referral is; the two cases are linked both ways."""
        if not isinstance(referral, Referral):
            referral = parse_referral(referral)
        snapshot = self.policy(policy)
        try:
            authorize(Act.OPEN_CASE, actor, stage1_delegated=snapshot.stage1.delegated_to_first_responders)
            check_detection_date(referral, datetime.now(UTC).date())
            if dependent_of is not None and not referral.is_child:
                raise InvalidRequest("a dependent's case is a child's: the referral must be of a child")
        except DomainError as exc:
            raise Refused(str(exc)) from None
        from plumbing import search_attributes  # loaded by the commands that open cases, not by every act

        if dependent_of is not None:
            dependent_of = await self._open_adult_case(dependent_of)
        try:  # a case needs every search attribute: on a namespace without one it would wedge (once per client)
            await search_attributes.require(self.client)
        except Unavailable as exc:
            raise Unreachable(str(exc)) from None
        reference = new_reference()
        await self.client.start_workflow(
            CASE_WORKFLOW,
            OpenCase(
                reference=reference, referral=referral, policy=snapshot, opened_by=actor, dependent_of=dependent_of
            ),
            id=workflow_id(reference),
            task_queue=self.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        if dependent_of is not None:  # and the adult's case links back (a signed act)
            await self.link_case(dependent_of, LinkRequest(actor=actor, kind=LinkKind.DEPENDENT, reference=reference))
        await self._link_earlier_cases(reference, referral, actor)
        return reference

    async def _link_earlier_cases(self, reference: str, referral: Referral, actor: Actor) -> None:
        """A person referred before (the same person key: domain.person_key) has their new case and each earlier one
        linked both ways, by acts signed by the actor who opened it. An earlier case closed takes no act: the new
        case lists it, and it lists the new one once re-opened; one deleted with the namespace's retention is left
        out."""
        cases = await self._person_cases(reference, referral, actor)
        for earlier in cases.earlier if cases else []:
            try:
                closed = (await self.status(earlier)).closed
            except UnknownCase:  # gone with the namespace's retention
                continue
            await self.link_case(reference, LinkRequest(actor=actor, kind=LinkKind.RETRAFFICKING_OF, reference=earlier))
            if not closed:
                back = LinkRequest(actor=actor, kind=LinkKind.REFERRED_AGAIN_IN, reference=reference)
                await self.link_case(earlier, back)

    async def _link_later_cases(self, state: CaseState, actor: Actor) -> bool:
        """A case re-opened links to the person's cases opened while it was closed (they link to it already)."""
        cases = await self._person_cases(state.reference, state.referral, actor)
        linked = {link.reference for link in state.links if link.kind is LinkKind.REFERRED_AGAIN_IN}
        later = [ref for ref in (cases.later if cases else []) if ref not in linked]
        for ref in later:
            await self.link_case(
                state.reference, LinkRequest(actor=actor, kind=LinkKind.REFERRED_AGAIN_IN, reference=ref)
            )
        return bool(later)

    async def _person_cases(self, reference: str, referral: Referral, actor: Actor) -> PersonCases | None:
        """The case's place among the person's cases, registered with its person key; None when there is no key:
        no name and birth date to key on, or a key ring from before person keys."""
        codec = self.client.data_converter.payload_codec
        secret = codec.ring.person_secret if isinstance(codec, EncryptionCodec) else None
        key = person_key(secret, referral.person) if secret is not None else None
        if key is None:
            return None
        return await self._register_person(RegisterPerson(actor=actor, key=key, reference=reference))

    async def _register_person(self, request: RegisterPerson) -> PersonCases:
        """Register the case under the person's key with the namespace's person registry, started by the first
        registration. Retried while the registry continues as new."""
        delay, waited = ACT_RETRY_FIRST, 0.0
        while True:
            start: WithStartWorkflowOperation[Any, None] = WithStartWorkflowOperation(
                REGISTRY_WORKFLOW,
                PersonRegistry(),
                id=registry_id(request.key),
                task_queue=self.settings.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
            try:
                with self._server_errors():
                    cases: PersonCases = await self.client.execute_update_with_start_workflow(
                        REGISTER, request, start_workflow_operation=start, result_type=PersonCases
                    )
                    return cases
            except WorkflowUpdateFailedError as exc:
                cause = exc.cause
                if not _transient(cause) or waited >= self.settings.act_retry_for.total_seconds():
                    raise Refused(cause.message if isinstance(cause, ApplicationError) else str(cause)) from None
            except Unreachable:
                if waited >= self.settings.act_retry_for.total_seconds():
                    raise
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, ACT_RETRY_LONGEST)

    async def _open_adult_case(self, reference: str) -> str:
        """The reference of an open adult's case, for a dependent child's case to link to."""
        status = await self.status(reference)
        if status.closed or status.is_child:
            why = "closed" if status.closed else "a child's"
            raise Refused(f"case {status.reference} is {why}: a dependent child's case links to an open adult's case")
        return status.reference

    async def link_case(self, reference: str, request: LinkRequest, request_id: str | None = None) -> ActResult:
        """Link another case to this one by its reference."""
        return await self._update(reference, Act.LINK_CASE, request, request_id)

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
        request = request.model_copy(update={"request_id": request_id or _auto_request_id()})
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
                if exc.status == RPCStatusCode.NOT_FOUND:
                    raise await self._closed_or_unknown(ref, exc) from None
                if not _transient(exc) or waited >= self.settings.act_retry_for.total_seconds():
                    raise from_server(exc, ref) from None
                maybe_carried_out = maybe_carried_out or not _refused_at_the_door(exc)
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, ACT_RETRY_LONGEST)

    async def _closed_or_unknown(self, ref: str, exc: RPCError) -> NrmError:
        """An act the server could not deliver: to a closed case (its workflow ended), or to no case at all."""
        try:
            described = await self.client.get_workflow_handle(workflow_id(ref)).describe()
        except RPCError:
            return from_server(exc, ref)
        if described.status == WorkflowExecutionStatus.COMPLETED:
            return Refused(f"case {ref} is closed: re-open it first with `nrm case reopen {ref}`")
        return from_server(exc, ref)

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

    async def permit_decision(self, reference: str, request: PermitRequest, request_id: str | None = None) -> ActResult:
        """The immigration authority grants an owed permit, renews the current one, or refuses either."""
        return await self._update(reference, Act.PERMIT_DECISION, request, request_id)

    async def request_return(self, reference: str, request: ReturnRequest, request_id: str | None = None) -> ActResult:
        """The person's informed decision to return: the pre-return risk assessment is owed first."""
        return await self._update(reference, Act.REQUEST_RETURN, request, request_id)

    async def assess_return(
        self, reference: str, request: ReturnAssessmentRequest, request_id: str | None = None
    ) -> ActResult:
        """The pre-return risk assessment's result: a risk found keeps the person in protection."""
        return await self._update(reference, Act.ASSESS_RETURN, request, request_id)

    async def plan_return(self, reference: str, request: ReturnPlanRequest, request_id: str | None = None) -> ActResult:
        """Plan the departure (refused while a hold applies)."""
        return await self._update(reference, Act.PLAN_RETURN, request, request_id)

    async def record_departure(
        self, reference: str, request: DepartureRequest, request_id: str | None = None
    ) -> ActResult:
        """The departure as it happened (refused while a hold applies)."""
        return await self._update(reference, Act.RECORD_DEPARTURE, request, request_id)

    async def record_reception(
        self, reference: str, request: ReceptionRequest, request_id: str | None = None
    ) -> ActResult:
        """The receiving side's record of the arrival after a return (a person who did not arrive: missing)."""
        return await self._update(reference, Act.RECORD_RECEPTION, request, request_id)

    async def record_check_in(
        self, reference: str, request: CheckInRequest, request_id: str | None = None
    ) -> ActResult:
        """A reintegration check-in by the receiving side's support provider."""
        return await self._update(reference, Act.RECORD_CHECK_IN, request, request_id)

    async def dispute_age(self, reference: str, request: AgeDisputeRequest, request_id: str | None = None) -> ActResult:
        """The person's age is disputed: a child from now until a final adult finding; an age assessment owed."""
        return await self._update(reference, Act.DISPUTE_AGE, request, request_id)

    async def record_age_assessment(
        self, reference: str, request: AgeAssessmentRequest, request_id: str | None = None
    ) -> ActResult:
        """The age assessment's result: child, adult or inconclusive (a child)."""
        return await self._update(reference, Act.RECORD_AGE_ASSESSMENT, request, request_id)

    async def report_missing(self, reference: str, request: MissingRequest, request_id: str | None = None) -> ActResult:
        """The person is missing: a child's case escalates at once; reminders go to the coordinator meanwhile."""
        return await self._update(reference, Act.REPORT_MISSING, request, request_id)

    async def report_found(self, reference: str, request: FoundRequest, request_id: str | None = None) -> ActResult:
        """The person missing is found: the case resumes (a suspension ends)."""
        return await self._update(reference, Act.REPORT_FOUND, request, request_id)

    async def withdraw_consent(
        self, reference: str, request: ConsentWithdrawalRequest, request_id: str | None = None
    ) -> ActResult:
        """The person withdraws consent for one or several purposes: what depends on it stops, protection stays."""
        return await self._update(reference, Act.WITHDRAW_CONSENT, request, request_id)

    async def close_case(self, reference: str, request: CloseRequest, request_id: str | None = None) -> ActResult:
        """Close the case with a reason (refused while a challenge is pending): its workflow ends."""
        return await self._update(reference, Act.CLOSE_CASE, request, request_id)

    async def reopen_case(self, reference: str, request: ReopenRequest, request_id: str | None = None) -> ActResult:
        """Start a closed case again: a new run of the same workflow id, with the closed run's state, that takes the
        re-opening as its first act (update-with-start), signed and verified like every act. A refused re-opening
        changes nothing: its run ends at once with the case closed as it was. An open case, or a reference never
        used, is refused. Re-opened, the case links to the person's cases opened while it was closed."""
        ref, handle = self._handle(reference)
        try:
            authorize(Act.REOPEN_CASE, request.actor, stage1_delegated=False)  # the case checks it too, signed
        except DomainError as exc:
            raise Refused(str(exc)) from None
        with self._server_errors(ref):
            described = await handle.describe()
        # a case just closed may still be finishing its run (its result comes in a moment)
        if described.status == WorkflowExecutionStatus.RUNNING and not (await self.status(ref)).closed:
            raise Refused(f"case {ref} is open: only a closed case is re-opened")
        with self._server_errors(ref):
            state = await self.client.get_workflow_handle(workflow_id(ref), result_type=CaseState).result()
        try:
            lifecycle.check_reopen(state, request)  # what the case would refuse, refused before a run is started
        except DomainError as exc:
            raise Refused(str(exc)) from None
        request = request.model_copy(update={"request_id": request_id or request.request_id or _auto_request_id()})
        start: WithStartWorkflowOperation[Any, CaseState] = WithStartWorkflowOperation(
            CASE_WORKFLOW,
            OpenCase(
                reference=ref, referral=state.referral, policy=state.policy, opened_by=state.opened_by, state=state
            ),
            id=workflow_id(ref),
            task_queue=self.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            result_type=CaseState,
        )
        try:
            with self._server_errors(ref):
                result: ActResult = await self.client.execute_update_with_start_workflow(
                    Act.REOPEN_CASE.value, request, start_workflow_operation=start, result_type=ActResult
                )
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            raise Refused(cause.message if isinstance(cause, ApplicationError) else str(cause)) from None
        except WorkflowAlreadyStartedError:
            raise Refused(f"case {ref} is open: only a closed case is re-opened") from None
        return await self._brief(ref, repeated=False) if await self._link_later_cases(state, request.actor) else result

    async def list_closed_cases(self, *, child: bool | None = None) -> CaseList:
        """Cases closed and not re-opened (their latest run ended with a closing record), by reference."""
        from plumbing.visibility import closed_cases

        with self._server_errors():
            return await closed_cases(self.client, datetime.now(UTC), child=child)

    async def record_proceeding(
        self, reference: str, request: ProceedingRequest, request_id: str | None = None
    ) -> ActResult:
        """A protection claim or proceedings opened (a hold on removal and return), or one recorded earlier ended."""
        return await self._update(reference, Act.RECORD_PROCEEDING, request, request_id)

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
        missing: bool = False,
        limit: int | None = None,
        listed: Callable[[int, int], None] | None = None,
    ) -> CaseList:
        """Running cases by visibility query (no per-case calls), soonest next deadline first; overdue = next
        deadline already past; missing = the person missing (the case suspended or not). With a `limit`, the `limit`
        cases due soonest; `.total` counts all that match. `listed(n, total)` follows a whole listing row by row."""
        from plumbing.visibility import running_cases_query, soonest_cases  # loaded by the listing commands only

        now = datetime.now(UTC)
        due_before = now if overdue else (now + due_within if due_within is not None else None)
        phases = pending.phases if pending else ()
        life = [c.value for c in Life.missing_person()] if missing else []
        query = running_cases_query(stage=stage, due_before=due_before, child=child, pending=phases, life=life)
        with self._server_errors():
            for attempt in range(LIST_ATTEMPTS - 1):  # a read: an overloaded visibility store's refusal is tried again
                try:
                    return await soonest_cases(self.client, query, now, limit, listed=listed)
                except RPCError as exc:
                    if exc.status not in _TRANSIENT_LIST_STATUS:
                        raise
                await asyncio.sleep(ACT_RETRY_FIRST * 2**attempt)
            return await soonest_cases(self.client, query, now, limit, listed=listed)
