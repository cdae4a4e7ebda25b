"""“Ejecutar cobranza ahora”: the planner for the organisation's today, first as a dry run
(what it would create, nothing written), then for real, followed by sending whatever is
due at once. Managers and owners only — checked here, so no caller can skip it.

The real run is the daily job's own planner run (``tasks.run_dunning`` does the same for
the slot's date) and is safe to repeat: a message is unique per customer, channel and
date, so a second run the same day creates nothing new. The send goes through the outbox
(``outreach.sending``): the contact policy's window still decides what leaves now; the
rest waits in the queue for its moment.
"""

import datetime as dt

from cartera.orgs.access import Action, require_member
from cartera.outreach.sending import send_due_messages

from .choices import StepChannel
from .services import run_planner

PREVIEW_ROWS = 50


def preview_collection_run(*, organization, actor, as_of: dt.date, now: dt.datetime) -> dict:
    """The planner's dry run: counts, the first messages it would queue, and why."""
    require_member(actor, organization, Action.MANAGE_STRATEGIES)
    result = run_planner(organization=organization, as_of=as_of, dry_run=True, now=now)
    return {
        "date": result["date"],
        "counts": result["counts"],
        "messages": [
            message | {"channel_label": _channel_label(message["channel"])}
            for message in result["messages"][:PREVIEW_ROWS]
        ],
        "due_now": sum(
            1 for m in result["messages"] if dt.datetime.fromisoformat(m["scheduled_for"]) <= now
        ),
    }


def _channel_label(channel: str) -> str:
    """The channel's name in the page's language (never its key)."""
    labels = dict(StepChannel.choices)
    return str(labels.get(channel, channel))


def run_collection_now(*, organization, actor, as_of: dt.date, now: dt.datetime) -> dict:
    """The real run, then the organisation's due messages sent (policy permitting)."""
    require_member(actor, organization, Action.MANAGE_STRATEGIES)
    result = run_planner(
        organization=organization, as_of=as_of, dry_run=False, now=now, collect=False
    )
    sent = send_due_messages(now=now, organization=organization)
    return {"date": result["date"], "counts": result["counts"], "sent": sent}
