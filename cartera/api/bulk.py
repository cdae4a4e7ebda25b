"""Bulk upsert by external id, one result per item: either each item through the same
single-row service as a POST, in its own savepoint (``upsert_each``: customers), or the
whole call through the owner's bulk service, which checks each item with the single-row
rules and writes in batches (``upsert_batch``: invoices). Either way one bad item fails
alone and reports its field errors."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .problems import django_field_errors


def _refusal(index: int, item, exc: ValidationError) -> dict:
    errors = [{"field": field, "message": message} for field, message in django_field_errors(exc)]
    return {"index": index, "external_id": item.external_id, "result": "error", "errors": errors}


def _missing_key(index: int, item) -> dict:
    missing = ValidationError({"external_id": _("La clave externa es obligatoria.")})
    return _refusal(index, item, missing)


def _check_limit(items, limit: int) -> None:
    if len(items) > limit:
        raise ValidationError({"items": _("Máximo %(n)s elementos por llamada.") % {"n": limit}})


@transaction.atomic
def upsert_each(request, items, upsert, *, limit: int) -> dict:
    """``upsert(request, item) -> (result, obj)`` for every item; the per-item results and
    the counts. More than ``limit`` items is refused as a whole. One transaction for the
    call (one commit, not one per item) with a savepoint per item, so a refused item rolls
    back alone."""
    _check_limit(items, limit)
    results = []
    for index, item in enumerate(items):
        if not item.external_id:
            results.append(_missing_key(index, item))
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
    return _answer(results)


@transaction.atomic
def upsert_batch(request, items, upsert_many, *, limit: int) -> dict:
    """``upsert_many(request, [(index, item)]) -> {index: (result, id) | ValidationError}``
    for the items with a key, in one call and one transaction; the per-item results and the
    counts. More than ``limit`` items is refused as a whole."""
    _check_limit(items, limit)
    keyed = [(index, item) for index, item in enumerate(items) if item.external_id]
    outcomes = upsert_many(request, keyed)
    results = []
    for index, item in enumerate(items):
        outcome = outcomes.get(index) if item.external_id else None
        if outcome is None:
            results.append(_missing_key(index, item))
        elif isinstance(outcome, ValidationError):
            results.append(_refusal(index, item, outcome))
        else:
            result, pk = outcome
            results.append(
                {"index": index, "external_id": item.external_id, "result": result, "id": pk}
            )
    return _answer(results)


def _answer(results: list[dict]) -> dict:
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
