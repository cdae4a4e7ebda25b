"""The one fast multi-row insert: ``COPY`` on PostgreSQL, ``executemany`` on SQLite (and
the matching update by primary key, ``update_dicts``).

``bulk_create`` builds a model instance per row, and for the planner, the imports and the
benchmarks (tens of thousands of rows at a time) that cost dominates. These helpers take
plain rows instead; they return no primary keys, so callers that need them read them back
by a natural key. Why raw SQL here is acceptable: docs/adr/0004-raw-sql-fast-paths.md.
"""

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from decimal import Decimal
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


# --- model instances, primary keys returned ---------------------------------------------------
# Fields whose database value is the Python value itself when it has one of these types
# (``get_db_prep_save`` returns it unchanged): their per-value call is skipped.
_TEXT, _INTEGER = (str, type(None)), (int, type(None))
_PLAIN_FIELDS = {
    models.CharField: _TEXT,
    models.TextField: _TEXT,
    models.BooleanField: (bool, type(None)),
    models.IntegerField: _INTEGER,
    models.BigIntegerField: _INTEGER,
    models.SmallIntegerField: _INTEGER,
    models.PositiveIntegerField: _INTEGER,
    models.PositiveBigIntegerField: _INTEGER,
    models.PositiveSmallIntegerField: _INTEGER,
    models.AutoField: _INTEGER,
    models.BigAutoField: _INTEGER,
}


_SLOW = object()  # "ask the field": the value is not of a type converted here


def _conversion(field) -> Callable:
    """``field.get_db_prep_save`` for the usual Python types, without its per-value calls
    (the same result: the value itself, or the backend's adapter it would end in); any
    other value gives ``_SLOW``."""
    kind, ops = type(field), connection.ops
    target = field.target_field if kind is models.ForeignKey else field
    types = _PLAIN_FIELDS.get(type(target)) if kind in (models.ForeignKey, type(target)) else None
    if types:
        return lambda value: value if type(value) in types else _SLOW
    base = BaseDatabaseOperations.adapt_decimalfield_value
    if kind is models.DecimalField and type(ops).adapt_decimalfield_value is base:
        return lambda value: (
            value if value is None or (type(value) is Decimal and value.is_finite()) else _SLOW
        )
    if kind is models.DateTimeField:
        adapt = ops.adapt_datetimefield_value
        return lambda value: (
            None
            if value is None
            else adapt(value)
            if type(value) is dt.datetime and value.utcoffset() is not None
            else _SLOW
        )
    if kind is models.DateField:
        adapt = ops.adapt_datefield_value
        return lambda value: (
            None if value is None else adapt(value) if type(value) is dt.date else _SLOW
        )
    return lambda value: _SLOW


class _NotPlain(Exception):
    """A value ``create_objects`` does not write itself (an expression): ``bulk_create``."""


def _db_values(steps, obj) -> list:
    values = []
    for field, own_pre_save, convert in steps:
        value = field.pre_save(obj, add=True) if own_pre_save else getattr(obj, field.attname)
        converted = convert(value)
        if converted is _SLOW:
            if hasattr(value, "resolve_expression"):
                raise _NotPlain(field.name)
            converted = field.get_db_prep_save(value, connection)
        values.append(converted)
    return values


def create_objects(model, objs: Sequence) -> list:
    """``model.objects.bulk_create(objs)`` for new instances whose primary key the database
    assigns, with the same values, primary keys and saved state, in fewer Python calls: the
    ORM's insert compiler costs more than the insert itself at tens of thousands of rows
    (ADR 0004). Anything unusual (a set primary key, an expression, a field with its own
    placeholder, a database that returns no rows) goes to ``bulk_create``."""
    objs = list(objs)
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    if (
        not objs
        or not connection.features.can_return_rows_from_bulk_insert
        or not meta.pk.db_returning
        or any(obj.pk is not None for obj in objs)
        or any(hasattr(field, "get_placeholder") or field.db_returning for field in fields)
    ):
        return model.objects.bulk_create(objs)
    steps = [
        (field, type(field).pre_save is not models.Field.pre_save, _conversion(field))
        for field in fields
    ]
    try:
        rows = []
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
            rows.append(_db_values(steps, obj))
    except _NotPlain:
        return model.objects.bulk_create(objs)
    _insert_returning(model, fields, objs, rows)
    return objs


def _insert_returning(model, fields, objs, rows) -> None:
    quote, meta = connection.ops.quote_name, model._meta
    columns = ", ".join(quote(field.column) for field in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, connection.ops.bulk_batch_size(fields, objs))
    head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "
    tail = f" RETURNING {quote(meta.db_table)}.{quote(meta.pk.column)}"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            cursor.execute(
                head + ", ".join([one] * len(batch)) + tail,
                [value for row in batch for value in row],
            )
            for obj, (pk,) in zip(objs[start : start + size], cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = connection.alias
