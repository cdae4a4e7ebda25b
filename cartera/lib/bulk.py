"""The one fast multi-row insert: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

``bulk_create`` builds a model instance per row, and for the planner, the imports and the
benchmarks (tens of thousands of rows at a time) that cost dominates. These helpers take
plain rows instead; they return no primary keys, so callers that need them read them back
by a natural key. Why raw SQL here is acceptable: docs/adr/0004-raw-sql-fast-paths.md.
"""

import json
from collections.abc import Callable, Iterable, Sequence

from django.db import connection, models
from django.utils import timezone

CHUNK = 10_000


def insert_rows(model, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert ``rows`` (tuples already in database form, one value per column name)."""
    table = connection.ops.quote_name(model._meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(column) for column in columns)
    rows = list(rows)
    if not rows:
        return 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return len(rows)
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders})"
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, rows[start : start + CHUNK])
    return len(rows)


def _adapter(field) -> Callable:
    """How one field's Python value becomes a database value (None stays None)."""
    ops = connection.ops
    if isinstance(field, models.JSONField):
        return lambda value: json.dumps(value, cls=field.encoder)
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        return lambda value: ops.adapt_decimalfield_value(
            value, field.max_digits, field.decimal_places
        )
    return lambda value: value


def _default(field, now):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()


def insert_dicts(
    model,
    rows: Sequence[dict],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Insert ``rows`` (dicts of attname → Python value) through the backend's own field
    adapters; missing keys take the field default, ``auto_now`` fields take now."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    now = timezone.now()
    plan = [(field.attname, _adapter(field), _default(field, now)) for field in fields]
    columns = [field.column for field in fields]

    def prepared(row: dict) -> tuple:
        values = (row.get(attname, default) for attname, _, default in plan)
        return tuple(
            None if value is None else adapt(value)
            for value, (_, adapt, _) in zip(values, plan, strict=True)
        )

    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        insert_rows(model, columns, [prepared(row) for row in chunk])
        if progress:
            progress(start + len(chunk), len(rows))
    return len(rows)
