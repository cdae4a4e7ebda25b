from django_tasks import task


@task()
def run_import_batch(batch_id: int) -> None:
    """Run an uploaded import in the background (idempotent: a finished batch is skipped)."""
    from .services import run_batch

    run_batch(batch_id)
