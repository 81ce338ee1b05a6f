"""CaseWorkflow: one person's path through the NRM, from referral to conclusive identification.

Every human act is an Update named by its `Act`. Its validator refuses what the rules refuse (domain.transitions),
so a refused act writes nothing to history; before it, workflows.actor_check verifies the act's signed actor
assertion. A handler applies the act and queues the messages it causes; the main loop sends them and keeps one
durable alarm for the nearest reminder or due time of all the case's obligations (domain.alarms): when an act
moves or ends that wakeup, the alarm moves with it. The deadlines themselves are in the history as the case's
NrmOpenDeadlines search attribute, upserted whenever they change. No timer ever waits for a delivery.

Versioning (README "Versioning"): until the first release this code carries no patches. With Worker Versioning on,
runs are pinned to the build that started them (worker.deployment) and a stage change is where a case moves to a
newer build: it continues as new when the server says the target version changed (and whenever its history grows
large), and the new run starts on the target build.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.notifications import PERMANENT_FAILURE
    from domain import (
        age,
        alarms,
        appeals,
        lifecycle,
        links,
        permits,
        proceedings,
        reception,
        repeats,
        returns,
        transitions,
    )
    from domain.case import CaseState
    from domain.deadlines import Alert, AlertKind
    from domain.notices import Message, record_delivery_failure
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
    from domain.roles import Act
    from domain.status import ActResult, CaseStatus, act_result, case_status, life, pending_phase
    from plumbing import search_attributes as sa
    from workflows.actor_check import OPENING_REFUSED
    from workflows.delivery import deliver


STATE_NOT_CARRIED = "a case's state is carried only by its own continue-as-new, or to re-open it when closed"


@workflow.defn(name="CaseWorkflow")
class CaseWorkflow:
    @workflow.init
    def __init__(self, request: OpenCase) -> None:
        self._request = request
        # a new case counts its deadlines from when it was opened (its start), never from when a worker first ran it
        self._outbox: list[Message] = []
        # a run that carries a case's state continued it as new, or starts a closed case again for its re-opening
        self._carried = request.state is not None and (
            request.state.is_closed or workflow.info().continued_run_id is not None
        )
        if request.state is not None:
            self.state = request.state
        else:
            self.state, self._outbox = transitions.open_case(request, workflow.info().workflow_start_time)
        self._stage_at_start = self.state.stage
        self._changed = True
        self._alarm: tuple[datetime, asyncio.Task[None]] | None = None  # when it rings, and its task
        # what the search attributes already say (a continued run inherits them): upserted only when one changes
        self._published: dict[str, Any] = {p.key.name: p.value for p in workflow.info().typed_search_attributes}
        self._sending = 0

    @workflow.run
    async def run(self, request: OpenCase) -> CaseState:
        """Runs until the case is closed; its result is the closed case's state, which a re-opening continues."""
        if request.state is not None and not self._carried:  # an open case's state, made up by a client
            raise ApplicationError(STATE_NOT_CARRIED, type=OPENING_REFUSED, non_retryable=True)
        if self.state.is_closed:
            # a run started to re-open a closed case: the re-opening is its first Update (update-with-start), signed
            # and verified like every act. Once the first task's Update has been validated (or none came), a run whose
            # re-opening was refused ends at once, its closed state unchanged.
            await workflow.wait_condition(lambda: True)
            if self.state.is_closed:
                return await self._close()
        workflow.logger.info("case running", extra={"case": self.state.reference, "stage": self.state.stage.value})
        while not self.state.is_closed:
            self._dispatch()
            self._publish_search_attributes()
            self._set_alarm()
            self._changed = False
            await workflow.wait_condition(lambda: self._changed or self._ready_to_continue())
            if self._ready_to_continue():
                versioned = workflow.info().get_current_deployment_version() is not None
                workflow.continue_as_new(
                    self._request.model_copy(update={"state": self.state}),
                    initial_versioning_behavior=workflow.ContinueAsNewVersioningBehavior.AUTO_UPGRADE
                    if versioned
                    else None,
                )

        return await self._close()

    async def _close(self) -> CaseState:
        """End the run with the closing record: the last messages sent, the act answered, no alarm left."""
        if self._alarm is not None:
            self._alarm[1].cancel()
            self._alarm = None
        self._dispatch()
        self._publish_search_attributes()
        await workflow.wait_condition(lambda: self._sending == 0 and workflow.all_handlers_finished())
        workflow.logger.info("case closed", extra={"case": self.state.reference})
        return self.state

    def _ready_to_continue(self) -> bool:
        """Continue as new once nothing is in flight: when the history grows large, or at a stage change when a newer
        worker build is the target (the run itself stays pinned to the build it started on)."""
        info = workflow.info()
        wanted = info.is_continue_as_new_suggested() or (
            self.state.stage is not self._stage_at_start and info.is_target_worker_deployment_version_changed()
        )
        return wanted and not self._outbox and self._sending == 0 and workflow.all_handlers_finished()

    # ---- human acts -------------------------------------------------------------------------------------

    @workflow.update(name=Act.RECORD_CONSENT.value)
    def record_consent(self, request: ConsentRequest) -> ActResult:
        return self._apply(Act.RECORD_CONSENT, request, transitions.apply_consent(self.state, request, workflow.now()))

    @record_consent.validator
    def _check_consent(self, request: ConsentRequest) -> None:
        self._check(Act.RECORD_CONSENT, request, lambda: transitions.check_consent(self.state, request))

    @workflow.update(name=Act.STAGE1_DECISION.value)
    def decide_stage1(self, request: DecisionRequest) -> ActResult:
        return self._apply(Act.STAGE1_DECISION, request, transitions.apply_stage1(self.state, request, workflow.now()))

    @decide_stage1.validator
    def _check_stage1(self, request: DecisionRequest) -> None:
        self._check(Act.STAGE1_DECISION, request, lambda: transitions.check_stage1(self.state, request))

    @workflow.update(name=Act.STAGE2_DECISION.value)
    def decide_stage2(self, request: DecisionRequest) -> ActResult:
        return self._apply(Act.STAGE2_DECISION, request, transitions.apply_stage2(self.state, request, workflow.now()))

    @decide_stage2.validator
    def _check_stage2(self, request: DecisionRequest) -> None:
        self._check(Act.STAGE2_DECISION, request, lambda: transitions.check_stage2(self.state, request, workflow.now()))

    @workflow.update(name=Act.EXTEND_RR.value)
    def extend_rr(self, request: ExtendRRRequest) -> ActResult:
        return self._apply(Act.EXTEND_RR, request, transitions.apply_extend_rr(self.state, request, workflow.now()))

    @extend_rr.validator
    def _check_extend_rr(self, request: ExtendRRRequest) -> None:
        self._check(Act.EXTEND_RR, request, lambda: transitions.check_extend_rr(self.state, request))

    @workflow.update(name=Act.PROVIDE.value)
    def provide(self, request: ProvideRequest) -> ActResult:
        return self._apply(Act.PROVIDE, request, transitions.apply_provide(self.state, request, workflow.now()))

    @provide.validator
    def _check_provide(self, request: ProvideRequest) -> None:
        self._check(Act.PROVIDE, request, lambda: transitions.check_provide(self.state, request, workflow.now()))

    @workflow.update(name=Act.RECORD_ASSESSMENT.value)
    def assess(self, request: AssessRequest) -> ActResult:
        return self._apply(
            Act.RECORD_ASSESSMENT, request, transitions.apply_assess(self.state, request, workflow.now())
        )

    @assess.validator
    def _check_assess(self, request: AssessRequest) -> None:
        self._check(
            Act.RECORD_ASSESSMENT, request, lambda: transitions.check_assess(self.state, request, workflow.now())
        )

    @workflow.update(name=Act.REQUEST_RECONSIDERATION.value)
    def request_reconsideration(self, request: ReconsiderationRequest) -> ActResult:
        messages = appeals.apply_reconsideration(self.state, request, workflow.now())
        return self._apply(Act.REQUEST_RECONSIDERATION, request, messages)

    @request_reconsideration.validator
    def _check_reconsideration(self, request: ReconsiderationRequest) -> None:
        self._check(
            Act.REQUEST_RECONSIDERATION,
            request,
            lambda: appeals.check_reconsideration(self.state, request, workflow.now()),
        )

    @workflow.update(name=Act.RECORD_REVIEW.value)
    def record_review(self, request: ReviewRequest) -> ActResult:
        return self._apply(Act.RECORD_REVIEW, request, appeals.apply_review(self.state, request, workflow.now()))

    @record_review.validator
    def _check_review(self, request: ReviewRequest) -> None:
        self._check(Act.RECORD_REVIEW, request, lambda: appeals.check_review(self.state, request))

    @workflow.update(name=Act.LODGE_APPEAL.value)
    def lodge_appeal(self, request: AppealRequest) -> ActResult:
        return self._apply(Act.LODGE_APPEAL, request, appeals.apply_appeal(self.state, request, workflow.now()))

    @lodge_appeal.validator
    def _check_appeal(self, request: AppealRequest) -> None:
        self._check(Act.LODGE_APPEAL, request, lambda: appeals.check_appeal(self.state, request, workflow.now()))

    @workflow.update(name=Act.RECORD_JUDGMENT.value)
    def record_judgment(self, request: JudgmentRequest) -> ActResult:
        return self._apply(Act.RECORD_JUDGMENT, request, appeals.apply_judgment(self.state, request, workflow.now()))

    @record_judgment.validator
    def _check_judgment(self, request: JudgmentRequest) -> None:
        self._check(Act.RECORD_JUDGMENT, request, lambda: appeals.check_judgment(self.state, request, workflow.now()))

    @workflow.update(name=Act.PERMIT_DECISION.value)
    def permit_decision(self, request: PermitRequest) -> ActResult:
        return self._apply(Act.PERMIT_DECISION, request, permits.apply_permit(self.state, request, workflow.now()))

    @permit_decision.validator
    def _check_permit(self, request: PermitRequest) -> None:
        self._check(Act.PERMIT_DECISION, request, lambda: permits.check_permit(self.state, request, workflow.now()))

    # ---- voluntary return (domain.returns) ----

    @workflow.update(name=Act.REQUEST_RETURN.value)
    def request_return(self, request: ReturnRequest) -> ActResult:
        return self._apply(Act.REQUEST_RETURN, request, returns.apply_request(self.state, request, workflow.now()))

    @request_return.validator
    def _check_request_return(self, request: ReturnRequest) -> None:
        self._check(Act.REQUEST_RETURN, request, lambda: returns.check_request(self.state, request, workflow.now()))

    @workflow.update(name=Act.ASSESS_RETURN.value)
    def assess_return(self, request: ReturnAssessmentRequest) -> ActResult:
        return self._apply(Act.ASSESS_RETURN, request, returns.apply_assessment(self.state, request, workflow.now()))

    @assess_return.validator
    def _check_assess_return(self, request: ReturnAssessmentRequest) -> None:
        self._check(Act.ASSESS_RETURN, request, lambda: returns.check_assessment(self.state, request))

    @workflow.update(name=Act.PLAN_RETURN.value)
    def plan_return(self, request: ReturnPlanRequest) -> ActResult:
        return self._apply(Act.PLAN_RETURN, request, returns.apply_plan(self.state, request, workflow.now()))

    @plan_return.validator
    def _check_plan_return(self, request: ReturnPlanRequest) -> None:
        self._check(Act.PLAN_RETURN, request, lambda: returns.check_plan(self.state, request, workflow.now()))

    @workflow.update(name=Act.RECORD_DEPARTURE.value)
    def record_departure(self, request: DepartureRequest) -> ActResult:
        return self._apply(Act.RECORD_DEPARTURE, request, returns.apply_departure(self.state, request, workflow.now()))

    @record_departure.validator
    def _check_departure(self, request: DepartureRequest) -> None:
        self._check(Act.RECORD_DEPARTURE, request, lambda: returns.check_departure(self.state, request, workflow.now()))

    @workflow.update(name=Act.RECORD_CHECK_IN.value)
    def record_check_in(self, request: CheckInRequest) -> ActResult:
        return self._apply(Act.RECORD_CHECK_IN, request, returns.apply_check_in(self.state, request, workflow.now()))

    @record_check_in.validator
    def _check_check_in(self, request: CheckInRequest) -> None:
        self._check(Act.RECORD_CHECK_IN, request, lambda: returns.check_check_in(self.state, request, workflow.now()))

    @workflow.update(name=Act.RECORD_RECEPTION.value)
    def record_reception(self, request: ReceptionRequest) -> ActResult:
        messages = reception.apply_reception(self.state, request, workflow.now())
        return self._apply(Act.RECORD_RECEPTION, request, messages)

    @record_reception.validator
    def _check_reception(self, request: ReceptionRequest) -> None:
        self._check(
            Act.RECORD_RECEPTION, request, lambda: reception.check_reception(self.state, request, workflow.now())
        )

    # ---- age (domain.age) ----

    @workflow.update(name=Act.DISPUTE_AGE.value)
    def dispute_age(self, request: AgeDisputeRequest) -> ActResult:
        return self._apply(Act.DISPUTE_AGE, request, age.apply_dispute(self.state, request, workflow.now()))

    @dispute_age.validator
    def _check_dispute_age(self, request: AgeDisputeRequest) -> None:
        self._check(Act.DISPUTE_AGE, request, lambda: age.check_dispute(self.state, request))

    @workflow.update(name=Act.RECORD_AGE_ASSESSMENT.value)
    def record_age_assessment(self, request: AgeAssessmentRequest) -> ActResult:
        messages = age.apply_assessment(self.state, request, workflow.now())
        return self._apply(Act.RECORD_AGE_ASSESSMENT, request, messages)

    @record_age_assessment.validator
    def _check_age_assessment(self, request: AgeAssessmentRequest) -> None:
        self._check(Act.RECORD_AGE_ASSESSMENT, request, lambda: age.check_assessment(self.state, request))

    # ---- missing and found (domain.lifecycle) ----

    @workflow.update(name=Act.REPORT_MISSING.value)
    def report_missing(self, request: MissingRequest) -> ActResult:
        return self._apply(Act.REPORT_MISSING, request, lifecycle.apply_missing(self.state, request, workflow.now()))

    @report_missing.validator
    def _check_missing(self, request: MissingRequest) -> None:
        self._check(Act.REPORT_MISSING, request, lambda: lifecycle.check_missing(self.state, request))

    @workflow.update(name=Act.REPORT_FOUND.value)
    def report_found(self, request: FoundRequest) -> ActResult:
        return self._apply(Act.REPORT_FOUND, request, lifecycle.apply_found(self.state, request, workflow.now()))

    @report_found.validator
    def _check_found(self, request: FoundRequest) -> None:
        self._check(Act.REPORT_FOUND, request, lambda: lifecycle.check_found(self.state, request))

    @workflow.update(name=Act.WITHDRAW_CONSENT.value)
    def withdraw_consent(self, request: ConsentWithdrawalRequest) -> ActResult:
        messages = lifecycle.apply_withdrawal(self.state, request, workflow.now())
        return self._apply(Act.WITHDRAW_CONSENT, request, messages)

    @withdraw_consent.validator
    def _check_withdraw_consent(self, request: ConsentWithdrawalRequest) -> None:
        self._check(Act.WITHDRAW_CONSENT, request, lambda: lifecycle.check_withdrawal(self.state, request))

    @workflow.update(name=Act.CLOSE_CASE.value)
    def close_case(self, request: CloseRequest) -> ActResult:
        return self._apply(Act.CLOSE_CASE, request, lifecycle.apply_close(self.state, request, workflow.now()))

    @close_case.validator
    def _check_close(self, request: CloseRequest) -> None:
        self._check(Act.CLOSE_CASE, request, lambda: lifecycle.check_close(self.state, request))

    @workflow.update(name=Act.REOPEN_CASE.value)
    def reopen_case(self, request: ReopenRequest) -> ActResult:
        lifecycle.apply_reopen(self.state, request, workflow.now())
        return self._apply(Act.REOPEN_CASE, request, [])

    @reopen_case.validator
    def _check_reopen(self, request: ReopenRequest) -> None:
        """The one act a closed case takes: sent with the start of the run that re-opens it."""
        repeats.check_repeat(self.state, Act.REOPEN_CASE, request)
        lifecycle.check_reopen(self.state, request)

    @workflow.update(name=Act.LINK_CASE.value)
    def link_case(self, request: LinkRequest) -> ActResult:
        return self._apply(Act.LINK_CASE, request, links.apply_link(self.state, request, workflow.now()))

    @link_case.validator
    def _check_link(self, request: LinkRequest) -> None:
        self._check(Act.LINK_CASE, request, lambda: links.check_link(self.state, request))

    @workflow.update(name=Act.RECORD_PROCEEDING.value)
    def record_proceeding(self, request: ProceedingRequest) -> ActResult:
        messages = proceedings.apply_proceeding(self.state, request, workflow.now())
        return self._apply(Act.RECORD_PROCEEDING, request, messages)

    @record_proceeding.validator
    def _check_proceeding(self, request: ProceedingRequest) -> None:
        self._check(Act.RECORD_PROCEEDING, request, lambda: proceedings.check_proceeding(self.state, request))

    def _check(self, act: Act, request: ActRequest, rules: Callable[[], None]) -> None:
        """A repeat of an act already carried out is refused as such (the caller reads the case instead); a closed
        case (its run ending) takes no act."""
        repeats.check_repeat(self.state, act, request)
        lifecycle.check_not_closed(self.state)
        rules()

    def _apply(self, act: Act, request: ActRequest, messages: list[Message]) -> ActResult:
        repeats.remember(self.state, act, request)
        self._outbox += messages
        self._changed = True
        workflow.logger.info(
            "act carried out", extra={"case": self.state.reference, "act": act.value, "stage": self.state.stage.value}
        )
        return act_result(self.state, workflow.now())

    @workflow.query
    def status(self) -> CaseStatus:
        return case_status(self.state, workflow.now())

    # ---- the alarm ---------------------------------------------------------------------------------------

    def _set_alarm(self) -> None:
        """Keep one timer for the nearest wakeup (domain.alarms); move it only when that time changes."""
        nxt = alarms.next_wakeup(self.state)
        running = self._alarm
        if running is not None and nxt is not None and running[0] == nxt.at:
            return
        if running is not None:
            running[1].cancel()
        self._alarm = (nxt.at, asyncio.create_task(self._ring(nxt))) if nxt else None

    async def _ring(self, wakeup: alarms.Wakeup) -> None:
        """Sleep until `wakeup` with a durable timer named by its summary ("<obligation id> due|reminder", read by
        the audit), then carry out everything whose time has come."""
        delay = wakeup.at - workflow.now()
        if delay > timedelta(0):
            await workflow.sleep(delay, summary=wakeup.summary)
        self._alarm = None
        messages = alarms.ring(self.state, workflow.now())
        for m in messages:
            if isinstance(m, Alert) and m.kind is AlertKind.ESCALATION:
                extra = {"case": self.state.reference, "deadline": m.obligation_kind.value}
                workflow.logger.warning("deadline missed", extra=extra)
        self._queue(messages)
        self._changed = True

    # ---- messages ----------------------------------------------------------------------------------------

    def _queue(self, messages: Sequence[Message]) -> None:
        if messages:
            self._outbox += messages
            self._changed = True

    def _dispatch(self) -> None:
        """Send every queued message in a task of its own: nothing that waits for a deadline waits for a delivery."""
        for message in self._outbox:
            asyncio.create_task(self._send(message))  # noqa: RUF006 (the workflow's event loop keeps its tasks)
        self._outbox = []

    async def _send(self, message: Message) -> None:
        """Deliver a message; a permanent failure (a refused address) is recorded and escalated."""
        self._sending += 1
        try:
            await deliver(message)
        except ActivityError as err:
            workflow.logger.error(
                "message could not be delivered", extra={"case": self.state.reference, "key": message.key}
            )
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == PERMANENT_FAILURE:
                what = message.kind.value if isinstance(message, Alert) else message.template
                escalation = record_delivery_failure(self.state, message.key, what, cause.message, workflow.now())
                self._queue([escalation] if escalation else [])
                self._changed = True
        finally:
            self._sending -= 1

    # ---- visibility --------------------------------------------------------------------------------------

    def _publish_search_attributes(self) -> None:
        nxt = self.state.next_deadline()
        entries = sa.open_deadline_entries(self.state.open_obligations)
        phase = pending_phase(self.state)
        condition = life(self.state)
        wanted: list[SearchAttributeUpdate[Any]] = [
            sa.STAGE.value_set(self.state.stage.value),
            sa.JURISDICTION.value_set(self.state.policy.jurisdiction),
            sa.IS_CHILD.value_set(self.state.is_child),
            sa.BREACH_COUNT.value_set(self.state.breach_count),
            sa.NEXT_DEADLINE.value_set(nxt.due_at) if nxt else sa.NEXT_DEADLINE.value_unset(),
            sa.NEXT_DEADLINE_KIND.value_set(nxt.kind.value) if nxt else sa.NEXT_DEADLINE_KIND.value_unset(),
            sa.OPEN_DEADLINES.value_set(entries) if entries else sa.OPEN_DEADLINES.value_unset(),
            sa.PENDING.value_set(phase) if phase else sa.PENDING.value_unset(),
            sa.LIFE.value_set(condition.value) if condition else sa.LIFE.value_unset(),
        ]
        changed = [u for u in wanted if self._published.get(u.key.name) != u.value]  # absent is unset
        if changed:
            workflow.upsert_search_attributes(changed)
            self._published.update({u.key.name: u.value for u in changed})
