"""The TEST-ONLY payload key that the stored histories beside this file are encrypted with. It protects nothing
(it is public in the repository) and is used for nothing but generating and replaying these histories."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from plumbing.settings import Settings

HERE = Path(__file__).parent
CASES = HERE / "cases"  # the stored histories and their manifest
TEST_ONLY_KEY = HERE / "TEST-ONLY-key.json"


def settings_with_test_only_key(home: Path, **overrides: object) -> Settings:
    """Settings reading a private (0600) copy of the test-only key: a clone checks the file out readable by all,
    which the key ring rightly refuses."""
    copy = home / "TEST-ONLY-key.json"
    shutil.copyfile(TEST_ONLY_KEY, copy)
    os.chmod(copy, 0o600)
    return Settings(_env_file=None, home=home, key_file=copy, **overrides)
