"""Each fault scenario runs end to end at a small size and writes a results file with the counts it promises
(no count or timing is judged here: the scenarios measure defects, and README "Reliability" reports them)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]

RUNS = {
    "kill-worker": ["--cases", "3", "--concurrency", "3", "--kills", "2", "--max-interval", "2", "--provisions", "1"],
    "restart-server": ["--cases", "3", "--stop-after", "1", "--outage", "3", "--watch", "8"],
    "smtp-outage": ["--cases", "2", "--outage", "5"],
    "fuzz-acts": ["--acts", "60", "--cases", "3"],
    "concurrent-decisions": ["--rounds", "4"],
}
COUNTS = {
    "kill-worker": {
        "lost_cases": (),
        "acts": ("lost", "doubled", "never_answered"),
        "messages": ("expected", "missing", "duplicated", "unscheduled"),
        "failed_workflow_tasks": ("events",),
        "kills": (),
    },
    "restart-server": {
        "due_during_outage": ("fired", "never_fired", "late_after_due_seconds", "late_after_server_back_seconds"),
        "due_outside_outage": ("fired", "never_fired"),
        "failed_workflow_tasks": ("events",),
    },
    "smtp-outage": {
        "messages": ("expected", "missing", "duplicated"),
        "delay_seconds": (),
        "reminders": ("expected_by_policy", "scheduled", "short"),
        "failed_workflow_tasks": ("events",),
    },
    "fuzz-acts": {
        "wrongly_accepted": ("count", "by_reason"),
        "refusals_that_wrote_events": ("count", "events"),
        "failed_workflow_tasks": ("events",),
        "unable_afterwards": (),
        "outcomes": (),
    },
    "concurrent-decisions": {
        "not_exactly_one_decision": (),
        "callers_wrongly_told": (),
        "by_mode": (),
        "failed_workflow_tasks": ("events",),
    },
}


@pytest.mark.parametrize("scenario", sorted(RUNS))
def test_scenario_completes_and_writes_its_counts(scenario: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "faults", scenario, *RUNS[scenario], "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [path] = tmp_path.glob(f"{scenario}-*.json")
    results = json.loads(path.read_text())
    assert results["benchmark"] == scenario and results["versions"]["git_commit"]
    figures = results["figures"]
    for count, inner in COUNTS[scenario].items():
        assert count in figures, count
        assert not inner or set(inner) <= figures[count].keys(), (count, figures[count])
    assert str(path) in done.stdout
