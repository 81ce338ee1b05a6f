"""The digest's rows from search attributes alone: every open obligation overdue or due within the window, and
a case from before NrmOpenDeadlines existed listed by its next deadline; rows read back as the SDK encodes them."""

from __future__ import annotations

from datetime import timedelta

from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflow.v1 import WorkflowExecutionInfo
from temporalio.common import SearchAttributePair, SearchAttributeUpdate, TypedSearchAttributes
from temporalio.converter import encode_search_attributes

from activities.digest import digest_rows
from domain import transitions
from domain.case import ObligationKind
from plumbing import search_attributes as sa
from plumbing.visibility import CaseSummary, case_row
from tests.integration.helpers import decision
from tests.unit.builders import T0, opened


def test_open_deadlines_round_trip_through_the_attribute() -> None:
    state = opened()
    transitions.apply_stage1(state, decision(), T0)
    entries = sa.open_deadline_entries(state.open_obligations)
    assert f"legal_advice@{(T0 + timedelta(hours=48)).isoformat()}" in entries
    parsed = sa.parse_open_deadlines(entries)
    assert len(parsed) == 10 and parsed[-1] == ("stage2_decision", T0 + timedelta(days=90))


def listed(reference: str, *values: SearchAttributeUpdate) -> WorkflowExecutionInfo:
    """A row as visibility lists it: attributes encoded by the SDK, exactly as a case upserts them."""
    info = WorkflowExecutionInfo(status=WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING)
    info.execution.workflow_id = f"case-{reference}"
    encode_search_attributes(
        TypedSearchAttributes([SearchAttributePair(v.key, v.value) for v in values]), info.search_attributes
    )
    return info


def test_a_listed_row_reads_back_every_attribute_a_case_publishes() -> None:
    due, passed = T0 + timedelta(hours=3), T0 - timedelta(hours=1)
    row = case_row(
        listed(
            "NRM-0000-0003",
            sa.STAGE.value_set("presumed_victim"),
            sa.JURISDICTION.value_set("xx"),
            sa.IS_CHILD.value_set(True),
            sa.BREACH_COUNT.value_set(2),
            sa.NEXT_DEADLINE.value_set(passed),
            sa.NEXT_DEADLINE_KIND.value_set("legal_advice"),
            sa.OPEN_DEADLINES.value_set([f"rr_granted@{due.isoformat()}", f"legal_advice@{passed.isoformat()}"]),
        ),
        T0,
    )
    assert row == CaseSummary(
        reference="NRM-0000-0003",
        running=True,
        stage="presumed_victim",
        jurisdiction="xx",
        is_child=True,
        next_deadline=passed,
        next_deadline_kind="legal_advice",
        breaches=2,
        open_deadlines=[("legal_advice", passed), ("rr_granted", due)],
        overdue=["legal_advice"],
    )
    assert case_row(listed("NRM-0000-0004"), T0) == CaseSummary(
        reference="NRM-0000-0004",
        running=True,
        stage=None,
        jurisdiction=None,
        is_child=None,
        next_deadline=None,
        next_deadline_kind=None,
        breaches=0,
        open_deadlines=[],
        overdue=[],
    )


def test_rows_are_the_overdue_and_soon_due_obligations_soonest_first() -> None:
    now, horizon = T0, T0 + timedelta(hours=48)
    found = [
        case_row(
            listed(
                "NRM-0000-0001",
                sa.IS_CHILD.value_set(False),
                sa.OPEN_DEADLINES.value_set(
                    [
                        f"legal_advice@{(T0 - timedelta(hours=1)).isoformat()}",
                        f"stage2_decision@{(T0 + timedelta(days=90)).isoformat()}",
                        f"rr_granted@{(T0 + timedelta(hours=3)).isoformat()}",
                    ]
                ),
            ),
            now,
        ),
        case_row(
            listed(
                "NRM-0000-0002",
                sa.IS_CHILD.value_set(True),
                sa.OPEN_DEADLINES.value_set(
                    [f"{ObligationKind.STAGE1_DECISION.value}@{(T0 + timedelta(hours=5)).isoformat()}"]
                ),
            ),
            now,
        ),
    ]
    rows = digest_rows(found, now, horizon)
    assert [(r.reference, r.kind, r.overdue) for r in rows] == [
        ("NRM-0000-0001", "legal_advice", True),
        ("NRM-0000-0001", "rr_granted", False),
        ("NRM-0000-0002", "stage1_decision", False),
    ]
    assert rows[2].is_child
