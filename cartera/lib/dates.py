"""Dates and time zones. "Today" is always somebody's local date, passed in."""

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date
from django.utils import timezone, translation


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


# One date style per language for people (pages, e-mails, PDFs, exports' text):
# Spanish "03/12/2026" and "3 de diciembre de 2026"; English "12/03/2026" and
# "December 3, 2026". Babel's CLDR data gives the lowercase Spanish months that
# Django's own DATE_FORMAT ("3 de Diciembre de 2026") does not.
_SHORT_PATTERNS = {"es": "dd/MM/yyyy", "en": "MM/dd/yyyy"}
_BABEL_LOCALES = {"es": "es_MX", "en": "en_US"}


def _language_key(language: str | None) -> str:
    code = (language or translation.get_language() or "es-mx").lower()
    return "en" if code.startswith("en") else "es"


def babel_locale(language: str | None = None) -> str:
    """The CLDR locale of people's formats in ``language`` (default: the active one):
    ``es_MX`` or ``en_US``; shared by the dates here and ``money.format_money``."""
    return _BABEL_LOCALES[_language_key(language)]


def spreadsheet_date_format(language: str | None = None) -> str:
    """The short date as a spreadsheet number format (XLSX date cells): ``dd/mm/yyyy``
    (es) or ``mm/dd/yyyy`` (en); the cell itself holds a real date."""
    return _SHORT_PATTERNS[_language_key(language)].replace("MM", "mm")


def short_date(value: dt.date | None, language: str | None = None) -> str:
    """``03/12/2026`` (es) or ``12/03/2026`` (en); "" for None. A datetime is shown as
    its date in the active time zone."""
    if value is None or value == "":
        return ""
    return _short(_as_date(value), _language_key(language))


@lru_cache(maxsize=1024)
def _short(day: dt.date, key: str) -> str:
    """Remembered: a bulk run (the daily accrual's timeline, exports) formats the same
    few dates thousands of times, and babel's pattern formatting is slow."""
    return format_date(day, _SHORT_PATTERNS[key], locale=_BABEL_LOCALES[key])


def long_date(value: dt.date | None, language: str | None = None) -> str:
    """``3 de diciembre de 2026`` (es) or ``December 3, 2026`` (en); "" for None."""
    if value is None or value == "":
        return ""
    key = _language_key(language)
    return format_date(_as_date(value), "long", locale=_BABEL_LOCALES[key])


def month_label(value: dt.date, language: str | None = None) -> str:
    """A month on a chart's axis: ``dic 2026`` (es) or ``Dec 2026`` (en)."""
    key = _language_key(language)
    return format_date(_as_date(value), "LLL yyyy", locale=_BABEL_LOCALES[key])


def weekday_name(value: dt.date, language: str | None = None) -> str:
    """``jueves`` (es) or ``Thursday`` (en)."""
    key = _language_key(language)
    return format_date(_as_date(value), "EEEE", locale=_BABEL_LOCALES[key])


def _as_date(value) -> dt.date:
    if isinstance(value, str):
        return parse_iso_date(value[:10])
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value
