"""The fuzzer's oracle (faults.fuzz_inputs): what an act must be refused for follows the payload it finally sends."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.roles import Act
from faults.fuzz_inputs import TEXT_LIMIT, UPDATES, Case, Draw, materialize

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
PENDING = Case("NRM-0000-0001", "stage1_pending")
PRESUMED = Case("NRM-0000-0001", "presumed_victim")
CONFIRMED = Case("NRM-0000-0001", "confirmed_victim")


def attempt(act: str, *mutations: tuple[str, object], case: Case = PENDING, positive: bool = True):  # type: ignore[no-untyped-def]
    return materialize(Draw(act, "client", "valid", list(mutations), positive), case, False, NOW)


def test_a_later_mutation_of_the_same_field_replaces_the_earlier_ones_reason() -> None:
    # extend_rr has one text field: both mutations set its reasons, and only the last one is sent
    overwritten = attempt("extend_rr", ("huge_text", TEXT_LIMIT + 1), ("arbitrary_text", "x"), case=PRESUMED)
    assert overwritten.payload["reasons"] == "x" and overwritten.must_refuse == []
    kept = attempt("extend_rr", ("arbitrary_text", "x"), ("huge_text", TEXT_LIMIT + 1), case=PRESUMED)
    assert kept.must_refuse == [f"text over {TEXT_LIMIT} characters"]


def test_the_role_judged_is_the_one_the_act_is_finally_signed_by() -> None:
    assert (
        attempt("stage1_decision", ("wrong_role", "auditor"), ("wrong_role", "competent_authority")).must_refuse == []
    )
    assert attempt("stage1_decision", ("wrong_role", "competent_authority"), ("wrong_role", "auditor")).must_refuse == [
        "role not allowed"
    ]


def test_a_removed_field_takes_the_reasons_of_what_was_inside_it() -> None:
    # the result's summary was made huge, then the whole result removed: refused for the missing result only
    draw = attempt("record_assessment", ("huge_text", TEXT_LIMIT + 1), ("missing_field", 2))
    assert draw.must_refuse == ["missing result"]


def test_the_challenge_and_permit_acts_are_fuzzed_and_need_their_stages() -> None:
    assert {"request_reconsideration", "record_review", "lodge_appeal", "record_judgment", "permit_decision"} <= set(
        UPDATES
    )
    assert set(UPDATES) <= {a.value for a in Act}
    assert attempt("lodge_appeal").must_refuse == ["wrong stage"]
    assert attempt("lodge_appeal", case=Case("NRM-0000-0001", "stage1_negative")).must_refuse == []
    assert attempt("permit_decision", case=CONFIRMED).must_refuse == []
    far = attempt("permit_decision", ("absurd_date", "9999-12-31T23:59:59+00:00"), case=CONFIRMED)
    assert far.must_refuse == ["date out of range"]
