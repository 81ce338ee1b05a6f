"""Compliance, timeline and statistics computed from the stored histories, judged as each history ends: the
breaches and delays of each scripted path are known, so the results are exact (no server, no waiting)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from itertools import pairwise

import pytest
from temporalio.converter import DataConverter

from plumbing.connection import data_converter
from starter.audit import compliance, stats, timeline
from starter.audit.compliance import Status
from starter.audit.facts import case_facts
from starter.audit.history import AuditEvent, DeadlinesPublished, TimerEvent, decode_case, load_path
from tests.histories.testkey import CASES, settings_with_test_only_key

STEP = timedelta(seconds=6)  # tests/policies/fast.toml: rr.auto_extension_step


NAMES = ("rr-auto-extension", "manual-extension", "negative-stage1", "child-positive", "provisions-and-assessment")
CHALLENGES = (
    "stage2-upheld-appeal-allowed",
    "window-lapsed-final-negative",
    "stage1-appeal-remitted",
    "stage2-panel-confirmed",
)
PERMITS = "permits-interim-residence-renewal"
RETURN = "return-stopped-then-departed-monitored"
AGE_CHALLENGED = "age-adult-challenged-overturned"
AGE_FINAL = "age-dispute-inconclusive-then-adult"
PERMIT_CHALLENGED = "permit-refused-overturned-granted"
PROVIDED = {"nrm_referral", "accommodation", "needs_risks_assessment"}  # given, not needed, assessed


@pytest.fixture(scope="module")
async def histories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[AuditEvent]]:
    converter: DataConverter = data_converter(settings_with_test_only_key(tmp_path_factory.mktemp("stored")))
    names = (*NAMES, *CHALLENGES, PERMITS, RETURN, AGE_CHALLENGED, AGE_FINAL, PERMIT_CHALLENGED)
    return {name: await decode_case(load_path(CASES / f"{name}.json")[0], converter) for name in names}


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
    """A workflow bug that let the R&R period lapse cannot hide: drop the Stage 2 deadline the case published for
    its second automatic extension."""
    history = histories["rr-auto-extension"]
    second_extension = history[0].at + timedelta(seconds=12)
    events = [
        replace(e, deadlines=tuple(d for d in e.deadlines if d[0] != "stage2_decision"))
        if isinstance(e, DeadlinesPublished) and e.at > second_extension
        else e
        for e in history
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


def test_every_alarm_and_deadline_names_what_it_is_for(histories) -> None:
    """The case keeps one alarm at a time, each named by the obligation and purpose it was set for; every
    escalation is for a deadline that passed; the Stage 2 deadline is published anew for each automatic extension;
    and the timeline says so."""
    for name, events in histories.items():
        timers = [e for e in events if isinstance(e, TimerEvent)]
        assert all(t.obligation and t.purpose in ("due", "reminder") for t in timers), name
        running = 0
        for t in timers:
            running += 1 if t.what == "started" else -1
            assert running <= 1, f"{name}: two alarms at once"
        facts = case_facts(events)
        end = max(e.at for e in events)
        passed = {d.kind for d in facts.deadlines if d.passed_by(end)}
        escalations = [a.obligation_kind for a in facts.alerts if a.kind == "escalation"]
        assert set(escalations) <= passed, name
    events = histories["rr-auto-extension"]
    facts = case_facts(events)
    lapses = [a.obligation_kind for a in facts.alerts if a.kind == "escalation"].count("stage2_decision")
    stage2 = facts.deadlines_of("stage2_decision")
    assert lapses == 2 and len(stage2) == 1 + lapses
    assert [b.due - a.due for a, b in pairwise(stage2)] == [STEP, STEP]
    tl = timeline.build(events, runs=1, prepared_by="auditor:au-1", prepared_at=max(e.at for e in events))
    assert any(e.event == "deadline set" and e.summary.startswith("stage2 decision due at") for e in tl.entries)
    assert sum(e.event == "deadline moved after it passed" for e in tl.entries) == lapses
    assert any(e.event == "alarm set" and e.summary.startswith("stage2 decision reminder at") for e in tl.entries)
    assert any(e.event == "deadline passed" and e.summary.startswith("stage2 decision") for e in tl.entries)


def test_an_alarm_moves_when_the_duty_it_waits_for_is_done(histories) -> None:
    events = histories["provisions-and-assessment"]
    tl = timeline.build(events, runs=1, prepared_by="auditor:au-1", prepared_at=max(e.at for e in events))
    assert any(e.event == "alarm moved" for e in tl.entries)
    timers = [e for e in events if isinstance(e, TimerEvent)]
    assert sum(t.what == "canceled" for t in timers) < sum(t.what == "fired" for t in timers)


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


def test_statistics_count_permits_by_type_and_grounds(histories) -> None:
    events = histories[PERMITS]
    record = stats.record(case_facts(events), max(e.at for e in events))
    assert record.permits == ["interim granted: personal_situation", "residence granted: personal_situation", "renewed"]
    other = histories["window-lapsed-final-negative"]
    assert stats.record(case_facts(other), max(e.at for e in other)).permits == ["none"]


def test_statistics_count_returns_by_outcome(histories) -> None:
    events = histories[RETURN]
    assert stats.record(case_facts(events), max(e.at for e in events)).returns == ["departed"]
    other = histories[PERMITS]
    assert stats.record(case_facts(other), max(e.at for e in other)).returns == ["none"]


def test_a_remitted_stage_is_judged_by_its_new_deadline(histories) -> None:
    found = by_rule(judged(histories["stage1-appeal-remitted"]))
    assert found["stage1_decision.remitted"].status is Status.MET
    assert found["stage1_decision"].status is Status.MET  # the first decision, within its time of referral
    assert (
        found["appeal_lodging"].status is Status.MET and found["final_negative_support"].status is Status.NOT_APPLICABLE
    )


def test_a_provisional_negative_is_judged_from_when_the_panel_confirmed_it(histories) -> None:
    events = histories["stage2-panel-confirmed"]
    found = by_rule(judged(events))
    assert found["reconsideration_review"].status is Status.MET  # the panel's confirmation, in time
    window = found["reconsideration_request"]  # opened by the confirmation, then closed unused
    assert window.status is Status.BREACHED and "confirmed by the review panel" in window.detail
    assert found["appeal_lodging"].status is Status.NOT_APPLICABLE  # a confirmation opens no appeal window


def test_permits_are_judged_by_their_own_rules(histories) -> None:
    """The interim permit owed when Stage 2 fell overdue, the residence permit after the positive Stage 2 (which
    supersedes it), and the renewal reminded at the policy's times before expiry, then renewed."""
    found = by_rule(judged(histories[PERMITS]))
    assert found["interim_permit"].status is Status.MET
    assert found["residence_permit"].status is Status.MET
    assert found["permit_renewal.interim"].status is Status.MET  # superseded by the residence permit
    assert found["permit_renewal.residence"].status is Status.PENDING  # renewed: the next expiry is minutes away
    reminders = found["permit_renewal.residence.reminders"]
    assert reminders.status is Status.MET and reminders.detail.startswith("2 of 2 reminder(s) sent")
    assert "12 seconds, 6 seconds before the permit expires" in reminders.deadline
    assert found["stage2_decision"].status is Status.BREACHED  # the lapse that owed the interim permit


def test_a_return_stopped_by_a_hold_at_its_planned_time_is_no_breach_and_a_missed_check_in_is(histories) -> None:
    result = judged(histories[RETURN])
    departures = [f for f in result.findings if f.rule == "return_departure"]
    assert [f.status for f in departures] == [Status.MET, Status.MET]
    assert departures[0].detail.startswith("stopped at its time by a hold")
    check_ins = [f for f in result.findings if f.rule == "reintegration_check_in"]
    assert [f.status for f in check_ins] == [Status.MET, Status.BREACHED]
    found = by_rule(result)
    assert found["pre_return_risk_assessment"].status is Status.MET and found["return_plan"].status is Status.MET
    assert found["reintegration_check_in.escalation"].status is Status.MET


def test_an_adult_age_finding_challenged_is_judged_by_its_own_rules_and_owes_no_handover_once_overturned(
    histories,
) -> None:
    events = histories[AGE_CHALLENGED]
    found = by_rule(judged(events))
    assert found["reconsideration_request.age"].status is Status.MET  # the guardian advocate asked in time
    assert found["reconsideration_review.age"].status is Status.MET
    assert found["reconsideration_request"].status is Status.NOT_APPLICABLE  # no identification decision challenged
    assert "advocate_handover" not in found  # overturned: a child, no handover owed
    facts = case_facts(events)
    assert stats.record(facts, max(e.at for e in events)).adult_age_findings == ["challenged: overturned"]
    entries = timeline.build(events, runs=1, prepared_by="auditor:au-1", prepared_at=max(e.at for e in events))
    assert any("of the age assessment's adult finding" in e.summary for e in entries.entries)


def test_an_adult_finding_whose_window_closes_unused_owes_the_handover_from_then(histories) -> None:
    events = histories[AGE_FINAL]
    found = by_rule(judged(events))
    window = found["reconsideration_request.age"]
    assert window.status is Status.BREACHED  # nobody asked: the window closed unused, and the finding is final
    handover = found["advocate_handover"]
    assert handover.due_at is not None and window.due_at is not None
    assert handover.due_at - window.due_at == timedelta(seconds=8)  # fast.toml age.handover_due, from the window's end
    facts = case_facts(events)
    assert stats.record(facts, max(e.at for e in events)).adult_age_findings == ["not challenged"]


def test_a_permit_refusal_overturned_owes_the_permit_again_and_the_grant_meets_it(histories) -> None:
    events = histories[PERMIT_CHALLENGED]
    found = by_rule(judged(events))
    assert found["reconsideration_request.permit"].status is Status.MET
    assert found["reconsideration_review.permit"].status is Status.MET
    assert found["residence_permit"].status is Status.MET  # decided (refused) in time
    assert found["residence_permit.owed_again"].status is Status.MET  # granted within the limit after the review
    assert found["permit_renewal.residence"].status is Status.PENDING  # the permit granted is renewed before expiry
    facts = case_facts(events)
    record = stats.record(facts, max(e.at for e in events))
    assert record.permit_refusals == ["challenged: overturned"]
    assert record.reconsideration_outcomes == ["not requested"]  # the identification decisions were not challenged
