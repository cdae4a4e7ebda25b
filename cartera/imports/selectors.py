"""Reads: permission-scoped import batches, the organisation's import preferences."""

from django.http import Http404

from .choices import DateOrder
from .models import ImportBatch, ImportSettings


def batches_visible_to(membership):
    if membership is None:
        return ImportBatch.objects.none()
    return ImportBatch.objects.filter(organization_id=membership.organization_id)


def get_batch_for_user(request, pk) -> ImportBatch:
    batch = batches_visible_to(getattr(request, "membership", None)).filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch


def settings_for(organization) -> ImportSettings:
    """The organisation's import preferences; unsaved defaults until someone changes them
    (reading a page never writes)."""
    found = ImportSettings.objects.filter(organization=organization).first()
    if found is not None:
        return found
    # Every supported country (MX, CL, AR) writes day first; the settings page changes it.
    return ImportSettings(organization=organization, date_order=DateOrder.DMY)
