"""The digest's rows from search attributes alone: every open obligation overdue or due within the window, and
a case from before NrmOpenDeadlines existed listed by its next deadline."""

from __future__ import annotations

from datetime import timedelta

from activities.digest import digest_rows
from domain import transitions
from domain.case import ObligationKind
from tests.integration.helpers import decision
from tests.unit.builders import T0, opened
from workflows import search_attributes as sa


def test_open_deadlines_round_trip_through_the_attribute() -> None:
    state = opened()
    transitions.apply_stage1(state, decision(), T0)
    entries = sa.open_deadline_entries(state.open_obligations)
    assert f"legal_advice@{(T0 + timedelta(hours=48)).isoformat()}" in entries
    parsed = sa.parse_open_deadlines(entries)
    assert len(parsed) == 10 and parsed[-1] == ("stage2_decision", T0 + timedelta(days=90))


def test_rows_are_the_overdue_and_soon_due_obligations_soonest_first() -> None:
    now, horizon = T0, T0 + timedelta(hours=48)
    found = [
        ("NRM-0000-0001", {"open": [f"legal_advice@{(T0 - timedelta(hours=1)).isoformat()}",
                                    f"stage2_decision@{(T0 + timedelta(days=90)).isoformat()}",
                                    f"rr_granted@{(T0 + timedelta(hours=3)).isoformat()}"], "child": False}),
        ("NRM-0000-0002", {"open": None, "next": T0 + timedelta(hours=5),
                           "next_kind": ObligationKind.STAGE1_DECISION.value, "child": True}),
    ]
    rows = digest_rows(found, now, horizon)
    assert [(r.reference, r.kind, r.overdue) for r in rows] == [
        ("NRM-0000-0001", "legal_advice", True), ("NRM-0000-0001", "rr_granted", False),
        ("NRM-0000-0002", "stage1_decision", False)]
    assert rows[2].is_child
