"""When a periodic job runs: every N minutes (UTC boundaries) or daily at a local hour."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.UTC


@dataclass(frozen=True)
class Every:
    """Every ``minutes`` minutes, on UTC boundaries (every 15 → :00, :15, :30, :45)."""

    minutes: int

    def latest_slot(self, now: dt.datetime, tz: ZoneInfo, organization=None) -> dt.datetime:
        now = now.astimezone(UTC)
        minute_of_day = now.hour * 60 + now.minute
        floored = minute_of_day - minute_of_day % self.minutes
        return now.replace(hour=floored // 60, minute=floored % 60, second=0, microsecond=0)


@dataclass(frozen=True)
class Daily:
    """Once a day at ``hour:minute`` local time; ``hour`` may be a function of the
    organisation (for per-organisation settings such as "send reminders at 9")."""

    hour: int | Callable = 0
    minute: int = 0

    def latest_slot(self, now: dt.datetime, tz: ZoneInfo, organization=None) -> dt.datetime:
        hour = self.hour(organization) if callable(self.hour) else self.hour
        local = now.astimezone(tz)
        slot = dt.datetime.combine(local.date(), dt.time(hour, self.minute), tzinfo=tz)
        if slot > local:
            slot = dt.datetime.combine(
                local.date() - dt.timedelta(days=1), dt.time(hour, self.minute), tzinfo=tz
            )
        return slot.astimezone(UTC)


@dataclass(frozen=True)
class Job:
    name: str
    schedule: Every | Daily
    target: str
    per_organization: bool = False
