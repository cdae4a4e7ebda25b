"""Chaining entries written before the chain existed (migration 0006, and tests).

Works on the migration's historical models as on the real ones: it only uses the base
manager (the real one refuses updates) and ``chain.py``'s pure functions.
"""

from django.db import connection
from django.db.models import Q

from .chain import CONTENT_FIELDS, GENESIS, content_of, link_hash

BATCH = 2_000


def _next_batch(activity_model, organization_id: int, after: tuple | None) -> list:
    rows = activity_model._base_manager.filter(
        organization_id=organization_id, sequence__isnull=True
    )
    if after is not None:
        created_at, pk = after
        rows = rows.filter(Q(created_at__gt=created_at) | Q(created_at=created_at, pk__gt=pk))
    return list(rows.order_by("created_at", "pk").only("pk", *CONTENT_FIELDS)[:BATCH])


def _store(activity_model, batch: list) -> None:
    """One parameterised UPDATE per row, sent as a batch: ``bulk_update``'s CASE over 2,000
    ids is quadratic on SQLite."""
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(activity_model._meta.db_table)} SET {quote('sequence')} = %s,"
        f" {quote('chain_hash')} = %s WHERE {quote('id')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(a.sequence, a.chain_hash, a.pk) for a in batch])


def _chain_organization(activity_model, head_model, organization_id: int) -> int:
    head = head_model._base_manager.filter(organization_id=organization_id).first()
    sequence, previous = (head.last_sequence, head.last_hash) if head else (0, GENESIS)
    after, done = None, 0
    while batch := _next_batch(activity_model, organization_id, after):
        for activity in batch:
            sequence += 1
            activity.sequence = sequence
            values = {name: getattr(activity, name) for name in CONTENT_FIELDS}
            activity.chain_hash = previous = link_hash(previous, content_of(values))
        _store(activity_model, batch)
        after, done = (batch[-1].created_at, batch[-1].pk), done + len(batch)
    head_model._base_manager.update_or_create(
        organization_id=organization_id,
        defaults={"last_sequence": sequence, "last_hash": previous},
    )
    return done


def backfill_chain(activity_model, head_model) -> int:
    """Number and hash every unchained entry, per organisation, in (created_at, id)
    order, continuing from the organisation's head; returns how many were chained."""
    organizations = (
        activity_model._base_manager.filter(sequence__isnull=True)
        .order_by()
        .values_list("organization_id", flat=True)
        .distinct()
    )
    return sum(
        _chain_organization(activity_model, head_model, org_id) for org_id in sorted(organizations)
    )
