"""Driving acts through faults: each act carries a request id and is sent again (same id) after any error that is
not the case's refusal, so that a crash between the act and its answer shows as `repeated`, never as a second act.
What each caller was told is kept, to compare with what the case recorded."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from domain.status import ActResult
from starter.client import Refused

ATTEMPTS = 8


@dataclass
class Driven:
    """One act as the driver sent it: its request id, the note it carried (reasons, evidence or summary, which
    is how the case's record of it is found) and the answer: applied, repeated, refused or failed."""

    reference: str
    act: str
    request_id: str
    obligation_id: str | None
    answer: str = "not sent"
    attempts: int = 0

    @property
    def note(self) -> str:
        return f"faults: {self.request_id}"


async def drive(act: Driven, call: Callable[[], Awaitable[ActResult]], timeout: float = 60.0) -> ActResult | None:
    """Send `call` until the case answers; its result, or None if it refused or never answered."""
    for attempt in range(1, ATTEMPTS + 1):
        act.attempts = attempt
        try:
            result = await asyncio.wait_for(call(), timeout)
        except Refused as exc:
            act.answer = f"refused: {str(exc)[:120]}"
            return None
        except Exception as exc:  # a crash or outage between the act and its answer: the same id again
            act.answer = f"failed: {type(exc).__name__}"
            await asyncio.sleep(min(2**attempt / 4, 5))
            continue
        act.answer = "repeated" if result.repeated else "applied"
        return result
    return None
