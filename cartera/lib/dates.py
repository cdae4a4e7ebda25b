"""Dates and time zones. "Today" is always somebody's local date, passed in."""

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone


def local_today(tz_name: str, *, now: dt.datetime | None = None) -> dt.date:
    """The calendar date in ``tz_name`` at ``now`` (default: the current instant)."""
    instant = now or timezone.now()
    return instant.astimezone(ZoneInfo(tz_name)).date()


def is_valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date in YYYY-MM-DD form: {text!r}") from None
