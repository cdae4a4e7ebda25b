"""Task wrappers (run by the worker; enqueued by the scheduler every minute)."""

from django.utils import timezone
from django_tasks import task

from .sending import send_due_messages, sweep_stale_sending


@task()
def send_due(slot: str = "") -> dict:
    """Fail rows stuck in ``sending``, then claim and send every due message."""
    now = timezone.now()
    stale = sweep_stale_sending(now=now)
    return {"sent": send_due_messages(now=now), "stale_failed": stale}
