"""Bulk upsert by external id: each item through the same single-row service as a POST, in
its own savepoint, so one bad row fails alone and reports its field errors."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .problems import django_field_errors


def _refusal(index: int, item, exc: ValidationError) -> dict:
    errors = [{"field": field, "message": message} for field, message in django_field_errors(exc)]
    return {"index": index, "external_id": item.external_id, "result": "error", "errors": errors}


@transaction.atomic
def upsert_each(request, items, upsert, *, limit: int) -> dict:
    """``upsert(request, item) -> (result, obj)`` for every item; the per-item results and
    the counts. More than ``limit`` items is refused as a whole. One transaction for the
    call (one commit, not one per item) with a savepoint per item, so a refused item rolls
    back alone."""
    if len(items) > limit:
        raise ValidationError({"items": _("Máximo %(n)s elementos por llamada.") % {"n": limit}})
    results = []
    for index, item in enumerate(items):
        if not item.external_id:
            missing = ValidationError({"external_id": _("La clave externa es obligatoria.")})
            results.append(_refusal(index, item, missing))
            continue
        try:
            with transaction.atomic():
                result, obj = upsert(request, item)
        except ValidationError as exc:
            results.append(_refusal(index, item, exc))
            continue
        results.append(
            {"index": index, "external_id": item.external_id, "result": result, "id": obj.pk}
        )
    counts = {name: 0 for name in ("created", "updated", "unchanged", "error")}
    for row in results:
        counts[row["result"]] += 1
    return {
        "created": counts["created"],
        "updated": counts["updated"],
        "unchanged": counts["unchanged"],
        "failed": counts["error"],
        "items": results,
    }
