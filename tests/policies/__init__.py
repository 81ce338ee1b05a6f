"""The seconds-scale test policies: fast.toml, and variants of it written where a test needs one."""

from __future__ import annotations

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
