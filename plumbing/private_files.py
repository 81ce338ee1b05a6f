"""Files that hold secrets (payload keys, the codec server token, actors' signing keys): written owner-only from
the moment they exist, and refused when group or others could read them, since each of them opens every case."""

from __future__ import annotations

import os
from pathlib import Path


class PrivateFileError(Exception):
    """A secret file that is missing, malformed or readable by someone other than its owner."""


def read_private(path: Path, *, missing_hint: str) -> str:
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        raise PrivateFileError(f"{path} does not exist; {missing_hint}") from None
    if mode & 0o077:
        raise PrivateFileError(
            f"{path} is readable by group or others (mode {mode:o}); restrict it with `chmod 600 {path}`"
        )
    return path.read_text(encoding="utf-8")


def write_private(path: Path, text: str, *, replace: bool) -> None:
    """Write atomically (a reader sees the old or the new file, never half of one), owner-only from creation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not replace and path.exists():
        raise PrivateFileError(f"{path} already exists; it was left unchanged")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
