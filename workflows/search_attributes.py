"""Search attributes: only non-identifying facts, registered when the dev server starts."""

from temporalio.common import SearchAttributeKey

STAGE = SearchAttributeKey.for_keyword("NrmStage")
JURISDICTION = SearchAttributeKey.for_keyword("NrmJurisdiction")
IS_CHILD = SearchAttributeKey.for_bool("NrmIsChild")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NrmNextDeadline")
NEXT_DEADLINE_KIND = SearchAttributeKey.for_keyword("NrmNextDeadlineKind")
BREACH_COUNT = SearchAttributeKey.for_int("NrmBreachCount")

ALL = (STAGE, JURISDICTION, IS_CHILD, NEXT_DEADLINE, NEXT_DEADLINE_KIND, BREACH_COUNT)

_CLI_TYPES = {"KEYWORD": "Keyword", "BOOL": "Bool", "DATETIME": "Datetime", "INT": "Int"}


def dev_server_flags() -> list[str]:
    """`--search-attribute NAME=Type` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPES[key.indexed_value_type.name]}"]
    return flags
