"""The agent's side of customer documents: when a document on file expires, the
customer's agent gets a task to ask for a new one (one task per document and expiry,
assigned by the usual rule, ``assignment.resolve_assignee`` through ``bulk.open_tasks``)."""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from cartera.customers.documents import expire_documents

from .bulk import TaskTrigger, open_tasks
from .choices import TaskKind


def expiry_key(document) -> str:
    """One task per document and expiry date: running the job again opens nothing."""
    return f"doc-expired-{document.pk}-{document.valid_until.isoformat()}"


@transaction.atomic
def expire_customer_documents(*, organization, today: dt.date) -> dict:
    """Expire what ran out before ``today`` and open the agents' tasks, in one transaction."""
    expired = expire_documents(organization=organization, today=today)
    triggers = [
        TaskTrigger(
            key=expiry_key(document),
            customer_id=document.customer_id,
            kind=TaskKind.FOLLOW_UP,
            subject=f"document:{document.pk}",
            title=_("Pedir de nuevo: %(kind)s (venció el %(date)s)")
            % {"kind": document.kind.name, "date": document.valid_until.isoformat()},
        )
        for document in expired
    ]
    opened = open_tasks(organization=organization, triggers=triggers, today=today)
    return {"expired": len(expired), "tasks": len(opened.created)}
