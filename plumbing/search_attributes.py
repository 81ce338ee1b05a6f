"""Search attributes: only non-identifying facts, registered when the dev server starts (`nrm up`) or by
`nrm setup` on a cluster. The worker and `nrm case open` check that the namespace has them all (`require`), so that
no case can wedge on a missing one."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from temporalio.api.common.v1 import SearchAttributes
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.converter import default as default_converter

from domain.case import Obligation
from plumbing.connection import Unavailable

STAGE = SearchAttributeKey.for_keyword("NrmStage")
JURISDICTION = SearchAttributeKey.for_keyword("NrmJurisdiction")
IS_CHILD = SearchAttributeKey.for_bool("NrmIsChild")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NrmNextDeadline")
NEXT_DEADLINE_KIND = SearchAttributeKey.for_keyword("NrmNextDeadlineKind")
BREACH_COUNT = SearchAttributeKey.for_int("NrmBreachCount")
# Every open obligation as "kind@due" (UTC ISO time): kinds and times only, so the coordinators' digest lists
# each overdue or soon-due obligation from one visibility query, without decrypting any case.
OPEN_DEADLINES = SearchAttributeKey.for_keyword_list("NrmOpenDeadlines")

# What a negative decision left pending (domain.status.pending_phase): reconsideration_window, reconsideration,
# appeal_window or appeal; unset when nothing is.
PENDING = SearchAttributeKey.for_keyword("NrmPending")
# The life of the case besides its stage (domain.status.life): missing, or suspended (an adult missing for the
# policy's period); unset otherwise.
LIFE = SearchAttributeKey.for_keyword("NrmLife")
ALL = (STAGE, JURISDICTION, IS_CHILD, NEXT_DEADLINE, NEXT_DEADLINE_KIND, BREACH_COUNT, OPEN_DEADLINES, PENDING, LIFE)

_CLI_TYPES = {
    "TEXT": "Text",
    "KEYWORD": "Keyword",
    "INT": "Int",
    "DOUBLE": "Double",
    "BOOL": "Bool",
    "DATETIME": "Datetime",
    "KEYWORD_LIST": "KeywordList",
}
# the proto's IndexedValueType numbers, as the operator service lists them (the SDK's enum has the same values)
_TYPE_NAMES = {1: "Text", 2: "Keyword", 3: "Int", 4: "Double", 5: "Bool", 6: "Datetime", 7: "KeywordList"}


def type_name(key: SearchAttributeKey[Any]) -> str:
    """The type as Temporal's tools spell it: Keyword, KeywordList, Datetime..."""
    return _CLI_TYPES[key.indexed_value_type.name]


@dataclass(frozen=True)
class Conflict:
    """An attribute the namespace has under nrmflow's name with another type."""

    name: str
    wanted: str
    found: str

    def __str__(self) -> str:
        return f"{self.name} is {self.found} there, nrmflow needs {self.wanted}"


@dataclass(frozen=True)
class Check:
    """What a namespace lacks of nrmflow's search attributes."""

    namespace: str
    missing: tuple[SearchAttributeKey[Any], ...]
    conflicts: tuple[Conflict, ...]

    @property
    def ok(self) -> bool:
        return not self.missing and not self.conflicts

    def conflict_message(self) -> str:
        return (
            f"namespace {self.namespace} has search attributes of the wrong type: "
            + "; ".join(str(c) for c in self.conflicts)
            + " (a search attribute's type cannot change: remove it or use another namespace)"
        )

    def message(self) -> str:
        """One line naming what is missing (or of the wrong type) and what to do."""
        if self.conflicts:
            return self.conflict_message()
        names = ", ".join(f"{k.name} ({type_name(k)})" for k in self.missing)
        return (
            f"namespace {self.namespace} lacks nrmflow's search attributes {names}: run `nrm setup` "
            "(on Temporal Cloud `nrm setup --cloud`)"
        )


async def namespace_attributes(client: Client) -> dict[str, str]:
    """The namespace's custom search attributes, name -> type name."""
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    return {name: _TYPE_NAMES.get(int(kind), str(kind)) for name, kind in listed.custom_attributes.items()}


def compare(namespace: str, existing: dict[str, str]) -> Check:
    missing = tuple(k for k in ALL if k.name not in existing)
    conflicts = tuple(
        Conflict(k.name, type_name(k), existing[k.name])
        for k in ALL
        if k.name in existing and existing[k.name] != type_name(k)
    )
    return Check(namespace, missing, conflicts)


async def check(client: Client) -> Check:
    return compare(client.namespace, await namespace_attributes(client))


_checked: weakref.WeakSet[Client] = weakref.WeakSet()  # clients whose namespace was found complete


async def require(client: Client) -> None:
    """Raise Unavailable, one line naming what is missing, unless the namespace has every attribute nrmflow needs
    with its type. A success is remembered for the client: a namespace does not lose its attributes."""
    if client in _checked:
        return
    found = await check(client)
    if not found.ok:
        raise Unavailable(found.message())
    _checked.add(client)


def open_deadline_entries(obligations: Iterable[Obligation]) -> list[str]:
    return sorted(f"{o.kind.value}@{o.due_at.isoformat()}" for o in obligations)


def parse_open_deadlines(entries: Sequence[str] | None) -> list[tuple[str, datetime]]:
    """The (kind, due) pairs of an NrmOpenDeadlines value, soonest first."""
    pairs = [(kind, datetime.fromisoformat(due)) for kind, _, due in (e.partition("@") for e in entries or ())]
    return sorted(pairs, key=lambda p: p[1])


def upserted_open_deadlines(attributes: SearchAttributes) -> list[tuple[str, datetime]] | None:
    """The open deadlines that one upsert of a case's search attributes set (empty when it unset them), or None
    when it left them as they were: the history's record of every deadline the case set, moved or closed."""
    if OPEN_DEADLINES.name not in attributes.indexed_fields:
        return None
    value = default_converter().payload_converter.from_payload(attributes.indexed_fields[OPEN_DEADLINES.name])
    return parse_open_deadlines(value if isinstance(value, list) else None)


def dev_server_flags() -> list[str]:
    """`--search-attribute NAME=Type` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={type_name(key)}"]
    return flags
