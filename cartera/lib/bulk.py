"""The one fast multi-row insert: ``COPY`` on PostgreSQL, ``executemany`` on SQLite (and
the matching update by primary key, ``update_dicts``).

``bulk_create`` builds a model instance per row, and for the planner, the imports and the
benchmarks (tens of thousands of rows at a time) that cost dominates. These helpers take
plain rows instead; they return no primary keys, so callers that need them read them back
by a natural key. Why raw SQL here is acceptable: docs/adr/0004-raw-sql-fast-paths.md.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from operator import itemgetter

from django.db import connection, models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone

CHUNK = 10_000
# bench generate's page cache: SQLite's default of 2 MiB holds little of the indexes a run
# of a hundred thousand inserts into an indexed table walks again and again.
BULK_PAGE_CACHE_MIB = 64


@contextmanager
def roomy_page_cache(mib: int = BULK_PAGE_CACHE_MIB):
    """On SQLite, this connection's page cache at ``mib`` for a bulk run, and back to what
    it was after (memory is taken only as pages are read). Nothing on other databases."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-int(mib) * 1024}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


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


def _adapter(field) -> Callable | None:
    """How one field's Python value becomes a database value (None: as it is)."""
    ops = connection.ops
    if isinstance(field, models.JSONField):
        return lambda value: json.dumps(value, cls=field.encoder)
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        if type(ops).adapt_decimalfield_value is BaseDatabaseOperations.adapt_decimalfield_value:
            return None  # the backend takes the Decimal as it is: no call per value
        return lambda value: ops.adapt_decimalfield_value(
            value, field.max_digits, field.decimal_places
        )
    return None


def _default(field, now):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()


def _plan(model) -> list[tuple[str, Callable | None, object]]:
    """Per column: attname, adapter, and the default already in database form (adapted
    once, not once per row: a hundred thousand rows share the same "now")."""
    now = timezone.now()
    plan = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        adapt, default = _adapter(field), _default(field, now)
        if default is not None and adapt is not None:
            default = adapt(default)
        plan.append((field.attname, adapt, default))
    return plan


_MISSING = object()


def _prepared(plan, row: dict) -> list:
    get = row.get  # one call per column of every row: kept to a lookup and a test
    return [
        default
        if (value := get(attname, _MISSING)) is _MISSING
        else (value if value is None or adapt is None else adapt(value))
        for attname, adapt, default in plan
    ]


def _uniform(plan, columns, rows: Sequence[dict]):
    """(columns, rows) for a chunk whose rows all have the same keys (the usual case): the
    given values read with one ``itemgetter`` per row, only the values that need one go
    through an adapter, and the missing columns' defaults appended (columns reordered to
    match). None when the rows differ."""
    keys = rows[0].keys()
    if any(row.keys() != keys for row in rows):
        return None
    given = [(column, *step) for column, step in zip(columns, plan, strict=True) if step[0] in keys]
    if not given:
        return None
    missing = [
        (column, default)
        for column, (name, _a, default) in zip(columns, plan, strict=True)
        if name not in keys
    ]
    read = itemgetter(*(name for _c, name, _a, _d in given))
    adapted = [(index, adapt) for index, (_c, _n, adapt, _d) in enumerate(given) if adapt]
    defaults = [default for _c, default in missing]
    prepared = []
    for row in rows:
        values = list(read(row)) if len(given) > 1 else [read(row)]
        for index, adapt in adapted:
            if values[index] is not None:
                values[index] = adapt(values[index])
        values += defaults
        prepared.append(values)
    return [column for column, *_rest in given] + [column for column, _d in missing], prepared


def insert_dicts(
    model,
    rows: Sequence[dict],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Insert ``rows`` (dicts of attname → Python value) through the backend's own field
    adapters; missing keys take the field default, ``auto_now`` fields take now."""
    plan = _plan(model)
    columns = [field.column for field in model._meta.concrete_fields if not field.primary_key]
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        uniform = _uniform(plan, columns, chunk)
        if uniform is None:
            insert_rows(model, columns, [_prepared(plan, row) for row in chunk])
        else:
            insert_rows(model, *uniform)
        if progress:
            progress(start + len(chunk), len(rows))
    return len(rows)


def update_dicts(model, rows: Sequence[dict], fields: Sequence[str]) -> int:
    """Update ``fields`` of many rows by primary key (each row: ``pk`` and a Python value
    per field) in one ``executemany`` per chunk: ``bulk_update`` builds one CASE per field
    and row, and at tens of thousands of rows that cost dominates (ADR 0004)."""
    if not rows:
        return 0
    meta, quote = model._meta, connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    adapters = [_adapter(field) for field in columns]
    sets = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(
                sql,
                [
                    [
                        *(
                            row[name] if row[name] is None or adapt is None else adapt(row[name])
                            for name, adapt in zip(fields, adapters, strict=True)
                        ),
                        row["pk"],
                    ]
                    for row in rows[start : start + CHUNK]
                ],
            )
    return len(rows)
