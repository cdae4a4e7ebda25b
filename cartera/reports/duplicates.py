"""The duplicate-send report: customers who were sent two collection messages (purpose
dunning) of the same stage within a window of days. The planner's rules (one message per
customer and channel a day, superseded steps, the contact policy) should keep it empty;
the report proves it (docs/reports.md, "Duplicate sends").

No organisation setting names a "duplicate window", so the window is the contact policy's
own counting window, 7 days (``max_per_7_days``). Two messages count when their plan dates
are fewer than ``days`` days apart. Failed, bounced and cancelled messages never reached
the customer and are left out; queued ones are on their way and count."""

import datetime as dt
from dataclasses import dataclass

from cartera.outreach.choices import MessagePurpose, MessageStatus
from cartera.outreach.models import Message

DEFAULT_WINDOW_DAYS = 7
NOT_RECEIVED = (MessageStatus.FAILED, MessageStatus.BOUNCED, MessageStatus.CANCELLED)


@dataclass(frozen=True)
class DuplicateSend:
    customer_id: int
    customer: str
    stage: str
    first_key: str
    first_day: dt.date
    first_channel: str
    second_key: str
    second_day: dt.date
    second_channel: str

    @property
    def days_apart(self) -> int:
        return (self.second_day - self.first_day).days


def duplicate_sends(
    *, organization, start: dt.date, end: dt.date, days: int = DEFAULT_WINDOW_DAYS, customers=None
) -> list[DuplicateSend]:
    """Every pair of consecutive same-stage collection messages to one customer, planned
    between ``start`` and ``end``, fewer than ``days`` days apart. ``customers`` limits it
    to a queryset (an agent's assigned customers)."""
    messages = (
        Message.objects.filter(
            organization=organization,
            purpose=MessagePurpose.DUNNING,
            as_of__gte=start - dt.timedelta(days=days),
            as_of__lte=end,
        )
        .exclude(stage="")
        .exclude(status__in=NOT_RECEIVED)
        .order_by("customer_id", "stage", "as_of", "id")
        .values_list("customer_id", "customer__name", "stage", "key", "as_of", "channel")
    )
    if customers is not None:
        messages = messages.filter(customer__in=customers)
    found, previous = [], None
    for row in messages:
        if (
            previous is not None
            and previous[:3] == row[:3]
            and (row[4] - previous[4]).days < days
            and row[4] >= start
        ):
            found.append(DuplicateSend(*row[:3], *previous[3:], *row[3:]))
        previous = row
    return found
