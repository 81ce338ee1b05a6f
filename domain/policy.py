"""Jurisdiction policies: the durations and delegations of DOMAIN.md section 2 and 7, as validated data.

A case carries the whole policy it started under (name, version and the SHA-256 of the file), so a later edit
of the file never changes a running case and an audit replays the rules that applied.
"""

from __future__ import annotations

import hashlib
import tomllib
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domain.errors import PolicyError
from domain.roles import Role


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be a positive duration")
    return value


class Stage1Rules(_Section):
    delegated_to_first_responders: bool
    due_adult: timedelta
    due_child: timedelta

    _check = field_validator("due_adult", "due_child")(_positive)

    @model_validator(mode="after")
    def _child_not_slower(self) -> Stage1Rules:
        if self.due_child > self.due_adult:
            raise ValueError("due_child must not be longer than due_adult (children are identified faster)")
        return self


class RecoveryReflectionRules(_Section):
    period: timedelta
    auto_extension_step: timedelta

    _check = field_validator("period", "auto_extension_step")(_positive)


class ReminderRules(_Section):
    """Reminders at fractions of each obligation's window (0.5 = half-way from its start to its due time)."""

    at_fractions: tuple[float, ...] = Field(min_length=0)

    @field_validator("at_fractions")
    @classmethod
    def _fractions_in_order(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < f < 1 for f in value):
            raise ValueError("each fraction must be strictly between 0 and 1")
        if list(value) != sorted(set(value)):
            raise ValueError("fractions must be strictly increasing")
        return value


class EscalationRules(_Section):
    to_role: Role


class Policy(BaseModel):
    """One jurisdiction's rules. Stage 2 is due at the end of the R&R period that a positive Stage 1 opens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    title: str
    jurisdiction: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    stage1: Stage1Rules
    rr: RecoveryReflectionRules
    reminders: ReminderRules
    escalation: EscalationRules
    source_sha256: str = ""

    @model_validator(mode="after")
    def _stage2_after_stage1(self) -> Policy:
        if self.rr.period <= self.stage1.due_adult:
            raise ValueError(
                "rr.period must be longer than stage1.due_adult (Stage 2 cannot fall due before Stage 1)"
            )
        return self

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def parse_policy(text: str, *, source: str) -> Policy:
    """Validate policy TOML text; `source` names the file in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None
    data["source_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_field_path(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise PolicyError(f"{source}: {problems}") from None


def policy_path(name_or_path: str, directory: Path) -> Path:
    """A policy is named (`osce-model`, found in `directory`) or given as a path to a .toml file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml":
        return candidate
    return directory / f"{name_or_path}.toml"


def load_policy(name_or_path: str, directory: Path) -> Policy:
    path = policy_path(name_or_path, directory)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        known = ", ".join(sorted(p.stem for p in directory.glob("*.toml"))) or "none"
        raise PolicyError(f"no policy {name_or_path!r} (looked for {path}); policies available: {known}") from None
    return parse_policy(text, source=str(path))


def list_policies(directory: Path) -> list[Policy]:
    return [load_policy(str(p), directory) for p in sorted(directory.glob("*.toml"))]
