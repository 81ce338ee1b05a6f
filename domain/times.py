"""Durations and UTC times as people write and read them: `7d` or `P30D` in, `48 hours` or `5 days` out, and
every time shown in UTC. The CLI, the case view, the audit and the letters use these, so they all agree."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from pydantic import TypeAdapter, ValidationError

from domain.errors import InvalidRequest
from domain.text import quote

_SHORT = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_ISO = TypeAdapter(timedelta)


def parse_duration(text: str) -> timedelta:
    """`7d`, `48h`, `30m`, `90s`, `2w`, or an ISO 8601 duration such as `P30D`."""
    if m := _SHORT.match(text.strip()):
        return timedelta(**{_UNITS[m[2]]: int(m[1])})
    try:
        return _ISO.validate_python(text)
    except ValidationError:
        raise InvalidRequest(f"{quote(text)} is not a duration (use e.g. 7d, 48h, 30m or P30D)") from None


def spoken(span: timedelta) -> str:
    """48 hours, 5 days, 90 days: the way deadlines are spoken of."""
    hours = span.total_seconds() / 3600
    if hours < 1:
        return f"{span.total_seconds():g} seconds"
    return f"{hours:g} hours" if hours <= 72 or hours % 24 else f"{hours / 24:g} days"


def measured(span: timedelta) -> str:
    """How late or early something was: 12.0 s, 1.5 min, 30.5 h, 4.2 days (never rounded to a whole other unit)."""
    seconds = span.total_seconds()
    if abs(seconds) < 60:
        return f"{seconds:.1f} s"
    if abs(seconds) < 3 * 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h" if abs(seconds) < 3 * 86400 else f"{seconds / 86400:.1f} days"


def as_utc(moment: datetime) -> datetime:
    """A time given without a zone is UTC; one with a zone is the same instant in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_bound(text: str, *, end: bool) -> datetime:
    """A date (the whole day, so an end includes it) or an ISO date-time (UTC unless it says otherwise)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return moment + timedelta(days=1) if end else moment
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        raise InvalidRequest(f"{quote(text)} is not a date (YYYY-MM-DD) or a date-time (YYYY-MM-DDTHH:MM:SS)") from None


def utc(moment: datetime | str | None) -> str:
    """`2026-11-20 10:00 UTC`, as cases and letters show times (`-` for none)."""
    return "-" if moment is None else f"{_instant(moment):%Y-%m-%d %H:%M} UTC"


def utc_seconds(moment: datetime | str | None) -> str:
    """`2026-11-20 10:00:00`, as the audit's tables show times to the second (their headings say UTC)."""
    return "-" if moment is None else f"{_instant(moment):%Y-%m-%d %H:%M:%S}"


def _instant(moment: datetime | str) -> datetime:
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return when if when.tzinfo is None else when.astimezone(UTC)


_AGE = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def check_age(text: str) -> str:
    """An age as an ISO 8601 duration counted on the calendar from a birth date: `P18Y`, `P21Y`, `P17Y6M`."""
    if text == "P" or not _AGE.match(text) or text.endswith("T"):
        raise ValueError(f"{text!r} is not an age (an ISO 8601 duration such as P18Y)")
    return text


def aged(born: date, age: str, *, to_month: bool) -> datetime:
    """The instant a person born on `born` (at 00:00 UTC) reaches `age`: years and months on the calendar (the
    29th of February's day, when it does not exist, is the 1st of March: never earlier), then days and time.
    `to_month` counts it from the first day of the following month instead (unless it falls on a 1st at 00:00),
    so that the timers set by it show no more than a month and a year of birth."""
    m = _AGE.match(check_age(age))
    assert m is not None
    years, months, days, hours, minutes, seconds = (int(g or 0) for g in m.groups())
    month_index = born.month - 1 + months
    year, month = born.year + years + month_index // 12, month_index % 12 + 1
    try:
        day = date(year, month, born.day)
    except ValueError:  # no such day in that month
        day = date(year + month // 12, month % 12 + 1, 1)
    reached = datetime(day.year, day.month, day.day, tzinfo=UTC)
    reached += timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if to_month and (reached.day, reached.time()) != (1, datetime.min.time()):
        reached = datetime(reached.year + reached.month // 12, reached.month % 12 + 1, 1, tzinfo=UTC)
    return reached
