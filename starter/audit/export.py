"""Export case histories as an audit set: `<workflow id>/<run id>.json` per run (Temporal's own history JSON, so
Temporal's tools and any SDK can read them too) and a manifest with the SHA-256 of each file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from temporalio.client import WorkflowHistory

from starter.audit.history import MANIFEST_NAME, AuditError, CaseHistory
from starter.audit.manifest import Manifest, ManifestEntry, sha256_of, write_manifest


def write_history(history: WorkflowHistory, directory: Path, relative: str) -> ManifestEntry:
    """Write one run's history as JSON under `directory` and describe it for the manifest."""
    path = directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(history.to_json() + "\n", encoding="utf-8")
    return ManifestEntry(
        path=relative,
        sha256=sha256_of(path),
        bytes=path.stat().st_size,
        workflow_id=history.workflow_id,
        run_id=history.run_id,
        events=len(history.events),
    )


def prepare(directory: Path) -> None:
    """An audit set goes into a new or empty directory: never mixed with, or written over, another one."""
    if directory.exists() and any(directory.iterdir()):
        held = " (it holds an export)" if (directory / MANIFEST_NAME).exists() else ""
        raise AuditError(f"{directory} is not empty{held}; export into a new or empty directory")
    directory.mkdir(parents=True, exist_ok=True)


async def export(
    cases: AsyncIterator[CaseHistory], directory: Path, *, exported_by: str, source: str
) -> tuple[Manifest, str]:
    """Write every run of every case, then the manifest; returns it and its SHA-256."""
    prepare(directory)
    entries = [
        write_history(run, directory, f"{case.workflow_id}/{run.run_id}.json")
        async for case in cases
        for run in case.runs
    ]
    manifest = Manifest(exported_at=datetime.now(UTC), exported_by=exported_by, source=source, files=entries)
    return manifest, write_manifest(directory, manifest)
