"""The manifest of an exported audit set: the SHA-256 of every history file, so the set can be handed over and
proven unaltered. Hand the manifest's own SHA-256 over separately (it is printed by export and verify): then
altering a file and its manifest line together is caught too."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from starter.audit.history import MANIFEST_NAME, AuditError

FORMAT = "nrmflow-audit-export/1"


class ManifestEntry(BaseModel):
    path: str  # relative to the set's directory, with '/'
    sha256: str
    bytes: int
    workflow_id: str
    run_id: str
    events: int


class Manifest(BaseModel):
    format: str = FORMAT
    exported_at: datetime
    exported_by: str
    source: str
    files: list[ManifestEntry]


class Verification(BaseModel):
    directory: str
    manifest_sha256: str
    files_checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(directory: Path, manifest: Manifest) -> str:
    """Write `manifest.json`; returns its SHA-256."""
    path = directory / MANIFEST_NAME
    path.write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return sha256_of(path)


def verify(directory: Path, expected_manifest_sha256: str | None = None) -> Verification:
    """Check every file the manifest lists (present, same size, same SHA-256) and that no file was added."""
    path = directory / MANIFEST_NAME
    try:
        manifest = Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuditError(f"{directory} has no {MANIFEST_NAME}: it is not an exported audit set") from None
    except ValidationError as exc:
        raise AuditError(f"{path} is not a valid manifest ({exc.error_count()} problem(s))") from None
    problems: list[str] = []
    manifest_sha = sha256_of(path)
    if expected_manifest_sha256 and manifest_sha != expected_manifest_sha256.lower():
        problems.append(
            f"{MANIFEST_NAME}: SHA-256 {manifest_sha} is not the one handed over ({expected_manifest_sha256})"
        )
    for entry in manifest.files:
        file = directory / entry.path
        if not file.is_file():
            problems.append(f"{entry.path}: missing")
            continue
        actual = sha256_of(file)
        if actual != entry.sha256:
            problems.append(f"{entry.path}: SHA-256 mismatch (manifest {entry.sha256}, file {actual})")
    listed = {e.path for e in manifest.files} | {MANIFEST_NAME}
    problems += [
        f"{p.relative_to(directory).as_posix()}: not in the manifest"
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.relative_to(directory).as_posix() not in listed
    ]
    return Verification(
        directory=str(directory), manifest_sha256=manifest_sha, files_checked=len(manifest.files), problems=problems
    )
