"""Contact policy: when a message may be sent and how many, in the debtor's time zone.

The strategy gives a window, weekdays, a weekly cap and whether national holidays are
skipped; the organisation's legal floors per country (consumer debtors) are applied on
top and can only make the policy stricter:

- Mexico (consumers; CONDUSEF 2014): 07:00–22:00 any day; the debtor only, no third
  parties.
- Chile (consumers; Ley 19.496 art. 37 after Ley 21.320): Monday–Saturday 08:00–20:00,
  at most 2 non-call contacts per 7 days across channels, at least 2 days apart.
- Colombia (Ley 2300 de 2023, strictest reading): Monday–Friday 07:00–19:00, Saturday
  08:00–15:00, never on Sundays or holidays, at most one contact a day and one channel a
  week (so one contact a week); the debtor only.
- Peru (Ley 29571 art. 62): Monday–Friday 07:00–20:00, never on holidays.
- Argentina (Ley 24.240 art. 8 bis; CABA Ley 6171): the debtor only; Monday–Friday
  09:00–19:00 and Saturday 10:00–14:00 as a conservative preset (unverified: docs/contact-policy.md).

Sources and readings: docs/contact-policy.md.

Quiet hours never skip a message: ``next_allowed_moment`` moves it to the next
allowed instant (walking local calendar days, so DST changes are handled by zoneinfo).
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HOLIDAY_COUNTRIES = {"MX", "CL", "AR", "CO", "PE"}


def _floor(label, window, weekdays, **rules) -> dict:
    return {
        "window": window,
        "weekdays": weekdays,
        "label": label,
        "max_per_7_days": rules.get("max_per_7_days"),
        "min_days_apart": rules.get("min_days_apart", 0),
        "saturday_window": rules.get("saturday_window"),
        "max_per_day": rules.get("max_per_day", 0),
        "channels_per_7_days": rules.get("channels_per_7_days", 0),
        "all_channels_per_7_days": rules.get("all_channels_per_7_days", 0),
        "skip_holidays": rules.get("skip_holidays", False),
        "debtor_only": rules.get("debtor_only", False),
    }


def _hours(start: int, end: int) -> tuple[dt.time, dt.time]:
    return dt.time(start, 0), dt.time(end, 0)


LEGAL_FLOORS = {
    "MX": _floor("MX-consumidor", _hours(7, 22), WEEKDAYS, debtor_only=True),
    "CL": _floor(
        "CL-consumidor",
        _hours(8, 20),
        WEEKDAYS[:6],
        max_per_7_days=2,
        min_days_apart=2,
        all_channels_per_7_days=2,
    ),
    "CO": _floor(
        "CO-ley-2300",
        _hours(7, 19),
        WEEKDAYS[:6],
        saturday_window=_hours(8, 15),
        max_per_7_days=1,
        max_per_day=1,
        channels_per_7_days=1,
        skip_holidays=True,
        debtor_only=True,
    ),
    "PE": _floor("PE-consumidor", _hours(7, 20), WEEKDAYS[:5], skip_holidays=True),
    "AR": _floor(
        "AR-consumidor",
        _hours(9, 19),
        WEEKDAYS[:6],
        saturday_window=_hours(10, 14),
        debtor_only=True,
    ),
}


def is_consumer(*, country: str, tax_id: str) -> bool:
    """Whether a debtor is a natural person (consumer) as far as legal floors go.

    Mexico: a 13-character RFC is a persona física. Chile: RUTs below 50.000.000 belong
    to natural persons. Colombia: a NIT of companies has 9 digits (+ check digit) starting
    with 8 or 9; anything else is a cédula. Peru: an 11-digit RUC starting with 10, or an
    8-digit DNI. Argentina: CUIT/CUIL prefixes 20, 23, 24 and 27. Without a tax id we apply
    the floor (the safe side).
    """
    compact = "".join(ch for ch in (tax_id or "") if ch.isalnum()).upper()
    if not compact:
        return True
    if country == "MX":
        return len(compact) == 13 and compact not in {"XAXX010101000", "XEXX010101000"}
    if country == "CL":
        digits = compact[:-1]
        return digits.isdigit() and int(digits) < 50_000_000
    return _is_natural_person(country, compact)


def _is_natural_person(country: str, compact: str) -> bool:
    if not compact.isdigit():
        return False
    if country == "CO":
        return not (len(compact) in (9, 10) and compact[0] in "89")
    if country == "PE":
        return len(compact) == 8 or (len(compact) == 11 and compact.startswith("10"))
    if country == "AR":
        return len(compact) == 11 and compact[:2] in {"20", "23", "24", "27"}
    return False


@dataclass(frozen=True)
class Policy:
    timezone: str
    window_start: dt.time
    window_end: dt.time
    weekdays: tuple[str, ...]
    max_per_7_days: int
    min_days_apart: int = 0
    holiday_country: str = ""
    strategy: str = ""
    version: int = 0
    legal_floor: str = ""
    saturday_window: tuple[dt.time, dt.time] | None = None  # a shorter Saturday (CO, AR)
    max_per_day: int = 0  # contacts per day across channels (0: no limit)
    channels_per_7_days: int = 0  # distinct channels per 7 days (0: no limit)
    all_channels_per_7_days: int = 0  # contacts per 7 days across channels (0: no limit)
    debtor_only: bool = False  # no third parties: only the debtor's own (primary) contact
    notes: list = field(default_factory=list, compare=False, hash=False)

    def window_on(self, day: dt.date) -> tuple[dt.time, dt.time]:
        if self.saturday_window and day.weekday() == 5:
            return self.saturday_window
        return self.window_start, self.window_end

    def describe(self) -> dict:
        """What gets stored on each message as "the policy that allowed it"."""
        return {
            "strategy": self.strategy,
            "version": self.version,
            "timezone": self.timezone,
            "window": f"{self.window_start:%H:%M}-{self.window_end:%H:%M}",
            "weekdays": list(self.weekdays),
            "max_per_7_days": self.max_per_7_days,
            "min_days_apart": self.min_days_apart,
            "holidays": self.holiday_country or None,
            "legal_floor": self.legal_floor or None,
            "saturday_window": _span(self.saturday_window),
            "max_per_day": self.max_per_day,
            "channels_per_7_days": self.channels_per_7_days,
            "all_channels_per_7_days": self.all_channels_per_7_days,
            "debtor_only": self.debtor_only,
        }


def _span(window) -> str | None:
    return f"{window[0]:%H:%M}-{window[1]:%H:%M}" if window else None


def _parse_span(text: str | None) -> tuple[dt.time, dt.time] | None:
    if not text:
        return None
    start, end = (dt.time.fromisoformat(part) for part in text.split("-"))
    return start, end


def policy_from_description(description: dict) -> Policy | None:
    """The policy a message was planned under, read back from ``Policy.describe()`` (stored
    on the message) so every send attempt re-checks it. None when the message carries
    none (notices to the debtor are not collection messages)."""
    if not description or not description.get("timezone") or not description.get("window"):
        return None
    start, end = _parse_span(description["window"])
    return Policy(
        timezone=description["timezone"],
        window_start=start,
        window_end=end,
        weekdays=tuple(description.get("weekdays") or WEEKDAYS),
        max_per_7_days=description.get("max_per_7_days") or 0,
        min_days_apart=description.get("min_days_apart") or 0,
        holiday_country=description.get("holidays") or "",
        strategy=description.get("strategy") or "",
        version=description.get("version") or 0,
        legal_floor=description.get("legal_floor") or "",
        saturday_window=_parse_span(description.get("saturday_window")),
        max_per_day=description.get("max_per_day") or 0,
        channels_per_7_days=description.get("channels_per_7_days") or 0,
        all_channels_per_7_days=description.get("all_channels_per_7_days") or 0,
        debtor_only=bool(description.get("debtor_only")),
    )


def build_policy(
    *,
    timezone: str,
    window: tuple[dt.time, dt.time],
    weekdays,
    max_per_7_days: int,
    skip_holidays: bool,
    country: str,
    consumer: bool,
    strategy: str = "",
    version: int = 0,
) -> Policy:
    start, end = window
    days = [day for day in WEEKDAYS if day in set(weekdays)]
    floor = LEGAL_FLOORS.get(country) if consumer else None
    rules = {}
    if floor:
        start, end, days, rules = _apply_floor(floor, start, end, days, max_per_7_days)
        skip_holidays = skip_holidays or floor["skip_holidays"]
    return Policy(
        timezone=timezone,
        window_start=start,
        window_end=end,
        weekdays=tuple(days),
        max_per_7_days=rules.pop("max_per_7_days", max_per_7_days),
        holiday_country=country if skip_holidays and country in HOLIDAY_COUNTRIES else "",
        strategy=strategy,
        version=version,
        **rules,
    )


def _apply_floor(floor: dict, start, end, days, cap) -> tuple:
    """The strategy's window, days and caps made at least as strict as the floor."""
    start, end = max(start, floor["window"][0]), min(end, floor["window"][1])
    if start >= end:  # a strategy window entirely outside the legal one
        start, end = floor["window"]
    days = [day for day in days if day in floor["weekdays"]] or list(floor["weekdays"])
    saturday = floor["saturday_window"]
    if saturday:  # the strategy's window, within the legal Saturday
        saturday = (max(start, saturday[0]), min(end, saturday[1]))
        if saturday[0] >= saturday[1]:
            saturday = floor["saturday_window"]
    if floor["max_per_7_days"] is not None:
        cap = min(cap, floor["max_per_7_days"])
    rules = {
        "max_per_7_days": cap,
        "min_days_apart": floor["min_days_apart"],
        "legal_floor": floor["label"],
        "saturday_window": saturday,
        "max_per_day": floor["max_per_day"],
        "channels_per_7_days": floor["channels_per_7_days"],
        "all_channels_per_7_days": floor["all_channels_per_7_days"],
        "debtor_only": floor["debtor_only"],
    }
    return start, end, days, rules


@lru_cache(maxsize=64)
def _holidays(country: str, year: int):
    return holidays_lib.country_holidays(country, years=year)


def is_holiday(country: str, day: dt.date) -> bool:
    return bool(country) and day in _holidays(country, day.year)


def is_allowed_day(policy: Policy, day: dt.date) -> bool:
    if WEEKDAYS[day.weekday()] not in policy.weekdays:
        return False
    return not is_holiday(policy.holiday_country, day)


def next_allowed_moment(policy: Policy, earliest: dt.datetime) -> dt.datetime:
    """The first instant ≥ ``earliest`` inside the window, on an allowed local day (UTC)."""
    zone = ZoneInfo(policy.timezone)
    local = earliest.astimezone(zone)
    day = local.date()
    for _ in range(60):
        if is_allowed_day(policy, day):
            window_start, window_end = policy.window_on(day)
            opens = dt.datetime.combine(day, window_start, tzinfo=zone)
            closes = dt.datetime.combine(day, window_end, tzinfo=zone)
            # Round-trip through UTC so a wall time inside a DST gap is normalised.
            opens = opens.astimezone(dt.UTC).astimezone(zone)
            if local < closes:
                return max(local, opens).astimezone(dt.UTC)
        day += dt.timedelta(days=1)
        local = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone)
    raise ValueError("no allowed sending moment in the next 60 days; check the policy")


def within_cap(policy: Policy, *, as_of: dt.date, previous: list[dt.date]) -> bool:
    """Whether one more message on ``as_of`` respects the 7-day cap and minimum spacing.

    ``previous`` are the dates of earlier (not cancelled) collection messages to the same
    contact point (contact and channel): the cap is per contact, not per customer.
    """
    window_start = as_of - dt.timedelta(days=6)
    recent = [day for day in previous if window_start <= day < as_of]
    if len(recent) >= policy.max_per_7_days:
        return False
    if policy.min_days_apart and recent:
        return (as_of - max(recent)).days >= policy.min_days_apart
    return True


def within_cross_channel_caps(
    policy: Policy, *, as_of: dt.date, channel: str, previous: dict[str, list[dt.date]]
) -> bool:
    """The floors that count contacts across channels: at most ``max_per_day`` a day, at
    most ``all_channels_per_7_days`` in 7 days (at least ``min_days_apart`` apart), and at
    most ``channels_per_7_days`` distinct channels in 7 days. ``previous``: channel → the
    dates of earlier (or same-day) collection messages to the same contact."""
    window_start = as_of - dt.timedelta(days=6)
    recent = {
        other: [day for day in days if window_start <= day <= as_of]
        for other, days in previous.items()
        if other != channel
    }
    today = sum(days.count(as_of) for days in recent.values())
    if policy.max_per_day and today >= policy.max_per_day:
        return False
    # Chile's cap is on non-call media (letters, SMS, email, messaging): calls are apart
    every = sorted(day for other, days in recent.items() if other != "call" for day in days)
    if policy.all_channels_per_7_days and channel != "call":
        if len(every) >= policy.all_channels_per_7_days:
            return False
        if policy.min_days_apart and every and (as_of - every[-1]).days < policy.min_days_apart:
            return False
    used = {other for other, days in recent.items() if days}
    return not (policy.channels_per_7_days and len(used | {channel}) > policy.channels_per_7_days)


def allowed_recipients(policy: Policy, contacts: list) -> list:
    """No third parties where the floor says so: only the debtor's own contact (the
    primary one, first in ``contacts``)."""
    return contacts[:1] if policy.debtor_only else contacts
