"""The log allow-list: personal data never reaches a log line, whether logged by the project or by a library."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from pydantic import ValidationError

from domain.errors import InvalidRequest
from domain.referral import Referral
from plumbing.logs import configure_logging

SENTINEL = "Zyxwv Sentinel-Name 1a2b"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("json", "DEBUG")
    buffer = io.StringIO()
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    try:
        yield buffer
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        structlog.reset_defaults()


def test_fields_off_the_allow_list_are_masked_in_project_and_library_records(log_lines: io.StringIO) -> None:
    structlog.get_logger("nrm.test").info("case opened", case="NRM-AAAA-BBBB", name=SENTINEL)
    logging.getLogger("temporalio.worker").warning(
        "sdk record", extra={"person": SENTINEL, "temporal_workflow": {"workflow_id": "case-x", "input": SENTINEL}}
    )
    first, second = (json.loads(line) for line in log_lines.getvalue().splitlines())
    assert first["event"] == "case opened" and first["case"] == "NRM-AAAA-BBBB" and first["name"] == "[withheld]"
    assert "person" not in second and second["event"] == "sdk record"
    assert second["temporal_workflow"] == {"workflow_id": "case-x", "input": "[withheld]"}
    assert SENTINEL not in log_lines.getvalue()


def test_exceptions_keep_project_messages_and_withhold_library_messages(log_lines: io.StringIO) -> None:
    log = structlog.get_logger("nrm.test")
    with pytest.raises(ValidationError) as caught:
        Referral.model_validate(
            {
                "first_responder_id": "fr-1",
                "detected_on": "2026-01-01",
                "cross_border": True,
                "consent_to_referral": True,
                "person": {"name": SENTINEL, "shoe": SENTINEL},
            }
        )
    assert SENTINEL in str(caught.value)  # what pydantic would have put in the log
    try:
        raise caught.value
    except ValidationError:
        logging.getLogger("temporalio.worker").exception("failed")
    try:
        raise InvalidRequest("an R&R extension needs written reasons")
    except InvalidRequest:
        log.exception("refused", case="NRM-AAAA-BBBB")
    text = log_lines.getvalue()
    assert SENTINEL not in text
    library, project = (json.loads(line)["exception"] for line in text.splitlines())
    assert "pydantic_core._pydantic_core.ValidationError: [withheld]" in library
    assert "domain.errors.InvalidRequest: an R&R extension needs written reasons" in project
