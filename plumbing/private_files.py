"""Files that hold secrets (payload keys, the codec server token, actors' signing keys): written owner-only from
the moment they exist, and refused when anyone outside the file's owner and group could read them, or anyone but
its owner could change them, since each of them opens every case.

The rule for reading: no permission bit for others, and none to write for the group. A group-read bit is accepted
because container platforms mount secrets that way (Kubernetes `defaultMode: 0440` with an `fsGroup`, a Docker
secret with `mode: 0440`): the file's group is the service's, a boundary the platform draws. World-readable
(the platforms' default 0444/0644) is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

ALLOWED_MODE = 0o740  # owner anything, group read at most, others nothing


class PrivateFileError(Exception):
    """A secret file that is missing, malformed or readable by someone outside its owner and group."""


def read_private(path: Path, *, missing_hint: str) -> str:
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        raise PrivateFileError(f"{path} does not exist; {missing_hint}") from None
    if mode & ~ALLOWED_MODE:
        raise PrivateFileError(
            f"{path} is readable by others or writable by its group (mode {mode:o}); restrict it with "
            f"`chmod 600 {path}` (or 440 for a secret its group reads)"
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
