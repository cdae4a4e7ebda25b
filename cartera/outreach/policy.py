"""Contact policy: when a message may be sent and how many, in the debtor's time zone.

The strategy gives a window, weekdays, a weekly cap and whether national holidays are
skipped; the organisation's legal floors per country (consumer debtors) are applied on
top and can only make the policy stricter:

- Mexico (consumers): 07:00–22:00 any day.
- Chile (consumers): Monday–Saturday 08:00–20:00, at most 2 non-call contacts per 7
  days, at least 2 days apart.

Quiet hours never skip a message: ``next_allowed_moment`` moves it to the next
allowed instant (walking local calendar days, so DST changes are handled by zoneinfo).
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HOLIDAY_COUNTRIES = {"MX", "CL", "AR"}

LEGAL_FLOORS = {
    "MX": {
        "window": (dt.time(7, 0), dt.time(22, 0)),
        "weekdays": WEEKDAYS,
        "max_per_7_days": None,
        "min_days_apart": 0,
        "label": "MX-consumidor",
    },
    "CL": {
        "window": (dt.time(8, 0), dt.time(20, 0)),
        "weekdays": WEEKDAYS[:6],
        "max_per_7_days": 2,
        "min_days_apart": 2,
        "label": "CL-consumidor",
    },
}


def is_consumer(*, country: str, tax_id: str) -> bool:
    """Whether a debtor is a natural person (consumer) as far as legal floors go.

    Mexico: a 13-character RFC is a persona física. Chile: RUTs below 50.000.000 belong
    to natural persons. Without a tax id we apply the floor (the safe side).
    """
    compact = "".join(ch for ch in (tax_id or "") if ch.isalnum()).upper()
    if not compact:
        return True
    if country == "MX":
        return len(compact) == 13 and compact not in {"XAXX010101000", "XEXX010101000"}
    if country == "CL":
        digits = compact[:-1]
        return digits.isdigit() and int(digits) < 50_000_000
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
    notes: list = field(default_factory=list, compare=False, hash=False)

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
        }


def policy_from_description(description: dict) -> Policy | None:
    """The policy a message was planned under, read back from ``Policy.describe()`` (stored
    on the message) so every send attempt re-checks it. None when the message carries
    none (notices to the debtor are not collection messages)."""
    if not description or not description.get("timezone") or not description.get("window"):
        return None
    start, end = (dt.time.fromisoformat(part) for part in description["window"].split("-"))
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
    cap, apart, floor_label = max_per_7_days, 0, ""
    floor = LEGAL_FLOORS.get(country) if consumer else None
    if floor:
        start, end = max(start, floor["window"][0]), min(end, floor["window"][1])
        if start >= end:  # a strategy window entirely outside the legal one
            start, end = floor["window"]
        days = [day for day in days if day in floor["weekdays"]] or list(floor["weekdays"])
        if floor["max_per_7_days"] is not None:
            cap = min(cap, floor["max_per_7_days"])
        apart = floor["min_days_apart"]
        floor_label = floor["label"]
    return Policy(
        timezone=timezone,
        window_start=start,
        window_end=end,
        weekdays=tuple(days),
        max_per_7_days=cap,
        min_days_apart=apart,
        holiday_country=country if skip_holidays and country in HOLIDAY_COUNTRIES else "",
        strategy=strategy,
        version=version,
        legal_floor=floor_label,
    )


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
            opens = dt.datetime.combine(day, policy.window_start, tzinfo=zone)
            closes = dt.datetime.combine(day, policy.window_end, tzinfo=zone)
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
