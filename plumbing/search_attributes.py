"""Search attributes: only non-identifying facts, registered when the dev server starts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from temporalio.common import SearchAttributeKey

from domain.case import Obligation

STAGE = SearchAttributeKey.for_keyword("NrmStage")
JURISDICTION = SearchAttributeKey.for_keyword("NrmJurisdiction")
IS_CHILD = SearchAttributeKey.for_bool("NrmIsChild")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NrmNextDeadline")
NEXT_DEADLINE_KIND = SearchAttributeKey.for_keyword("NrmNextDeadlineKind")
BREACH_COUNT = SearchAttributeKey.for_int("NrmBreachCount")
# Every open obligation as "kind@due" (UTC ISO time): kinds and times only, so the coordinators' digest lists
# each overdue or soon-due obligation from one visibility query, without decrypting any case.
OPEN_DEADLINES = SearchAttributeKey.for_keyword_list("NrmOpenDeadlines")

ALL = (STAGE, JURISDICTION, IS_CHILD, NEXT_DEADLINE, NEXT_DEADLINE_KIND, BREACH_COUNT, OPEN_DEADLINES)

_CLI_TYPES = {"KEYWORD": "Keyword", "BOOL": "Bool", "DATETIME": "Datetime", "INT": "Int", "KEYWORD_LIST": "KeywordList"}


def open_deadline_entries(obligations: Iterable[Obligation]) -> list[str]:
    return sorted(f"{o.kind.value}@{o.due_at.isoformat()}" for o in obligations)


def parse_open_deadlines(entries: Sequence[str] | None) -> list[tuple[str, datetime]]:
    """The (kind, due) pairs of an NrmOpenDeadlines value, soonest first."""
    pairs = [(kind, datetime.fromisoformat(due)) for kind, _, due in (e.partition("@") for e in entries or ())]
    return sorted(pairs, key=lambda p: p[1])


def dev_server_flags() -> list[str]:
    """`--search-attribute NAME=Type` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPES[key.indexed_value_type.name]}"]
    return flags
