"""Dates and time zones. "Today" is always somebody's local date, passed in."""

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone


def local_today(tz_name: str, *, now: dt.datetime | None = None) -> dt.date:
    """The calendar date in ``tz_name`` at ``now`` (default: the current instant)."""
    instant = now or timezone.now()
    return instant.astimezone(ZoneInfo(tz_name)).date()


def slot_date(slot: str, tz_name: str) -> dt.date:
    """The local date of a scheduler slot (an ISO instant) in ``tz_name``; today when the
    job was started by hand without a slot. A job re-run for an old slot judges that day,
    never the wall clock's."""
    return local_today(tz_name, now=dt.datetime.fromisoformat(slot) if slot else None)


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
