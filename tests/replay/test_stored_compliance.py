"""Compliance, timeline and statistics computed from the stored histories, judged as each history ends: the
breaches and delays of each scripted path are known, so the results are exact (no server, no waiting)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.converter import DataConverter

from plumbing.connection import data_converter
from starter.audit import compliance, stats, timeline
from starter.audit.compliance import Status
from starter.audit.facts import case_facts
from starter.audit.history import AuditEvent, TimerEvent, decode_case, load_path
from tests.histories.testkey import CASES, settings_with_test_only_key

STEP = timedelta(seconds=6)  # tests/policies/fast.toml: rr.auto_extension_step


NAMES = ("rr-auto-extension", "manual-extension", "negative-stage1", "child-positive", "provisions-and-assessment")
CHALLENGES = ("stage2-upheld-appeal-allowed", "window-lapsed-final-negative", "stage1-appeal-remitted")
PROVIDED = {"nrm_referral", "accommodation", "needs_risks_assessment"}  # given, not needed, assessed


@pytest.fixture(scope="module")
async def histories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[AuditEvent]]:
    converter: DataConverter = data_converter(settings_with_test_only_key(tmp_path_factory.mktemp("stored")))
    return {name: await decode_case(load_path(CASES / f"{name}.json")[0], converter) for name in (*NAMES, *CHALLENGES)}


def judged(events: list[AuditEvent], after: timedelta = timedelta(0)) -> compliance.CaseCompliance:
    """As the history ends, or `after` that (past the grace an alert or extension in progress gets)."""
    return compliance.evaluate_history(events, max(e.at for e in events) + after)


def by_rule(result: compliance.CaseCompliance) -> dict[str, compliance.Finding]:
    return {f.rule: f for f in result.findings}


def test_a_lapsed_rr_period_is_a_stage2_breach_and_its_automatic_extensions_are_proven(histories) -> None:
    found = by_rule(judged(histories["rr-auto-extension"]))
    stage2 = found["stage2_decision"]
    assert stage2.status is Status.BREACHED
    assert STEP <= stage2.delay < 2 * STEP  # decided just after the second lapse, one step after the first
    assert found["rr_extended_not_lapsed"].status is Status.MET
    assert "2 time(s)" in found["rr_extended_not_lapsed"].detail
    assert found["stage2_decision.escalation"].status is Status.MET
    assert found["stage2_decision.reminders"].status is Status.MET
    assert found["stage1_decision"].status is Status.MET


def test_a_recorded_extension_moves_the_stage2_deadline(histories) -> None:
    result = judged(histories["manual-extension"])
    assert [b for b in result.breaches if b.rule.startswith(("stage", "rr_extended"))] == []  # provisions go unmet
    assert "due moved 1 time(s)" in by_rule(result)["stage2_decision"].detail


def test_a_negative_stage1_ends_the_deadlines(histories) -> None:
    found = by_rule(judged(histories["negative-stage1"]))
    assert found["stage1_decision"].status is Status.MET
    assert found["stage2_decision"].status is Status.NOT_APPLICABLE
    assert found["rr_extended_not_lapsed"].status is Status.NOT_APPLICABLE


def test_unmet_provisions_are_breaches_and_escalated_while_the_given_ones_are_met(histories) -> None:
    result = judged(histories["provisions-and-assessment"])
    found = by_rule(result)
    owed = {f.rule for f in result.findings if "." not in f.rule and f.status is not Status.NOT_APPLICABLE} - {
        "stage1_decision",
        "stage2_decision",
        "rr_extended_not_lapsed",
    }
    assert len(owed) == 9 and owed >= PROVIDED  # the adult list of tests/policies/fast.toml
    for kind in PROVIDED:
        assert found[kind].status is Status.MET, kind
    assert found["needs_risks_assessment.review"].status is Status.PENDING
    for kind in owed - PROVIDED:
        assert found[kind].status is Status.BREACHED and found[kind].done_at is None, kind
        assert found[f"{kind}.reminders"].status is found[f"{kind}.escalation"].status is Status.MET, kind
    assert {b.rule for b in result.breaches} == owed - PROVIDED


def test_an_rr_period_without_the_extension_in_the_history_is_reported_as_lapsed(histories) -> None:
    """A workflow bug that let the R&R period lapse cannot hide: drop the case's own extension timers."""
    history = histories["rr-auto-extension"]
    second_extension = history[0].at + timedelta(seconds=12)
    events = [
        e
        for e in history
        if not (
            isinstance(e, TimerEvent)
            and e.what == "started"
            and (e.obligation, e.purpose) == ("stage2_decision", "due")
            and e.at > second_extension
        )
    ]
    found = by_rule(judged(events, after=compliance.GRACE))
    assert found["rr_extended_not_lapsed"].status is Status.BREACHED
    assert "no extension" in found["rr_extended_not_lapsed"].detail


def test_the_child_timeline_states_that_refused_acts_are_absent(histories) -> None:
    tl = timeline.build(
        histories["child-positive"],
        runs=1,
        prepared_by="auditor:au-1",
        prepared_at=max(e.at for e in histories["child-positive"]),
    )
    assert tl.child and timeline.REFUSED_NOTE in tl.notes
    events = [e.event for e in tl.entries]
    assert events[0] == "case opened" and "Stage 1 decision" in events and "Stage 2 decision" in events
    for fmt in timeline.Format:
        assert "absent by design" in timeline.render(tl, fmt)


def test_statistics_suppress_small_cells_and_their_complement(histories) -> None:
    records = [
        stats.record(case_facts(histories[name]), max(e.at for e in histories[name]))
        for name in NAMES
        if name != "provisions-and-assessment"
    ]
    result = stats.tabulate(
        records,
        period_from=min(histories[n][0].at for n in NAMES),
        period_to=max(histories[n][-1].at for n in NAMES),
        min_cell=2,
    )
    age = next(t for t in result.tables if t.dimension == "age_group")
    assert age.cells == {"adult": None, "child": None}  # child 1 < 2, and adult 3 would give it away
    assert result.persons == 4


def test_every_timer_and_activity_names_what_it_is_for(histories) -> None:
    """Each timer's summary names its obligation and purpose; each escalation is for a due timer that fired; the
    Stage 2 due timers (the first and one per automatic extension) are named exactly; and the timeline says so."""
    for name, events in histories.items():
        timers = [e for e in events if isinstance(e, TimerEvent)]
        assert all(t.obligation and t.purpose in ("due", "reminder") for t in timers), name
        fired = {t.kind for t in timers if t.purpose == "due" and t.what == "fired"}
        escalations = [a.obligation_kind for a in case_facts(events).alerts if a.kind == "escalation"]
        assert set(escalations) <= fired, name
    events = histories["rr-auto-extension"]
    lapses = [a.obligation_kind for a in case_facts(events).alerts if a.kind == "escalation"].count("stage2_decision")
    due = [e for e in events if isinstance(e, TimerEvent) and e.what == "started" and e.purpose == "due"]
    assert lapses == 2 and sum(t.obligation == "stage2_decision" for t in due) == 1 + lapses
    tl = timeline.build(events, runs=1, prepared_by="auditor:au-1", prepared_at=max(e.at for e in events))
    assert any(e.event == "deadline set" and e.summary.startswith("stage2 decision due at") for e in tl.entries)
    assert any(e.event == "reminder set" and e.summary.startswith("stage2 decision reminder at") for e in tl.entries)
    cancelled = {
        e.summary.split(" due at ")[0]
        for e in timeline.build(
            histories["provisions-and-assessment"],
            runs=1,
            prepared_by="auditor:au-1",
            prepared_at=max(e.at for e in histories["provisions-and-assessment"]),
        ).entries
        if e.event == "timer cancelled"
    }
    assert {kind.replace("_", " ") for kind in PROVIDED} <= cancelled


def test_the_challenge_deadlines_of_a_negative_decision(histories) -> None:
    found = by_rule(judged(histories["stage2-upheld-appeal-allowed"]))
    for rule in ("reconsideration_request", "reconsideration_review", "appeal_lodging"):
        assert found[rule].status is Status.MET, rule
    assert found["final_negative_support"].status is Status.NOT_APPLICABLE
    lapsed = by_rule(judged(histories["window-lapsed-final-negative"]))
    assert lapsed["reconsideration_request"].status is Status.BREACHED  # the window closed unused
    assert lapsed["reconsideration_request.escalation"].status is Status.MET
    for rule in ("vulnerability_assessment", "onward_referral"):
        assert lapsed[rule].status is Status.MET, rule


def test_statistics_count_reconsiderations_and_appeals_by_outcome(histories) -> None:
    def outcomes(name: str) -> tuple[list[str], list[str]]:
        r = stats.record(case_facts(histories[name]), max(e.at for e in histories[name]))
        return r.reconsideration_outcomes, r.appeal_outcomes

    assert outcomes("stage2-upheld-appeal-allowed") == (["upheld"], ["allowed"])
    assert outcomes("window-lapsed-final-negative") == (["not requested"], ["not lodged"])


def test_a_remitted_stage_is_judged_by_its_new_deadline(histories) -> None:
    found = by_rule(judged(histories["stage1-appeal-remitted"]))
    assert found["stage1_decision.remitted"].status is Status.MET
    assert found["stage1_decision"].status is Status.MET  # the first decision, within its time of referral
    assert (
        found["appeal_lodging"].status is Status.MET and found["final_negative_support"].status is Status.NOT_APPLICABLE
    )
