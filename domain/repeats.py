"""An act repeated under its request id is carried out once, and only the very same act counts as a repeat.

A caller that lost the answer to an act (a dropped connection, a crash) sends it again with the same request id;
the case must not act twice, and must not take a different act under an id already used (a typing slip in a
script, or two authorities deciding at once under one form number) for a repeat of the first. The case keeps
each request id with a fingerprint of the act it was used for (the act's name and its arguments, actor included):
across continue-as-new too, since the ids are part of the state.
"""

from __future__ import annotations

import hashlib
import json

from domain.case import CaseState
from domain.errors import DomainError, InvalidRequest
from domain.requests import ActRequest
from domain.roles import Act

MAX_REMEMBERED_ACTS = 1000  # far more acts than a case sees; bounds what continue-as-new carries


class AlreadyApplied(DomainError):
    """The very same act was carried out earlier under this request id: nothing is done again."""


def fingerprint(act: Act, request: ActRequest) -> str:
    arguments = request.model_dump(mode="json")
    return hashlib.sha256(
        json.dumps({"act": act.value, "arguments": arguments}, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def check_repeat(state: CaseState, act: Act, request: ActRequest) -> None:
    """Raise AlreadyApplied for a repeat of an act carried out, InvalidRequest for another act under a used id."""
    if request.request_id is None or request.request_id not in state.act_ids:
        return
    used_for = state.act_ids[request.request_id]
    if used_for == fingerprint(act, request):
        raise AlreadyApplied(f"request id {request.request_id!r} was carried out already: this repeat changed nothing")
    raise InvalidRequest(
        f"request id {request.request_id!r} was already used for another act in case "
        f"{state.reference}: nothing was done; give this act a request id of its own"
    )


def remember(state: CaseState, act: Act, request: ActRequest) -> None:
    if request.request_id is None:
        return
    state.act_ids[request.request_id] = fingerprint(act, request)
    while len(state.act_ids) > MAX_REMEMBERED_ACTS:
        del state.act_ids[next(iter(state.act_ids))]
