"""Each benchmark runs end to end at N = 5 and writes a well-formed results file (no figure is judged here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]

RUNS = {
    "throughput": [
        "--cases",
        "5",
        "--concurrency",
        "5",
        "--warmup",
        "1",
        "--history-sample",
        "5",
        "--baseline-upserts",
    ],
    "replay": ["--histories", "5", "--concurrency", "5", "--warmup", "1"],
    "scale": ["--open-cases", "5", "--concurrency", "5", "--repeat", "1", "--queries", "2"],
    "cli_latency": ["--runs", "1", "--warmup", "0"],
    "batch": ["--acts", "5", "--concurrency", "5"],
}
SECTIONS = {
    "throughput": {"nrmflow", "baseline", "ratios"},
    "replay": {"nrmflow", "baseline", "audit", "baseline_unsandboxed", "nrm_audit_replay_all", "ratios"},
    "scale": {"worker_peak_rss_bytes", "list_due_within_7d", "list_overdue", "status_query_ms", "digest"},
    "cli_latency": {"trees"},
    "batch": {"nrmflow", "baseline", "ratios"},
}


@pytest.mark.parametrize("bench", sorted(RUNS))
def test_benchmark_completes_and_writes_results(bench: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{bench}", *RUNS[bench], "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [path] = tmp_path.glob(f"{bench}-*.json")
    results = json.loads(path.read_text())
    assert results["benchmark"] == bench
    assert {"machine", "versions", "parameters", "figures", "finished_at"} <= results.keys()
    assert results["versions"]["temporalio"]
    assert SECTIONS[bench] <= results["figures"].keys()
    assert str(path) in done.stdout
    if bench == "throughput":  # --baseline-upserts: the baseline makes as many upserts as its calibration case
        upserts = {
            side: results["figures"][side]["history"]["by_type"]["UPSERT_WORKFLOW_SEARCH_ATTRIBUTES"]
            for side in ("nrmflow", "baseline")
        }
        # a case's first act may share its first workflow task, and one upsert, with the start
        assert upserts["nrmflow"] > 0 and abs(upserts["baseline"] - upserts["nrmflow"]) <= 1, upserts
