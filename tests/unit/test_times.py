"""Durations and UTC times as the CLI, the case view, the audit and the letters write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.errors import InvalidRequest
from domain.text import quote
from domain.times import as_utc, measured, parse_bound, parse_duration, spoken, utc, utc_seconds


@pytest.mark.parametrize(
    "text, span",
    [
        ("7d", timedelta(days=7)),
        ("48h", timedelta(hours=48)),
        ("30m", timedelta(minutes=30)),
        ("90s", timedelta(seconds=90)),
        ("2w", timedelta(weeks=2)),
        ("P30D", timedelta(days=30)),
        ("PT36H", timedelta(hours=36)),
        (" 5d ", timedelta(days=5)),
    ],
)
def test_durations_are_read_short_or_iso(text: str, span: timedelta) -> None:
    assert parse_duration(text) == span


def test_a_bad_duration_is_quoted_short_and_on_one_line() -> None:
    with pytest.raises(InvalidRequest, match=r"^'30x' is not a duration \(use e.g. 7d, 48h, 30m or P30D\)$"):
        parse_duration("30x")
    with pytest.raises(InvalidRequest) as caught:
        parse_duration("x" * 100 + "\n")
    assert str(caught.value).startswith("'" + "x" * 40 + "...' is not a duration")
    assert quote("a\tb\x1bc") == "'a\\u0009b\\u001bc'"


@pytest.mark.parametrize(
    "span, words",
    [
        (timedelta(hours=48), "48 hours"),
        (timedelta(days=5), "5 days"),
        (timedelta(days=90), "90 days"),
        (timedelta(hours=72), "72 hours"),
        (timedelta(hours=100), "100 hours"),
        (timedelta(minutes=30), "1800 seconds"),
    ],
)
def test_durations_are_spoken_of_as_deadlines_are(span: timedelta, words: str) -> None:
    assert spoken(span) == words


@pytest.mark.parametrize(
    "span, words",
    [
        (timedelta(seconds=12), "12.0 s"),
        (timedelta(minutes=40), "40.0 min"),
        (timedelta(seconds=90), "1.5 min"),
        (timedelta(hours=30.5), "30.5 h"),
        (timedelta(days=4.2), "4.2 days"),
        (-timedelta(hours=5), "-5.0 h"),
    ],
)
def test_delays_are_measured(span: timedelta, words: str) -> None:
    assert measured(span) == words


def test_times_are_shown_in_utc() -> None:
    moment = datetime(2026, 11, 20, 12, 30, 5, tzinfo=timezone(timedelta(hours=2)))
    assert utc(moment) == "2026-11-20 10:30 UTC" and utc(moment.isoformat()) == "2026-11-20 10:30 UTC"
    assert utc_seconds(moment) == "2026-11-20 10:30:05" and utc(None) == "-"
    assert as_utc(datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=UTC)


def test_period_bounds_take_whole_days_or_times() -> None:
    assert parse_bound("2026-01-31", end=False) == datetime(2026, 1, 31, tzinfo=UTC)
    assert parse_bound("2026-01-31", end=True) == datetime(2026, 2, 1, tzinfo=UTC)
    assert parse_bound("2026-01-31T10:00:00+01:00", end=True) == datetime(2026, 1, 31, 9, tzinfo=UTC)
    with pytest.raises(InvalidRequest, match=r"^'soon' is not a date"):
        parse_bound("soon", end=False)
