"""Policy files: the shipped ones carry DOMAIN.md's values; a broken one is an error naming file and field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from domain.errors import PolicyError
from domain.policy import list_policies, load_policy, parse_policy
from domain.roles import Role
from policies import POLICY_DIR

VALID = """
name = "test"
version = "1"
title = "a test policy"
jurisdiction = "test"

[stage1]
delegated_to_first_responders = false
due_adult = "P5D"
due_child = "PT48H"

[rr]
period = "P90D"
auto_extension_step = "P30D"

[reminders]
at_fractions = [0.5, 0.9]

[escalation]
to_role = "coordinator"
"""


def broken(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


def test_the_template_itself_is_valid() -> None:
    policy = parse_policy(VALID, source="t.toml")
    assert policy.label == "test@1"
    assert len(policy.source_sha256) == 64


def test_osce_model_carries_the_handbook_values() -> None:
    policy = load_policy("osce-model", POLICY_DIR)
    assert policy.stage1.due_adult == timedelta(days=5)
    assert policy.stage1.due_child == timedelta(hours=48)
    assert policy.rr.period == timedelta(days=90)
    assert policy.stage1.delegated_to_first_responders
    assert policy.escalation.to_role is Role.COORDINATOR
    assert policy.reminders.at_fractions == (0.5, 0.9)


def test_coe_minimum_has_a_30_day_rr_period() -> None:
    policy = load_policy("coe-minimum", POLICY_DIR)
    assert policy.rr.period == timedelta(days=30)
    assert policy.stage1.due_adult == timedelta(days=5)
    assert policy.stage1.due_child == timedelta(hours=48)
    assert not policy.stage1.delegated_to_first_responders


def test_both_shipped_policies_are_listed() -> None:
    assert [p.name for p in list_policies(POLICY_DIR)] == ["coe-minimum", "osce-model"]


def test_a_policy_is_also_found_by_path_and_hashed_by_content(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(VALID)
    first = load_policy(str(path), POLICY_DIR)
    path.write_text(VALID + "\n# an edit\n")
    assert load_policy(str(path), POLICY_DIR).source_sha256 != first.source_sha256


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'due_adult = "P5D"',
            'due_adult = "PT0S"',
            "t.toml: stage1.due_adult: Value error, must be a positive duration",
        ),
        (
            'due_child = "PT48H"',
            'due_child = "-PT1H"',
            "t.toml: stage1.due_child: Value error, must be a positive duration",
        ),
        ('period = "P90D"', 'period = "PT0S"', "t.toml: rr.period: Value error, must be a positive duration"),
        (
            'auto_extension_step = "P30D"',
            'auto_extension_step = "-P1D"',
            "t.toml: rr.auto_extension_step: Value error, must be a positive duration",
        ),
        (
            'due_child = "PT48H"',
            'due_child = "P6D"',
            "t.toml: stage1: Value error, due_child must not be longer than due_adult (children are identified faster)",
        ),
        (
            'period = "P90D"',
            'period = "P5D"',
            "t.toml: (top level): Value error, rr.period must be longer than stage1.due_adult"
            " (Stage 2 cannot fall due before Stage 1)",
        ),
        (
            "[0.5, 0.9]",
            "[0.5, 1.0]",
            "t.toml: reminders.at_fractions: Value error, each fraction must be strictly between 0 and 1",
        ),
        (
            "[0.5, 0.9]",
            "[0.0, 0.5]",
            "t.toml: reminders.at_fractions: Value error, each fraction must be strictly between 0 and 1",
        ),
        (
            "[0.5, 0.9]",
            "[0.9, 0.5]",
            "t.toml: reminders.at_fractions: Value error, fractions must be strictly increasing",
        ),
        (
            "[0.5, 0.9]",
            "[0.5, 0.5]",
            "t.toml: reminders.at_fractions: Value error, fractions must be strictly increasing",
        ),
        ("[rr]", "[rr]\nperiod_days = 90", "t.toml: rr.period_days: Extra inputs are not permitted"),
        (
            'title = "a test policy"',
            'titel = "typo"',
            "t.toml: title: Field required; titel: Extra inputs are not permitted",
        ),
        (
            'to_role = "coordinator"',
            'to_role = "mayor"',
            "t.toml: escalation.to_role: Input should be 'first_responder', 'competent_authority', 'coordinator',"
            " 'auditor', 'support_provider', 'child_protection', 'guardian_advocate', 'legal_representative'"
            ", 'review_panel', 'immigration_authority' or 'receiving_support_provider'",
        ),
        (
            'due_adult = "P5D"',
            'due_adult = "five days"',
            "t.toml: stage1.due_adult: Input should be a valid timedelta, invalid digit in duration",
        ),
    ],
)
def test_a_broken_field_is_named_in_the_error(old: str, new: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(broken(old, new), source="t.toml")
    assert str(caught.value) == message


def test_bad_toml_is_reported_with_the_file() -> None:
    with pytest.raises(PolicyError, match=r"^t\.toml: not valid TOML: .*line 2"):
        parse_policy(broken('name = "test"', 'name = "test'), source="t.toml")


def test_a_missing_policy_lists_the_available_ones(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy("uk", POLICY_DIR)
    assert str(caught.value) == (
        f"no policy 'uk' (looked for {POLICY_DIR / 'uk.toml'}); policies available: coe-minimum, osce-model"
    )
    with pytest.raises(PolicyError, match=r"policies available: none$"):
        load_policy("uk", tmp_path)
