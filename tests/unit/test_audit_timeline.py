"""The timeline shows a notification by kind, subject and recipient roles, never its body or an address; an
assessment by its times and document, never its summary of the person's needs."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.roles import Act
from starter.audit.history import ActAccepted, ActCompleted, ActivityScheduled
from starter.audit.timeline import _act, _notification

AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_a_letter_shows_its_subject_and_roles_but_not_its_reasons_or_addresses() -> None:
    letter = {
        "template": "decision_letter",
        "key": "k",
        "reference": "NRM-0000-0000",
        "language": "ro",
        "recipients": {"roles": ["support_provider"], "addresses": ["person@example.org"]},
        "stage": 1,
        "outcome": "positive",
        "reasons": "Sentinel reasons about the person",
    }
    entry = _notification(ActivityScheduled(AT, 5, "send_notice", letter))
    assert entry.event == "decision letter scheduled"
    assert entry.summary == (
        "Stage 1 positive; in ro; to support_provider, 1 personal address(es), not shown; via send_notice"
    )
    assert "example.org" not in entry.model_dump_json() and "Sentinel" not in entry.model_dump_json()


def test_a_reminder_names_its_deadline_and_recipient_roles() -> None:
    alert = {
        "key": "k",
        "kind": "reminder",
        "obligation_kind": "stage1_decision",
        "recipients": ["competent_authority"],
        "due_at": "2026-11-25T09:30:00Z",
    }
    entry = _notification(ActivityScheduled(AT, 5, "send_alert", alert))
    assert (entry.event, entry.summary) == (
        "reminder scheduled",
        "stage1 decision; due 2026-11-25 09:30:00; to competent_authority; via send_alert",
    )


def test_an_assessment_shows_its_times_and_document_but_not_its_summary() -> None:
    accepted = ActAccepted(
        AT,
        "u1",
        Act.RECORD_ASSESSMENT.value,
        {
            "actor": {"role": "support_provider", "id": "sp-1"},
            "kind": "needs_risks_assessment",
            "result": {
                "completed_at": "2026-11-20T09:00:00Z",
                "summary": "Sentinel needs",
                "next_review": "2027-02-01T00:00:00Z",
                "document": "DOC-7",
            },
        },
    )
    entry = _act(
        accepted, ActCompleted(AT, "u1", Act.RECORD_ASSESSMENT.value, {"stage": "presumed_victim"}, failed=False)
    )
    assert (entry.event, entry.actor) == ("assessment recorded", "support_provider:sp-1")
    assert entry.summary == (
        "needs risks assessment; completed 2026-11-20 09:00:00; next review by 2027-02-01 "
        "00:00:00; document DOC-7; stage now presumed_victim"
    )
    assert "Sentinel" not in entry.model_dump_json()
