"""The stored histories (tests/histories/cases) replay with the current CaseWorkflow; a workflow changed without
`workflow.patched()` does not. No server: the Replayer reads the files, decrypting with the test-only key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.converter import DataConverter

from plumbing.connection import data_converter
from starter.audit.history import load_path
from starter.audit.manifest import Manifest, verify
from starter.audit.replay import replay
from tests.histories.generate import PATHS as GENERATED
from tests.histories.testkey import CASES, settings_with_test_only_key
from tests.replay.variants import CaseWorkflowReadingTheClock, CaseWorkflowWithoutReminders

PATHS = set(GENERATED)  # every path the generator drives has its stored history, and no other is stored


@pytest.fixture(scope="module")
def converter(tmp_path_factory: pytest.TempPathFactory) -> DataConverter:
    return data_converter(settings_with_test_only_key(tmp_path_factory.mktemp("replay")))


def test_the_stored_set_is_complete_and_unaltered() -> None:
    result = verify(CASES)
    assert result.ok, result.problems
    manifest = Manifest.model_validate_json((CASES / "manifest.json").read_text())
    assert {Path(entry.path).stem for entry in manifest.files} == PATHS


# as the audit replays (no sandbox) and as the worker runs the code (in the sandbox, which also fails a task whose
# code reads the clock, random or the environment)
RUNNERS = pytest.mark.parametrize("sandboxed", [False, True], ids=["as-the-audit", "in-the-sandbox"])


@RUNNERS
async def test_every_stored_history_replays_with_the_current_workflow(
    converter: DataConverter, sandboxed: bool
) -> None:
    outcomes = [o async for o in replay(load_path(CASES), converter, sandboxed=sandboxed)]
    assert len(outcomes) == len(PATHS)
    assert [o for o in outcomes if not o.faithful] == []


@RUNNERS
async def test_a_workflow_changed_without_a_patch_fails_replay_with_a_clear_divergence(
    converter: DataConverter, sandboxed: bool
) -> None:
    variant = [CaseWorkflowWithoutReminders]
    outcomes = {o.workflow_id: o async for o in replay(load_path(CASES), converter, variant, sandboxed=sandboxed)}
    diverged = [o for o in outcomes.values() if not o.faithful]
    assert len(diverged) >= 3  # every path in which a reminder timer ran
    for o in diverged:
        # the SDK names a command it did not expect, or a timer whose cancellation meets the history's firing
        found = "Nondeterminism" in o.divergence or "Fatal error in workflow machines" in o.divergence
        assert found and "Timer" in o.divergence, o.divergence
        assert "\n" not in o.divergence


async def test_code_that_reads_the_clock_fails_in_the_sandbox_only(converter: DataConverter) -> None:
    """The guard the audit's replay leaves to the worker and to this sandboxed replay: the commands are the same,
    so only the sandbox refuses the clock read (README "Replay for auditors without the sandbox")."""
    variant = [CaseWorkflowReadingTheClock]
    audit = [o async for o in replay(load_path(CASES), converter, variant)]
    sandboxed = [o async for o in replay(load_path(CASES), converter, variant, sandboxed=True)]
    assert [o for o in audit if not o.faithful] == []
    assert len(sandboxed) == len(PATHS)
    for o in sandboxed:
        assert o.divergence == "the workflow code raised RestrictedWorkflowAccessError on replay", o.divergence


def test_the_cli_replays_exported_files_without_a_server(tmp_path: Path) -> None:
    """TEMPORAL_ADDRESS points nowhere: replaying files needs no server."""
    settings = settings_with_test_only_key(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NRM_", "TEMPORAL_"))}
    env |= {"NRM_KEY_FILE": str(settings.key_path), "NRM_ACTOR": "auditor:au-1", "TEMPORAL_ADDRESS": "127.0.0.1:9"}
    done = subprocess.run(
        [sys.executable, "-c", "from starter.cli import main; main()", "audit", "replay", "--from-file", str(CASES)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("faithful") == len(PATHS)
