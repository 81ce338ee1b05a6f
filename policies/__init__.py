"""Jurisdiction policy files (TOML), validated by domain.policy. Shipped as package data."""

from pathlib import Path

POLICY_DIR = Path(__file__).parent
