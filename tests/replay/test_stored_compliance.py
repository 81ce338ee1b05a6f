"""Compliance, timeline and statistics computed from the stored histories, judged as each history ends: the
breaches and delays of each scripted path are known, so the results are exact (no server, no waiting)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.converter import DataConverter

from starter.audit import compliance, stats, timeline
from starter.audit.compliance import Status
from starter.audit.facts import case_facts
from starter.audit.history import AuditEvent, TimerEvent, decode_case, load_path
from plumbing.connection import data_converter
from tests.histories.testkey import CASES, settings_with_test_only_key

STEP = timedelta(seconds=6)   # tests/policies/fast.toml: rr.auto_extension_step


NAMES = ("rr-auto-extension", "manual-extension", "negative-stage1", "child-positive", "provisions-and-assessment")
# the same paths stored once timers carried no summary: the audit names them from NrmOpenDeadlines
RR = ("rr-auto-extension", "rr-auto-extension-no-summaries")
PROVISIONS = ("provisions-and-assessment", "provisions-and-assessment-no-summaries")
PROVIDED = {"nrm_referral", "accommodation", "needs_risks_assessment"}   # given, not needed, assessed


@pytest.fixture(scope="module")
async def histories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[AuditEvent]]:
    converter: DataConverter = data_converter(settings_with_test_only_key(tmp_path_factory.mktemp("stored")))
    return {name: await decode_case(load_path(CASES / f"{name}.json")[0], converter)
            for name in dict.fromkeys(NAMES + RR + PROVISIONS)}


def judged(events: list[AuditEvent], after: timedelta = timedelta(0)) -> compliance.CaseCompliance:
    """As the history ends, or `after` that (past the grace an alert or extension in progress gets)."""
    return compliance.evaluate_history(events, max(e.at for e in events) + after)


def by_rule(result: compliance.CaseCompliance) -> dict[str, compliance.Finding]:
    return {f.rule: f for f in result.findings}


@pytest.mark.parametrize("name", RR)
def test_a_lapsed_rr_period_is_a_stage2_breach_and_its_automatic_extensions_are_proven(histories, name) -> None:
    found = by_rule(judged(histories[name]))
    stage2 = found["stage2_decision"]
    assert stage2.status is Status.BREACHED
    assert STEP <= stage2.delay < 2 * STEP     # decided just after the second lapse, one step after the first
    assert found["rr_extended_not_lapsed"].status is Status.MET
    assert "2 time(s)" in found["rr_extended_not_lapsed"].detail
    assert found["stage2_decision.escalation"].status is Status.MET
    assert found["stage2_decision.reminders"].status is Status.MET
    assert found["stage1_decision"].status is Status.MET


def test_a_recorded_extension_moves_the_stage2_deadline(histories) -> None:
    result = judged(histories["manual-extension"])
    assert result.breaches == []
    assert "due moved 1 time(s)" in by_rule(result)["stage2_decision"].detail


def test_a_negative_stage1_ends_the_deadlines(histories) -> None:
    found = by_rule(judged(histories["negative-stage1"]))
    assert found["stage1_decision"].status is Status.MET
    assert found["stage2_decision"].status is Status.NOT_APPLICABLE
    assert found["rr_extended_not_lapsed"].status is Status.NOT_APPLICABLE


@pytest.mark.parametrize("name", PROVISIONS)
def test_unmet_provisions_are_breaches_and_escalated_while_the_given_ones_are_met(histories, name) -> None:
    result = judged(histories[name])
    found = by_rule(result)
    owed = {f.rule for f in result.findings if "." not in f.rule} - {"stage1_decision", "stage2_decision",
                                                                     "rr_extended_not_lapsed"}
    assert len(owed) == 9 and PROVIDED <= owed                  # the adult list of tests/policies/fast.toml
    for kind in PROVIDED:
        assert found[kind].status is Status.MET, kind
    assert found["needs_risks_assessment.review"].status is Status.PENDING
    for kind in owed - PROVIDED:
        assert found[kind].status is Status.BREACHED and found[kind].done_at is None, kind
        assert found[f"{kind}.reminders"].status is found[f"{kind}.escalation"].status is Status.MET, kind
    assert {b.rule for b in result.breaches} == owed - PROVIDED


@pytest.mark.parametrize("name", RR)
def test_an_rr_period_without_the_extension_in_the_history_is_reported_as_lapsed(histories, name) -> None:
    """A workflow bug that let the R&R period lapse cannot hide: drop the case's own extension timers."""
    history = histories[name]
    second_extension = history[0].at + timedelta(seconds=12)
    events = [e for e in history if not (isinstance(e, TimerEvent) and e.what == "started"
                                         and (e.kinds, e.purpose) == (("stage2_decision",), "due") and e.at > second_extension)]
    found = by_rule(judged(events, after=compliance.GRACE))
    assert found["rr_extended_not_lapsed"].status is Status.BREACHED
    assert "no extension" in found["rr_extended_not_lapsed"].detail


def test_the_child_timeline_states_that_refused_acts_are_absent(histories) -> None:
    tl = timeline.build(histories["child-positive"], runs=1, prepared_by="auditor:au-1",
                        prepared_at=max(e.at for e in histories["child-positive"]))
    assert tl.child and timeline.REFUSED_NOTE in tl.notes
    events = [e.event for e in tl.entries]
    assert events[0] == "case opened" and "Stage 1 decision" in events and "Stage 2 decision" in events
    for fmt in timeline.Format:
        assert "absent by design" in timeline.render(tl, fmt)


def test_statistics_suppress_small_cells_and_their_complement(histories) -> None:
    records = [stats.record(case_facts(histories[name]), max(e.at for e in histories[name])) for name in NAMES
               if name != "provisions-and-assessment"]
    result = stats.tabulate(records, period_from=min(histories[n][0].at for n in NAMES),
                            period_to=max(histories[n][-1].at for n in NAMES), min_cell=2)
    age = next(t for t in result.tables if t.dimension == "age_group")
    assert age.cells == {"adult": None, "child": None}   # child 1 < 2, and adult 3 would give it away
    assert result.persons == 4


async def test_a_local_activity_marker_reads_as_an_activity_that_ran_and_completed(tmp_path) -> None:
    converter = data_converter(settings_with_test_only_key(tmp_path))
    events = await decode_case(load_path(CASES / "actor-directory-local.json")[0], converter)
    tl = timeline.build(events, runs=1, prepared_by="auditor:au-1", prepared_at=max(e.at for e in events))
    loads = [(e.event, e.summary) for e in tl.entries if "load_actor_directory" in (e.event + e.summary)]
    assert len(loads) == 4  # at the start and on the reload: each scheduled and completed
    assert sum("completed" in event for event, _ in loads) == 2


@pytest.mark.parametrize("name", [RR[1], PROVISIONS[1]])
def test_due_timers_without_summaries_are_named_from_the_deadlines_the_case_published(histories, name) -> None:
    """Timers recorded without summaries: every due timer gets its obligation's kind (or, where several kinds fell
    due at one instant, the list of them), each escalation is for a due timer that fired, and the Stage 2 due timers
    (the first and one per automatic extension) are named exactly; reminders are left unnamed, never guessed."""
    events = histories[name]
    timers = [e for e in events if isinstance(e, TimerEvent)]
    due = [t for t in timers if t.purpose == "due"]
    assert due and all(t.kinds for t in due)
    assert {t.kinds for t in timers if t.purpose == "reminder"} == {()}
    fired = {kind for t in due if t.what == "fired" for kind in t.kinds}
    escalations = [a.obligation_kind for a in case_facts(events).alerts if a.kind == "escalation"]
    assert escalations and set(escalations) <= fired
    lapses = escalations.count("stage2_decision")    # each R&R end with Stage 2 pending extends it: one more timer
    assert sum(t.what == "started" and t.kinds == ("stage2_decision",) for t in due) == 1 + lapses
    tl = timeline.build(events, runs=1, prepared_by="auditor:au-1", prepared_at=max(e.at for e in events))
    assert any(e.event == "deadline set" and e.summary.startswith("stage2 decision due at") for e in tl.entries)
    if name in PROVISIONS:   # shared at one instant, each provision's timer is settled by the act that closed it
        cancelled = {e.summary.split(" due at ")[0] for e in tl.entries if e.event == "timer cancelled"}
        assert {kind.replace("_", " ") for kind in PROVIDED} <= cancelled
        assert any(e.event == "deadline set" and e.summary.endswith("; 6 such timers") for e in tl.entries)
