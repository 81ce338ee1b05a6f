"""Children from the first moment (DOMAIN.md section 5; handbook L6403-6413, L6468-6469, L14604-14611).

A child's safeguards do not wait for a positive Stage 1: from entry into the NRM (the referral, or an age dispute
later) every child case owes the policy's `children.from_entry` duties: a guardian advocate (no child is
interviewed without one, so no Stage 1 decision comes before one), a best-interests assessment (it frames Stage 1
itself), a legal guardian for every child without a positive finding that the family gives safe and appropriate
care, and a plan of intensive supervision for the Golden Day (the first 72 hours, when children go missing most).
Each decision concerning a child records the child's views.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from domain.case import CaseState, ObligationKind
from domain.deadlines import new_obligation
from domain.errors import InvalidRequest, WrongStage
from domain.notices import Message
from domain.policy import ProvisionItem
from domain.rules import owe
from domain.text import REASONS_MAX, check_text, is_written

CHILD_VIEWS_MAX = REASONS_MAX


def owe_once(state: CaseState, items: Iterable[tuple[ProvisionItem, timedelta]], now: datetime) -> list[Message]:
    """Owe each item from `now` unless the case has owed its kind before (open, given or waived): nothing is owed
    twice, and nothing given is taken back."""
    owed_before = {o.kind for o in state.obligations.values()}
    return [
        message
        for item, within in items
        if item.kind not in owed_before
        for message in owe(
            state,
            new_obligation(item.kind, item.owner, start=now, due=now + within, waivable=item.waivable),
            now,
        )
    ]


def enter_as_child(state: CaseState, now: datetime) -> list[Message]:
    """The child's safeguards from `now` (entry into the NRM, or the moment the person came to be treated as a
    child), and the Golden Day of intensive supervision from then."""
    referral = state.referral
    state.golden_day_until = now + state.policy.children.golden_day
    items = state.policy.owed_from_entry(unaccompanied=referral.unaccompanied, family_safe=referral.family_safe)
    return owe_once(state, items, now)


def check_stage1(state: CaseState) -> None:
    """A child's Stage 1 decision needs a guardian advocate recorded before it."""
    if not state.is_child:
        return
    advocates = [o for o in state.obligations.values() if o.kind is ObligationKind.GUARDIAN_ADVOCATE]
    if advocates and all(o.is_open for o in advocates):
        raise WrongStage(
            f"a Stage 1 decision on a child is not possible before a guardian advocate is recorded in case "
            f"{state.reference} (no child is screened or interviewed without one): record it first with "
            f"`nrm case provide {state.reference} guardian_advocate --evidence ...`"
        )


def check_child_views(state: CaseState, child_views: str, what: str) -> None:
    """Each decision concerning a child records the child's views (participation)."""
    check_text(child_views, "the child's views", CHILD_VIEWS_MAX)
    if state.is_child and not is_written(child_views):
        raise InvalidRequest(
            f"{what} concerning a child records the child's views (--child-views: what the child said, or why "
            "they could not be heard)"
        )
