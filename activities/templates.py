"""Messages from jinja2 templates, one set per language under activities/templates/<lang>/, English fallback.

Each template sets `subject` at its top (`{% set subject %}...{% endset %}`) and its output is the body. Words
that recur (obligation kinds, roles, rights) live in `<lang>/labels.toml`. Undefined names fail loudly
(StrictUndefined): a template that refers to a missing key is an error, never a blank in a letter.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from domain.times import utc

TEMPLATE_DIR = Path(__file__).parent / "templates"
FALLBACK = "en"
NAMES = (
    "reminder",
    "escalation",
    "decision_letter",
    "permit_letter",
    "return_letter",
    "assessment_request",
    "delivery_failure",
    "case_event",
    "digest",
)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    language: str


@cache
def languages() -> list[str]:
    """The languages shipped: one folder each (read once: templates ship with the code)."""
    return sorted(p.name for p in TEMPLATE_DIR.iterdir() if p.is_dir())


@cache
def _shipped(lang: str, name: str) -> bool:
    return (TEMPLATE_DIR / lang / f"{name}.txt").exists()


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )  # no stat of the file at every message: templates ship with the code
    env.filters["utc"] = utc
    return env


@cache
def labels(language: str) -> dict[str, dict[str, str]]:
    """The language's labels over the English ones, so a partly translated language still reads."""
    merged: dict[str, dict[str, str]] = {}
    for lang in dict.fromkeys([FALLBACK, language]):
        path = TEMPLATE_DIR / lang / "labels.toml"
        if path.exists():
            for section, values in tomllib.loads(path.read_text(encoding="utf-8")).items():
                merged.setdefault(section, {}).update(values)
    return merged


def resolve_language(language: str) -> str:
    """`ro-MD` -> `ro` -> English: the most specific shipped language."""
    shipped = languages()
    for candidate in (language, language.split("-")[0]):
        if candidate in shipped:
            return candidate
    return FALLBACK


def render(name: str, language: str, context: dict[str, Any]) -> Rendered:
    lang = resolve_language(language)
    if not _shipped(lang, name):
        lang = FALLBACK
    template = _environment().get_template(f"{lang}/{name}.txt")
    module = template.make_module({**labels(lang), **context})
    subject = str(getattr(module, "subject"))  # noqa: B009 (set by the template itself, not known to the type)
    return Rendered(subject=" ".join(subject.split()), body=str(module), language=lang)
