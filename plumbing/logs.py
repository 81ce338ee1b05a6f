"""structlog set-up shared by the CLI and the worker: console in development, JSON in production.

Standard-library records (the Temporal SDK's, and `workflow.logger`'s replay-safe ones) are rendered by the same
processors, so every line carries the same fields. Only references, kinds and stages are ever logged, and the last
processor before rendering enforces it: a field that is not on the allow-list is masked (dropped from a library's
record), and an exception keeps its type and traceback but not its message unless the project raised it
(third-party messages, pydantic's among them, may quote the input they failed on; the project's own never do).
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger
from temporalio import activity, workflow

_SHARED: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


ALLOWED_FIELDS = frozenset(
    {
        "event",
        "level",
        "logger",
        "timestamp",
        "exception",
        "case",
        "stage",
        "deadline",
        "alert",
        "kind",
        "key",
        "channel",
        "obligation",
        "act",
        "role",
        "actor",
        "key_id",
        "workflow_id",
        "run_id",
        "activity_id",
        "attempt",
        "task_queue",
        "namespace",
        "address",
        "path",
        "port",
        "revision",
        "temporal_workflow",
        "temporal_activity",
    }
)
# the SDK's context on its workflow and activity records (extra={"temporal_workflow": {...}})
ALLOWED_TEMPORAL_FIELDS = frozenset(
    {
        "workflow_type",
        "workflow_id",
        "run_id",
        "namespace",
        "task_queue",
        "attempt",
        "activity_type",
        "activity_id",
        "update_id",
        "update_name",
        "signal_name",
        "query_name",
    }
)
MASK = "[withheld]"
_PROJECT_MODULES = ("domain.", "plumbing.", "starter.", "workflows.", "activities.", "worker")


_FORMATTER_META = frozenset({"_record", "_from_structlog"})


def keep_allowed_fields(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Mask the project's fields off the allow-list, drop a library's; render exceptions without library messages."""
    from_library = event_dict.get("_from_structlog") is False
    kept: dict[str, Any] = {}
    for key, value in event_dict.items():
        if key == "exc_info":
            kept["exception"] = describe_exception(value)
        elif key in _FORMATTER_META:
            kept[key] = value
        elif key not in ALLOWED_FIELDS:
            if not from_library:
                kept[key] = MASK
        elif key.startswith("temporal_") and isinstance(value, dict):
            kept[key] = {k: (v if k in ALLOWED_TEMPORAL_FIELDS else MASK) for k, v in value.items()}
        else:
            kept[key] = value
    return kept


def describe_exception(exc_info: Any) -> str:
    """Traceback of the exception chain, each message shown only if the project's own code raised it."""
    if exc_info is True:
        exc_info = sys.exc_info()
    exc = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    if not isinstance(exc, BaseException):
        return MASK
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    parts = []
    for e in reversed(chain):
        name = f"{type(e).__module__}.{type(e).__qualname__}"
        message = str(e) if type(e).__module__.startswith(_PROJECT_MODULES) else MASK
        parts.append("".join(traceback.format_tb(e.__traceback__)) + f"{name}: {message}")
    return "\n\nwhich led to:\n".join(parts)


def configure_logging(fmt: str = "console", level: str = "INFO") -> None:
    renderer = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_SHARED,
            processors=[keep_allowed_fields, structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # the SDK's loggers put the same workflow/activity ids in `extra` (kept as fields): not again in the message
    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False
