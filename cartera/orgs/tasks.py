from django_tasks import task

from .submissions import prune_submissions


@task()
def prune_form_submissions(slot: str = "") -> dict:
    """Every hour: one-time form keys older than two days are forgotten."""
    return {"deleted": prune_submissions()}
