"""Payload conversion that refuses a malformed act with a message naming its fields.

An act sent past the client library (raw through a Temporal client) may carry arguments that do not decode: wrong
types, a naive datetime, a payload encrypted with a key this worker lacks, or ciphertext that does not verify. The
SDK would answer "Failed decoding arguments" and name nothing, or, for a payload the codec cannot decrypt, fail the
workflow task and write to the case's history. Here an act's arguments that do not decode are refused as the act
itself (an Update refusal writes nothing) with the fields and the reason, never the values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, PydanticPayloadConverter
from temporalio.exceptions import ApplicationError

from domain.requests import ActRequest
from domain.text import field_problems

UNDECODABLE = b"binary/undecodable"  # the worker's codec marks a payload it cannot decrypt with this encoding
REASON = "nrm-reason"
INVALID_ACT = "InvalidRequest"  # the refusal's type, as the rules' own refusals have


def undecodable(reason: str) -> Payload:
    return Payload(metadata={"encoding": UNDECODABLE, REASON: reason.encode()})


# One JSON converter for the process, so one cache of pydantic's type adapters: the SDK makes a payload converter for
# every workflow run it starts or replays, and building an adapter (a model's schema) costs more than decoding an act.
_JSON = PydanticJSONPlainPayloadConverter()


class ActPayloadConverter(PydanticPayloadConverter):
    def __init__(self) -> None:
        super().__init__()
        self.converters = {**self.converters, _JSON.encoding.encode(): _JSON}

    def from_payloads(self, payloads: Sequence[Payload], type_hints: list[type] | None = None) -> list[Any]:
        act = next((h for h in type_hints or () if isinstance(h, type) and issubclass(h, ActRequest)), None)
        marked = next((p for p in payloads if p.metadata.get("encoding") == UNDECODABLE), None)
        if marked is not None:
            reason = marked.metadata[REASON].decode()
            if act is None:
                raise RuntimeError(reason)
            raise ApplicationError(
                f"the act's arguments could not be read: {reason}", type=INVALID_ACT, non_retryable=True
            )
        try:
            return super().from_payloads(payloads, type_hints)
        except Exception as exc:
            if act is None:
                raise
            cause: BaseException | None = exc
            while cause is not None and not isinstance(cause, ValidationError):
                cause = cause.__cause__ or cause.__context__
            detail = field_problems(cause) if isinstance(cause, ValidationError) else "not a valid JSON object"
            raise ApplicationError(
                f"invalid arguments for this act: {detail}", type=INVALID_ACT, non_retryable=True
            ) from None
