"""CaseWorkflow: one person's path through the NRM, from referral to conclusive identification.

Every human act is an Update whose validator asks domain.transitions whether it may happen (a refusal writes
nothing to history); before it, workflows.actor_check has the case verify the act's signed actor
assertion. Every obligation gets two watchers: one durable timer for its due time (so the history
shows exactly the deadline the policy set) and one for its reminders. When a deadline moves, the obligation's
version changes and its watchers stop; the main loop starts new ones.

Behaviour added after histories were first stored runs only where `workflow.patched(...)` says so (the ids
below), so that those histories replay unchanged: provisions owed after a positive Stage 1, decision letters,
escalation of undeliverable messages, the open-deadlines search attribute, and the actor directory loaded at start.
Each patch a run meets costs it a marker and an upsert of TemporalChangeVersion, so a case opened today records
one patch, CURRENT_BEHAVIOUR, which stands for all of them (see `patched`).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, Callable

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.notifications import PERMANENT_FAILURE, NotificationActivities
    from domain import transitions
    from domain.actors import ActorAssertion, ActorDirectory, NotVerified, verify_act
    from domain.case import Obligation, Outcome
    from domain.deadlines import Alert, deadline_passed, pending_reminders, record_reminder, reminder_alert
    from domain.notices import AssessmentNeeded, Notice, assessment_needed, decision_letter, record_delivery_failure
    from domain.requests import (
        AssessRequest,
        ConsentRequest,
        DecisionRequest,
        ExtendRRRequest,
        OpenCase,
        ProvideRequest,
    )
    from domain.roles import Actor
    from domain.status import ActResult, CaseStatus, act_result, case_status
    from plumbing import search_attributes as sa

ALERT_TIMEOUT = timedelta(minutes=2)
ALERT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=0,  # transient failures retry until delivered; permanent ones raise non-retryable errors
)
DIRECTORY_TIMEOUT = timedelta(seconds=30)
DIRECTORY_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))  # until the worker can read the file
VERIFIED_ACTORS_PATCH = "verified-actors"  # a case loads the actor directory at start; every act is verified
# the directory is read by a local activity, inside the workflow task that needs it: a just-opened case takes acts
# without waiting for an activity's round trip through the server (and its history gains one marker, not 3 events)
LOCAL_DIRECTORY_PATCH = "actor-directory-local-activity"

PROVISIONS_PATCH = "provision-obligations"            # a positive Stage 1 owes the policy's provisions
LETTERS_PATCH = "decision-letters"                    # each decision is sent as a letter to the person/guardian
DELIVERY_FAILURES_PATCH = "delivery-failure-escalation"  # a permanently undeliverable message is escalated
OPEN_DEADLINES_PATCH = "open-deadlines-search-attribute"  # NrmOpenDeadlines lists every open obligation
# every patch above (and workflows.repeated_acts') at once; acts are verified against the worker's actor directory
# (plumbing.actor_directory), so the case loads no copy of it; and an act returns the brief ActResult
CURRENT_BEHAVIOUR = "case-behaviour-2026-11"


@workflow.defn(name="CaseWorkflow")
class CaseWorkflow:
    behaviour: str | None = CURRENT_BEHAVIOUR  # None: only the individual patches (a test's case from before it)

    @workflow.init
    def __init__(self, request: OpenCase) -> None:
        self._request = request
        self.state = request.state or transitions.open_case(request, workflow.now())
        self._changed = True
        self._watching: dict[str, tuple[int, asyncio.Task[None]]] = {}
        self._published: dict[str, Any] = {}
        self._sending = 0
        # decided by every run in its first workflow task, before any act: True for each run started since it exists
        self._current = self.behaviour is not None and workflow.patched(self.behaviour)

    @workflow.run
    async def run(self, request: OpenCase) -> None:
        workflow.logger.info("case running", extra={"case": self.state.reference, "stage": self.state.stage.value})
        while True:
            self._publish_search_attributes()
            self._start_watchers()
            self._changed = False
            await workflow.wait_condition(lambda: self._changed or self._should_continue_as_new())
            if self._should_continue_as_new():
                await workflow.wait_condition(lambda: workflow.all_handlers_finished() and self._sending == 0)
                workflow.continue_as_new(self._request.model_copy(update={"state": self.state}))

    def _should_continue_as_new(self) -> bool:
        return workflow.info().is_continue_as_new_suggested()

    # ---- human acts -------------------------------------------------------------------------------------

    @workflow.update
    def record_consent(self, request: ConsentRequest) -> ActResult:
        transitions.apply_consent(self.state, request, workflow.now())
        return self._after_change("consent recorded")

    @record_consent.validator
    def _check_consent(self, request: ConsentRequest) -> None:
        transitions.check_consent(self.state, request)

    @workflow.update
    def decide_stage1(self, request: DecisionRequest) -> ActResult:
        provisions = request.outcome is Outcome.POSITIVE and self.patched(PROVISIONS_PATCH)
        transitions.apply_stage1(self.state, request, workflow.now(), provisions=provisions)
        self._send_decision_letter()
        return self._after_change("stage 1 decided")

    @decide_stage1.validator
    def _check_stage1(self, request: DecisionRequest) -> None:
        transitions.check_stage1(self.state, request)

    @workflow.update
    def decide_stage2(self, request: DecisionRequest) -> ActResult:
        transitions.apply_stage2(self.state, request, workflow.now())
        self._send_decision_letter()
        return self._after_change("stage 2 decided")

    @decide_stage2.validator
    def _check_stage2(self, request: DecisionRequest) -> None:
        transitions.check_stage2(self.state, request)

    @workflow.update
    def extend_rr(self, request: ExtendRRRequest) -> ActResult:
        transitions.apply_extend_rr(self.state, request, workflow.now())
        return self._after_change("R&R extended")

    @extend_rr.validator
    def _check_extend_rr(self, request: ExtendRRRequest) -> None:
        transitions.check_extend_rr(self.state, request)

    @workflow.update
    def provide(self, request: ProvideRequest) -> ActResult:
        ob = transitions.apply_provide(self.state, request, workflow.now())
        return self._after_change(f"{ob.kind.value} recorded")

    @provide.validator
    def _check_provide(self, request: ProvideRequest) -> None:
        transitions.check_provide(self.state, request, workflow.now())

    @workflow.update
    def assess(self, request: AssessRequest) -> ActResult:
        review = transitions.apply_assess(self.state, request, workflow.now())
        return self._after_change(f"{review.kind.value} recorded, review {review.id} owed")

    @assess.validator
    def _check_assess(self, request: AssessRequest) -> None:
        transitions.check_assess(self.state, request, workflow.now())

    # ---- versions ----------------------------------------------------------------------------------------

    def patched(self, patch_id: str) -> bool:
        """`workflow.patched(patch_id)`, except that a run started since CURRENT_BEHAVIOUR runs every patch without
        recording each. Older histories replay as they ran: CURRENT_BEHAVIOUR was not recorded in their first task."""
        return self._current or workflow.patched(patch_id)

    # ---- verified actors (workflows.actor_check calls verify_act before every validator) ------------------

    def verify_act(self, act: str, request: Any, assertion: ActorAssertion | None, directory: ActorDirectory) -> None:
        """Refuse the act unless its assertion proves that the actor it names signed this very act.

        `directory` is the worker's current one: validators never run on replay, so it needs no place in history,
        and a change reaches every case at once (a case opened before CURRENT_BEHAVIOUR is verified the same way).
        """
        actor = getattr(request, "actor", None)
        if not isinstance(actor, Actor):
            raise NotVerified(f"the act {act} names no actor")
        verify_act(directory, assertion, actor, workflow.info().workflow_id, act, request, workflow.now())

    @workflow.query
    def status(self) -> CaseStatus:
        return case_status(self.state, workflow.now())

    def carried_out(self, request_id: str) -> bool:
        """True for the request id of an act this case already carried out (see workflows.repeated_acts)."""
        return request_id in self.state.act_ids

    def remember_act(self, request_id: str) -> None:
        self.state.remember_act(request_id)

    def act_result(self) -> ActResult:
        """What an act returns. A run since CURRENT_BEHAVIOUR returns the brief ActResult (each one is stored in the
        history); older runs returned the whole CaseStatus, itself an ActResult, and still do on replay."""
        if self._current:
            return act_result(self.state, workflow.now())
        return case_status(self.state, workflow.now())

    def _after_change(self, event: str) -> ActResult:
        self._changed = True
        workflow.logger.info(event, extra={"case": self.state.reference, "stage": self.state.stage.value})
        return self.act_result()

    # ---- timers ------------------------------------------------------------------------------------------

    def _start_watchers(self) -> None:
        for ob in self.state.open_obligations:
            running = self._watching.get(ob.id)
            if running is None or running[0] != ob.version:
                task = asyncio.create_task(self._watch(ob, ob.version))
                self._watching[ob.id] = (ob.version, task)
            if ob.kind.is_assessment and ob.requested_at is None:
                ob.requested_at = workflow.now()
                asyncio.create_task(self._request_assessment(assessment_needed(self.state, ob)))

    async def _watch(self, ob: Obligation, version: int) -> None:
        def stale() -> bool:
            return ob.version != version or not ob.is_open

        await asyncio.gather(self._remind(ob, stale), self._expire(ob, stale))

    async def _remind(self, ob: Obligation, stale: Callable[[], bool]) -> None:
        for at in pending_reminders(ob, self.state.policy):
            if not await self._arrived(at, stale, f"{ob.kind.value} reminder"):
                return
            if workflow.now() >= ob.due_at:
                return
            alert = reminder_alert(self.state, ob, at)
            record_reminder(ob, at)  # before the send: a deadline moved meanwhile starts a fresh reminder list
            await self._send(alert)

    async def _expire(self, ob: Obligation, stale: Callable[[], bool]) -> None:
        if not await self._arrived(ob.due_at, stale, f"{ob.kind.value} due"):
            return
        alerts = deadline_passed(self.state, ob.id, workflow.now())
        if alerts:
            self._changed = True
            workflow.logger.warning("deadline missed", extra={"case": self.state.reference, "deadline": ob.kind.value})
        for alert in alerts:
            await self._send(alert)

    async def _arrived(self, when: datetime, stale: Callable[[], bool], summary: str) -> bool:
        """Wait for `when` with a durable timer; False if the obligation changed or closed first."""
        delay = when - workflow.now()
        if delay > timedelta(0):
            try:
                await workflow.wait_condition(stale, timeout=delay, timeout_summary=self._summary(summary))
                return False
            except asyncio.TimeoutError:
                pass
        return not stale()

    def _summary(self, text: str) -> str | None:
        """A timer's or activity's summary, written only by runs from before CURRENT_BEHAVIOUR. Each was one more
        encrypted payload per timer to store, encode and replay; the audit names a case's timers from the deadlines
        it publishes (starter.audit.history.timer_name) and its activities from their type and input. Summaries are
        metadata, not commands: a replay never compares them."""
        return None if self._current else text

    # ---- notifications -----------------------------------------------------------------------------------

    async def _send(self, alert: Alert) -> None:
        await self._notify(NotificationActivities.send_alert, alert, alert.key, alert.kind.value,
                           f"{alert.kind.value}: {alert.obligation_kind.value}")

    def _send_decision_letter(self) -> None:
        if self.patched(LETTERS_PATCH):
            letter = decision_letter(self.state)
            asyncio.create_task(self._notify(NotificationActivities.send_notice, letter, letter.key, letter.template,
                                             f"letter: stage {letter.stage} {letter.outcome.value}"))

    async def _request_assessment(self, needed: AssessmentNeeded) -> None:
        await self._notify(NotificationActivities.request_assessment, needed, needed.key, needed.template,
                           f"assessment request: {needed.obligation_id}")

    async def _notify(self, activity: Callable[..., Any], message: Alert | Notice, key: str, what: str,
                      summary: str) -> None:
        """Run a delivery activity; a permanent failure (refused address) is recorded and escalated."""
        self._sending += 1
        try:
            await workflow.execute_activity_method(
                activity,
                message,
                start_to_close_timeout=ALERT_TIMEOUT,
                retry_policy=ALERT_RETRY,
                summary=self._summary(summary),
            )
        except ActivityError as err:
            workflow.logger.error("alert could not be delivered", extra={"case": self.state.reference, "alert": key})
            cause = err.cause
            if (isinstance(cause, ApplicationError) and cause.type == PERMANENT_FAILURE
                    and self.patched(DELIVERY_FAILURES_PATCH)):
                escalation = record_delivery_failure(self.state, key, what, cause.message, workflow.now())
                self._changed = True
                if escalation is not None:
                    await self._notify(NotificationActivities.send_notice, escalation, escalation.key,
                                       escalation.template, "escalation: delivery failure")
        finally:
            self._sending -= 1

    # ---- visibility --------------------------------------------------------------------------------------

    def _publish_search_attributes(self) -> None:
        nxt = self.state.next_deadline()
        wanted: list[SearchAttributeUpdate[Any]] = [
            sa.STAGE.value_set(self.state.stage.value),
            sa.JURISDICTION.value_set(self.state.policy.jurisdiction),
            sa.IS_CHILD.value_set(self.state.is_child),
            sa.BREACH_COUNT.value_set(self.state.breach_count),
            sa.NEXT_DEADLINE.value_set(nxt.due_at) if nxt else sa.NEXT_DEADLINE.value_unset(),
            sa.NEXT_DEADLINE_KIND.value_set(nxt.kind.value) if nxt else sa.NEXT_DEADLINE_KIND.value_unset(),
        ]
        if self.patched(OPEN_DEADLINES_PATCH):
            entries = sa.open_deadline_entries(self.state.open_obligations)
            wanted.append(sa.OPEN_DEADLINES.value_set(entries) if entries else sa.OPEN_DEADLINES.value_unset())
        changed = [u for u in wanted if self._published.get(u.key.name, _UNSET) != u.value]
        if changed:
            workflow.upsert_search_attributes(changed)
            self._published.update({u.key.name: u.value for u in changed})


_UNSET = object()
