"""Permission-scoped reads of import batches."""

from django.http import Http404

from .models import ImportBatch


def batches_visible_to(membership):
    if membership is None:
        return ImportBatch.objects.none()
    return ImportBatch.objects.filter(organization_id=membership.organization_id)


def get_batch_for_user(request, pk) -> ImportBatch:
    batch = batches_visible_to(getattr(request, "membership", None)).filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch
