from django.utils import translation
from django_tasks import task

from cartera.orgs.language import organization_language

from .models import ImportBatch
from .services import run_batch, run_preview


def _language_of(batch_id: int) -> str:
    organization_id = (
        ImportBatch.objects.filter(pk=batch_id).values_list("organization_id", flat=True).first()
    )
    return organization_language(organization_id)


@task()
def run_import_batch(batch_id: int) -> None:
    """Run an uploaded import in the background (idempotent: a finished batch is skipped).
    Problems and timeline entries are written in the organisation's language."""
    with translation.override(_language_of(batch_id)):
        run_batch(batch_id)


@task()
def run_preview_batch(batch_id: int) -> None:
    """Validate an uploaded file for the wizard's preview in the background (writes no
    business data; a batch not waiting for its preview is skipped)."""
    with translation.override(_language_of(batch_id)):
        run_preview(batch_id)
