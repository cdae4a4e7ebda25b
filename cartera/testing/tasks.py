"""Run what the database task queue holds, as a worker would, inside a test."""

from django.test import TestCase
from django_tasks_db.models import DBTaskResult

from cartera.payments.models import ProviderEvent


def queued_jobs(task_path: str) -> list[dict]:
    """The keyword arguments of every job of ``task_path`` waiting in the queue."""
    jobs = DBTaskResult.objects.ready().filter(task_path=task_path).order_by("enqueued_at")
    return [job.args_kwargs["kwargs"] for job in jobs]


def run_queued_jobs(task_path: str) -> list:
    """Run every waiting job of ``task_path`` once, oldest first; their return values."""
    values = []
    for job in DBTaskResult.objects.ready().filter(task_path=task_path).order_by("enqueued_at"):
        job.claim("test")
        value = job.task.call(*job.args_kwargs["args"], **job.args_kwargs["kwargs"])
        job.set_successful(value)
        values.append(value)
    return values


def committing():
    """Run the on-commit callbacks of the block (a test's transaction never commits), so
    what a view enqueues on commit reaches the queue."""
    return TestCase.captureOnCommitCallbacks(execute=True)


PROCESS_PROVIDER_EVENT = "cartera.portal.tasks.process_provider_event"


def post_provider_webhook(client, url: str, body, **headers):
    """Post a payment webhook as the provider would and check what the answer left: a
    ``queued`` answer stored one ``queued`` row with exactly one job for it (which is then
    run, as the worker would); any other answer stored and queued nothing. The response
    gets ``outcome``: the row's outcome after its job ran, or None."""
    before = set(ProviderEvent.objects.values_list("pk", flat=True))
    with committing():
        response = client.post(url, body, content_type="application/json", **headers)
    new = list(ProviderEvent.objects.exclude(pk__in=before))
    jobs = queued_jobs(PROCESS_PROVIDER_EVENT)
    response.outcome = None
    if response.status_code == 200 and response.content == b"queued":
        (row,) = new
        assert (row.outcome, jobs) == ("queued", [{"event_id": row.pk}])
        run_queued_jobs(PROCESS_PROVIDER_EVENT)
        row.refresh_from_db()
        response.outcome = row.outcome
    else:
        assert (new, jobs) == ([], [])
    return response


def answer(response) -> tuple[str, str | None]:
    """(what the webhook answered, the stored outcome once its job ran): ``("queued",
    "recorded")`` for a new payment, ``("duplicate", None)`` for a second delivery."""
    return response.content.decode(), response.outcome
