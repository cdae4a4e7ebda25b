from django_tasks import task


@task()
def run_import_batch(batch_id: int) -> None:
    """Run an uploaded import in the background (idempotent: a finished batch is skipped)."""
    from .services import run_batch

    run_batch(batch_id)


@task()
def run_preview_batch(batch_id: int) -> None:
    """Validate an uploaded file for the wizard's preview in the background (writes no
    business data; a batch not waiting for its preview is skipped)."""
    from .services import run_preview

    run_preview(batch_id)
