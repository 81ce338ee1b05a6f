"""What the rules accept as text, and how input is quoted back in an error.

Every text an act carries has a size limit (README "Input limits"), so that a case's state, which continue-as-new
carries whole as one payload, stays far below the engine's payload limit. A text may not hide what it says:
control characters (other than tab and line breaks), bidirectional overrides and isolates, and byte-order marks
are refused anywhere. A *written* reason is one with at least one letter or digit once invisible characters are
set aside, so that a zero-width space is not a reason. Errors quote input only sanitised and shortened: a caller's
input, which may be personal or hostile, never comes back verbatim.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from pydantic import ValidationError

from domain.errors import InvalidRequest

REASONS_MAX = 4000  # written reasons of a decision or an extension
EVIDENCE_MAX = 2000  # an evidence summary, a note, a reason something was not needed
SUMMARY_MAX = 4000  # an assessment's summary (the full assessment is a document kept elsewhere)
REFERENCE_MAX = 200  # a document's reference
KIND_MAX = 64  # an obligation kind as typed
QUOTE_MAX = 40  # how much of an input an error message quotes

_ALLOWED_CONTROLS = frozenset("\t\n\r")
_HIDING = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # bidirectional embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # bidirectional isolates
    "\ufeff"  # byte-order mark / zero-width no-break space
)


def _hides(ch: str) -> bool:
    return ch in _HIDING or (unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS)


def quote(text: str, limit: int = QUOTE_MAX) -> str:
    """`text` fit to appear in a message: invisible and control characters escaped, at most `limit` characters."""
    shown = "".join(
        f"\\u{ord(ch):04x}" if ch in _HIDING or unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text
    )
    return "'" + (shown if len(shown) <= limit else shown[:limit] + "...") + "'"


def check_text(value: str, field: str, limit: int) -> None:
    """Refuse a text over its limit or holding characters that hide or reorder what it says."""
    if len(value) > limit:
        raise InvalidRequest(
            f"{field} is {len(value):,} characters long; at most {limit:,} are accepted "
            "(keep long documents elsewhere and give their reference)"
        )
    bad = next((ch for ch in value if _hides(ch)), None)
    if bad is not None:
        raise InvalidRequest(
            f"{field} contains a control or direction-changing character (U+{ord(bad):04X}); remove it"
        )


def is_written(value: str) -> bool:
    """At least one letter or digit: whitespace, punctuation alone and invisible characters are not writing."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in value)


def check_written(value: str, field: str, limit: int, what: str) -> None:
    check_text(value, field, limit)
    if not is_written(value):
        needed = "written reasons" if field == "reasons" else f"{field} in writing"
        raise InvalidRequest(f"{what} needs {needed}")


def field_problems(exc: ValidationError) -> str:
    """A pydantic error as `field: problem; ...`, without the values (they may be personal, huge or hostile)."""

    def problem(e: Any) -> str:
        field = ".".join(str(p) for p in e["loc"])
        message = e["msg"].removeprefix("Value error, ")
        return f"{field}: {message}" if field else message

    return "; ".join(problem(e) for e in exc.errors(include_input=False))
