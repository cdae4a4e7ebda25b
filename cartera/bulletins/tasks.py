"""Tasks of the bulletins app (django-tasks wrappers)."""

import datetime as dt

from django_tasks import task

from .services import record_removals_due


@task()
def removals_due(*, organization_id: int, invoice_ids: list[int], on: str) -> dict:
    """Enqueued by name (on commit) by ``payments.services`` when an allocation settles a
    published invoice: its removal (aclaración) is due from the payment's effective day."""
    marked = record_removals_due(
        organization_id=organization_id, on=dt.date.fromisoformat(on), invoice_ids=invoice_ids
    )
    return {"removals_due": marked}
