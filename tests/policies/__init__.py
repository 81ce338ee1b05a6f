"""The seconds-scale test policies: fast.toml, and variants of it written where a test needs one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

FAST = Path(__file__).with_name("fast.toml")


def panel_confirming(directory: Path) -> str:
    """fast.toml where the review panel confirms every negative Stage 2 before it is issued (the UK's panel)."""
    text = FAST.read_text(encoding="utf-8")
    text = text.replace('name = "fast"', 'name = "fast-panel"').replace(
        "[appeals]\n", "[appeals]\npanel_confirms = [2]\n"
    )
    path = directory / "fast-panel.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def with_permits(directory: Path) -> str:
    """fast.toml with residence permits tracked on a seconds scale: decided within 6 s, valid at least 20 s,
    renewal reminders 12 s and 6 s before expiry."""
    text = FAST.read_text(encoding="utf-8").replace('name = "fast"', 'name = "fast-permits"')
    text += (
        '\n[permits]\nissue_within = "PT6S"\ninterim_within = "PT6S"\nmin_duration = "PT20S"\n'
        'interim_min_duration = "PT20S"\nrenewal_reminders = ["PT12S", "PT6S"]\n'
    )
    path = directory / "fast-permits.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def with_returns(directory: Path) -> str:
    """fast.toml with voluntary returns on a seconds scale: the risk assessment and the plan within 8 s, check-ins
    every 6 s, then every 10 s, for at least 20 s."""
    text = FAST.read_text(encoding="utf-8").replace('name = "fast"', 'name = "fast-returns"')
    text += (
        '\n[returns]\nassessment_within = "PT8S"\nplan_within = "PT8S"\ncheck_in_every = ["PT6S", "PT10S"]\n'
        'monitoring_at_least = "PT20S"\n'
    )
    path = directory / "fast-returns.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def stage2_own_limit(directory: Path) -> str:
    """fast.toml where Stage 2 has a limit of its own (14 s) beyond the 8 s R&R period, as coe-minimum has."""
    text = FAST.read_text(encoding="utf-8").replace('name = "fast"', 'name = "fast-stage2-limit"')
    text = text.replace("[stage2]\n", '[stage2]\ndue_after = "PT14S"\n')
    path = directory / "fast-stage2-limit.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def coming_of_age(directory: Path, born: date, of_age: datetime, support_for: timedelta) -> str:
    """fast.toml where a person born on `born` comes of age at `of_age` (the exact instant: not counted by month),
    owes a transition plan 4 s before, and has child-level support for `support_for` after it."""

    def age(at: datetime) -> str:
        span = at - datetime(born.year, born.month, born.day, tzinfo=UTC)
        return f"P{span.days}DT{span.seconds}S"

    text = FAST.read_text(encoding="utf-8").replace('name = "fast"', 'name = "fast-coming-of-age"')
    text = text.replace(
        "[age]\n",
        f'[age]\nmajority = "{age(of_age)}"\nchild_support_until = "{age(of_age + support_for)}"\n'
        'transition_plan_before = "PT4S"\ncounted_by_month = false\n',
    )
    path = directory / "fast-coming-of-age.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)
