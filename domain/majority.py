"""Coming of age by the date of birth (DOMAIN.md section 5): a transition, never a cut-off.

A child by the referral's date of birth (and not in an age dispute, which the age assessment settles) comes of
age at the policy's `age.majority`. From `transition_plan_before` that day a transition plan for the move to
adult support is owed, due on the day. On the day the person is an adult for new obligations (the case is no
longer a child's: letters go to the person, new duties follow the adult rules); nothing already owed is taken
back. Child-level support continues to the age of `age.child_support_until`; then the guardian advocate hands
over to an independent advocate and the adult provisions of the case's stage are owed, as after a final adult
finding (domain.age).

The days are counted by month where the policy says so (`counted_by_month`, as the shipped policies do): the
alarm's timers are in the server's history unencrypted, and a timer on the birthday would show the birth date
to anyone reading it. Counted from the first of the following month, the person stays a child a little longer,
never less.
"""

from __future__ import annotations

from datetime import datetime

from domain.age import adult_support, provisions_from_now
from domain.case import AgeStatus, CaseState, ObligationKind
from domain.deadlines import new_obligation
from domain.notices import CaseEvent, CaseEventKind, Message, Recipients
from domain.roles import Role
from domain.rules import owe
from domain.times import aged

TRANSITION_PLAN = "transition-plan"
COMING_OF_AGE = "coming-of-age"
SUPPORT_END = "support-end"


def coming_of_age(state: CaseState) -> datetime | None:
    """When the person comes of age by the date of birth, where that date is what makes them a child and no age
    dispute is pending (an age assessment or its challenge decides then); else None."""
    referral = state.referral
    born = referral.person.date_of_birth
    if born is None or not referral.child_by_birth_date or state.age_status in (AgeStatus.DISPUTED, AgeStatus.ADULT):
        return None
    return aged(born, state.policy.age.majority, to_month=state.policy.age.counted_by_month)


def child_support_until(state: CaseState) -> datetime | None:
    """Until when child-level support continues after coming of age (the policy's age, at least the majority)."""
    born = state.referral.person.date_of_birth
    if born is None or (coming_of_age(state) is None and state.came_of_age_at is None):
        return None
    rules = state.policy.age
    return aged(born, rules.child_support_until, to_month=rules.counted_by_month)


def schedule(state: CaseState) -> list[tuple[datetime, str]]:
    """The timed events still ahead: the transition plan owed, the coming of age, the end of child-level support."""
    if state.came_of_age_at is None:
        at = coming_of_age(state)
        if at is None or not state.is_child:
            return []
        events = [(at, COMING_OF_AGE)]
        if at > state.opened_at and not _plan_owed(state):
            events.append((max(at - state.policy.age.transition_plan_before, state.opened_at), TRANSITION_PLAN))
        return events
    until = child_support_until(state)
    if state.child_support_ended_at is None and until is not None:
        return [(max(until, state.came_of_age_at), SUPPORT_END)]
    return []


def carry_out(state: CaseState, event: str, at: datetime, now: datetime) -> list[Message]:
    """Carry out the event due at `at` (its deadlines count from then, not from when the alarm rang)."""
    if event == TRANSITION_PLAN:
        return _owe_transition_plan(state, at, now)
    if event == COMING_OF_AGE:
        return _come_of_age(state, at)
    return _end_child_support(state, at, now)


def _plan_owed(state: CaseState) -> bool:
    return any(o.kind is ObligationKind.TRANSITION_PLAN for o in state.obligations.values())


def _owe_transition_plan(state: CaseState, at: datetime, now: datetime) -> list[Message]:
    rules = state.policy.age
    due = coming_of_age(state)
    assert due is not None
    plan = new_obligation(ObligationKind.TRANSITION_PLAN, rules.transition_plan_owner, start=at, due=due)
    return owe(state, plan, now)


def _come_of_age(state: CaseState, at: datetime) -> list[Message]:
    state.came_of_age_at = at
    state.is_child = False
    until = child_support_until(state)
    return [_told(state, CaseEventKind.CAME_OF_AGE, at, until=max(until, at) if until else at)]


def _told(state: CaseState, event: CaseEventKind, at: datetime, until: datetime | None = None) -> CaseEvent:
    """Those responsible for the child are told: the coordinator, child protection, the guardian advocate."""
    told = [state.policy.escalation.to_role, Role.CHILD_PROTECTION, Role.GUARDIAN_ADVOCATE]
    return CaseEvent(
        key=f"{state.reference}/{event.value}",
        reference=state.reference,
        recipients=Recipients(roles=list(dict.fromkeys(told))),
        event=event,
        at=at,
        is_child=False,
        until=until,
    )


def _end_child_support(state: CaseState, at: datetime, now: datetime) -> list[Message]:
    """Child-level support ends: the guardian advocate (where the child had one) hands over, and what the adult
    rules owe at the case's stage is owed from then."""
    state.child_support_ended_at = at
    messages: list[Message] = [_told(state, CaseEventKind.CHILD_SUPPORT_ENDED, at)]
    if any(o.kind is ObligationKind.GUARDIAN_ADVOCATE for o in state.obligations.values()):
        return messages + adult_support(state, at, now)
    return messages + provisions_from_now(state, at)
