"""When a case next has to act by itself, and what it does then: the one durable alarm of a case.

A case keeps a single timer, set for the nearest of all its wakeups: every reminder and due time of every open
obligation, and the timed events of other tracks. When it rings, everything whose time has come is carried out in
time order (a reminder noticed late still goes, before the escalation beside it), and the alarm is set for the
next. The wakeups are computed from the state alone, so an act that moves a deadline moves the alarm with it.

A track with a timed event that is not an obligation adds a `Source`: its wakeups and what each one does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain import appeals, lifecycle, majority, permits, returns
from domain.case import CaseState
from domain.deadlines import deadline_passed, pending_reminders, record_reminder, reminder_alert
from domain.notices import Message

DUE = "due"
REMINDER = "reminder"
MAX_RINGS = 1000  # wakeups carried out in one ring at most: a bound, never reached by a sane state


@dataclass(frozen=True)
class Wakeup:
    """A time the case must act at, named by `key` (an obligation id or an event's name) and `purpose`."""

    at: datetime
    key: str
    purpose: str

    @property
    def summary(self) -> str:
        """The alarm timer's summary in the history ("<key> <purpose>"): the audit reads what it was set for."""
        return f"{self.key} {self.purpose}"

    @property
    def order(self) -> tuple[datetime, bool, str]:
        """Soonest first; at the same time a reminder before anything else (it was owed first)."""
        return (self.at, self.purpose != REMINDER, self.key)


@dataclass(frozen=True)
class Source:
    """One kind of wakeup: when they fall, and what one does when its time has come (messages to send)."""

    wakeups: Callable[[CaseState], list[Wakeup]]
    wake: Callable[[CaseState, Wakeup, datetime], list[Message]]


def _obligation_wakeups(state: CaseState) -> list[Wakeup]:
    wakeups: list[Wakeup] = []
    for ob in state.open_obligations:
        wakeups += [Wakeup(at, ob.id, REMINDER) for at in pending_reminders(ob, state.policy)]
        if not ob.overdue_now:
            wakeups.append(Wakeup(ob.due_at, ob.id, DUE))
    return wakeups


def _obligation_wake(state: CaseState, wakeup: Wakeup, now: datetime) -> list[Message]:
    ob = state.obligations[wakeup.key]
    if wakeup.purpose == REMINDER:
        alert = reminder_alert(state, ob, wakeup.at)
        record_reminder(ob, wakeup.at)
        return [alert]
    alerts: list[Message] = returns.departure_check(state, ob.id, now)  # holds at a planned departure stop it
    alerts += deadline_passed(state, ob.id, now)
    alerts += appeals.window_closed(state, ob.id, now)  # a window closed unused: the next step follows
    permits.stage2_overdue(state, ob.id, now)  # Stage 2 overdue at the end of the R&R: an interim permit is owed
    return alerts


OBLIGATIONS = Source(_obligation_wakeups, _obligation_wake)

SUSPENSION = "suspension"


def _missing_wakeups(state: CaseState) -> list[Wakeup]:
    due = lifecycle.suspension_due(state)
    return [Wakeup(due, "missing", SUSPENSION)] if due else []


def _missing_wake(state: CaseState, wakeup: Wakeup, now: datetime) -> list[Message]:
    return lifecycle.suspend(state, wakeup.at)


MISSING = Source(_missing_wakeups, _missing_wake)  # a missing adult's case suspended after the policy's period


def _majority_wakeups(state: CaseState) -> list[Wakeup]:
    return [Wakeup(at, "majority", event) for at, event in majority.schedule(state)]


def _majority_wake(state: CaseState, wakeup: Wakeup, now: datetime) -> list[Message]:
    return majority.carry_out(state, wakeup.purpose, wakeup.at, now)


MAJORITY = Source(_majority_wakeups, _majority_wake)  # coming of age by the date of birth, and what follows it
SOURCES: tuple[Source, ...] = (OBLIGATIONS, MISSING, MAJORITY)


def _pending(state: CaseState) -> list[tuple[Wakeup, Source]]:
    return sorted(((w, s) for s in SOURCES for w in s.wakeups(state)), key=lambda pair: pair[0].order)


def next_wakeup(state: CaseState) -> Wakeup | None:
    """The nearest wakeup, in the past when one is overdue for carrying out."""
    pending = _pending(state)
    return pending[0][0] if pending else None


def ring(state: CaseState, now: datetime) -> list[Message]:
    """Carry out every wakeup whose time has come, soonest first, including any that doing so brings due."""
    messages: list[Message] = []
    for _ in range(MAX_RINGS):
        due = [(w, s) for w, s in _pending(state) if w.at <= now]
        if not due:
            break
        wakeup, source = due[0]
        messages += source.wake(state, wakeup, now)
    return messages
