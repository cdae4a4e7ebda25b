from django.utils import translation
from django_tasks import task

from cartera.lib.dates import slot_date
from cartera.orgs.language import in_organization_language, organization_language
from cartera.orgs.models import Organization

from .models import ImportBatch
from .sat_download import run_sat_download
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


@task()
@in_organization_language
def download_from_sat(organization_id: int, slot: str = "") -> dict:
    """Hourly: the SAT's Descarga Masiva of the CFDI the organisation issued (docs/fiscal.md)."""
    organization = Organization.objects.get(pk=organization_id)
    return run_sat_download(organization=organization, today=slot_date(slot, organization.timezone))
