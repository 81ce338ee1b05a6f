"""The messages a case scheduled (its history) against those the SMTP server received, per Message-ID: which
never came, which came twice (and how far apart), which came without being scheduled."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from faults.histories import Scheduled
from faults.smtp_server import SmtpServer


def smtp_worker_env(server: SmtpServer) -> dict[str, str]:
    """What a worker process needs to notify through `server`."""
    return {
        "NRM_NOTIFY_CHANNEL": "smtp",
        "NRM_SMTP_HOST": "127.0.0.1",
        "NRM_SMTP_PORT": str(server.port),
        "NRM_SMTP_TIMEOUT": "5",
    }


def received_by_key(arrivals: list[tuple[float, EmailMessage]], references: set[str]) -> dict[str, list[float]]:
    """Times of acceptance of each message of these cases, by its key (the X-NRM-Alert header, one per
    Message-ID)."""
    times: dict[str, list[float]] = defaultdict(list)
    for at, message in arrivals:
        if message["X-NRM-Case"] in references:
            times[message["X-NRM-Alert"]].append(at)
    return times


def compare(expected: list[Scheduled], received: dict[str, list[float]]) -> dict[str, Any]:
    """Missing, duplicated and unscheduled messages. A key scheduled twice (a retried delivery activity is one
    schedule) counts once: the case asked for that message, which must arrive once."""
    wanted = {s.key for s in expected}
    duplicates = {key: times for key, times in received.items() if len(times) > 1}
    return {
        "expected": len(wanted),
        "received": sum(len(t) for t in received.values()),
        "missing": sorted(wanted - received.keys()),
        "duplicated": {
            key: {"copies": len(times), "seconds_between": round(times[1] - times[0], 3)}
            for key, times in sorted(duplicates.items())
        },
        "unscheduled": sorted(received.keys() - wanted),
        "scheduled_more_than_once": sorted({s.key for s in expected if sum(x.key == s.key for x in expected) > 1}),
    }


def delays(expected: list[Scheduled], received: dict[str, list[float]]) -> dict[str, float]:
    """Seconds from the scheduling of each message to its first acceptance by the SMTP server."""
    first_scheduled: dict[str, datetime] = {}
    for s in expected:
        first_scheduled.setdefault(s.key, s.scheduled_at)
    return {
        key: round(times[0] - at.timestamp(), 3) for key, at in first_scheduled.items() if (times := received.get(key))
    }


def utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()
