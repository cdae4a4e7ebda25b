"""Running imports: one ``ImportBatch`` per file (or per CFDI upload), its problems
stored row by row, one timeline entry per batch.

All-or-nothing by default: one bad row and nothing is written. ``valid_only`` writes
the valid rows and reports the rest. ``dry_run`` validates and counts only.
"""

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cartera.timeline.choices import ActivityKind
from cartera.timeline.services import record_activity

from .choices import BatchStatus, DateOrder, ImportKind
from .headers import detect_mapping, known_names, layout_key, missing_required
from .importers import IMPORTERS
from .models import ColumnMapping, ImportBatch, ImportRowError, ImportSettings
from .rows import Outcome, Problem, Sheet
from .tabular import FileError, read_table


def settings_for(organization) -> ImportSettings:
    """The organisation's import preferences; unsaved defaults until someone changes them
    (reading a page never writes)."""
    found = ImportSettings.objects.filter(organization=organization).first()
    if found is not None:
        return found
    # Every supported country (MX, CL, AR) writes day first; the settings page changes it.
    return ImportSettings(organization=organization, date_order=DateOrder.DMY)


@transaction.atomic
def update_import_settings(
    *, organization, actor, date_order: str, pue_paid_at_issue: bool
) -> ImportSettings:
    """Change the organisation's import preferences (recorded on the timeline)."""
    current, _created = ImportSettings.objects.get_or_create(
        organization=organization, defaults={"date_order": DateOrder.DMY}
    )
    current = ImportSettings.objects.select_for_update().get(pk=current.pk)
    before = {"date_order": current.date_order, "pue_paid_at_issue": current.pue_paid_at_issue}
    after = {"date_order": date_order, "pue_paid_at_issue": pue_paid_at_issue}
    if before == after:
        return current
    if date_order not in DateOrder.values:
        raise ValueError(f"unknown date order {date_order!r}")
    current.date_order, current.pue_paid_at_issue = date_order, pue_paid_at_issue
    current.save(update_fields=["date_order", "pue_paid_at_issue"])
    record_activity(
        organization=organization,
        actor=actor,
        kind=ActivityKind.CONFIG_CHANGED,
        summary=_("Preferencias de importación modificadas"),
        data={"import_settings": {"before": before, "after": after}},
    )
    return current


def create_batch(
    *,
    organization,
    actor,
    kind: str,
    file_name: str,
    data: bytes | None = None,
    dry_run=False,
    valid_only=False,
    create_customers=False,
    keep_file=False,
) -> ImportBatch:
    """Register an import (the file itself is kept only for background runs)."""
    batch = ImportBatch(
        organization=organization,
        kind=kind,
        file_name=file_name[:255],
        created_by=actor if getattr(actor, "pk", None) else None,
        file_sha256=hashlib.sha256(data).hexdigest() if data is not None else "",
        dry_run=dry_run,
        valid_only=valid_only,
        create_customers=create_customers,
    )
    if keep_file and data is not None:
        batch.file.save(
            f"{timezone.now():%Y%m%d%H%M%S}-{batch.file_sha256[:12]}", ContentFile(data), save=False
        )
    batch.save()
    return batch


def read_file_layout(*, organization, kind: str, data: bytes, file_name: str) -> dict:
    """Header row, detected (or remembered) mapping and a few sample rows, for the wizard."""
    table = read_table(data, file_name, known_names(kind))
    remembered = ColumnMapping.objects.filter(
        organization=organization, kind=kind, layout_key=layout_key(table.headers)
    ).first()
    mapping = remembered.mapping if remembered else detect_mapping(kind, table.headers)
    return {
        "table": table,
        "mapping": {k: int(v) for k, v in mapping.items()},
        "remembered": remembered is not None,
    }


@transaction.atomic
def remember_mapping(
    *, organization, kind: str, headers: list[str], mapping: dict[str, int]
) -> ColumnMapping:
    """Keep the mapping the user confirmed for this file layout."""
    found, _created = ColumnMapping.objects.update_or_create(
        organization=organization,
        kind=kind,
        layout_key=layout_key(headers),
        defaults={"headers": headers, "mapping": mapping},
    )
    return found


def _store_problems(batch: ImportBatch, problems: list[Problem]) -> None:
    ImportRowError.objects.bulk_create(
        [
            ImportRowError(
                batch=batch,
                severity=p.severity,
                row=p.row,
                column=p.column[:120],
                value=str(p.value)[:300],
                message=p.message[:500],
                file_name=p.file_name[:255],
            )
            for p in problems
        ],
        batch_size=2000,
    )


def _finish(
    batch: ImportBatch, outcome: Outcome, *, written: bool, preview: bool = False
) -> ImportBatch:
    errors = len(outcome.errors)
    batch.total_rows = outcome.total_rows
    batch.processed_rows = outcome.total_rows
    batch.created_count, batch.updated_count, batch.unchanged_count = (
        outcome.created,
        outcome.updated,
        outcome.unchanged,
    )
    if not written and not batch.dry_run and not preview:
        # Nothing was written: say so in the counts (the preview keeps the would-be numbers).
        batch.created_count = batch.updated_count = 0
        batch.unchanged_count = 0
    batch.error_count = errors
    batch.warning_count = len(outcome.problems) - errors
    batch.skipped_rows = outcome.skipped
    if preview:
        batch.status = BatchStatus.PREVIEWED
    else:
        batch.status = BatchStatus.INVALID if errors else BatchStatus.DONE
        batch.finished_at = timezone.now()
    batch.save()
    batch.problems.all().delete()  # a preview's problems are replaced by the real run's
    _store_problems(batch, outcome.problems)
    return batch


def _progress_saver(batch: ImportBatch):
    def save(done: int, total: int) -> None:
        ImportBatch.objects.filter(pk=batch.pk).update(
            processed_rows=min(done, total), total_rows=total
        )

    return save


def run_tabular_import(
    *,
    batch: ImportBatch,
    data: bytes,
    mapping: dict[str, int] | None = None,
    progress=None,
    preview: bool = False,
) -> ImportBatch:
    """Read, validate and (unless invalid, a dry run or a preview) write one spreadsheet.

    ``preview`` (the wizard's step 3): validate and count what *would* be created,
    updated and unchanged, store every problem, write nothing; the batch is left
    ``previewed`` waiting for the user's confirmation."""
    organization, kind = batch.organization, batch.kind
    if not preview:
        ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING)
    outcome = Outcome()
    try:
        table = read_table(data, batch.file_name, known_names(kind))
    except FileError as exc:
        outcome.problems.append(Problem(None, "", "", str(exc)))
        return _finish(batch, outcome, written=False, preview=preview)
    if mapping is None:
        mapping = _mapping_for(organization, kind, table.headers)
    batch.mapping = {
        k: table.headers[v] if v < len(table.headers) else "" for k, v in mapping.items()
    }
    missing = missing_required(kind, mapping)
    if missing:
        from .headers import LABELS

        for field_name in missing:
            outcome.problems.append(
                Problem(
                    table.header_row,
                    str(LABELS[field_name]),
                    "",
                    _(
                        "No se encontró la columna obligatoria «%(label)s». Columnas del archivo: %(headers)s."
                    )
                    % {
                        "label": LABELS[field_name],
                        "headers": ", ".join(h for h in table.headers if h),
                    },
                )
            )
        return _finish(batch, outcome, written=False, preview=preview)
    sheet = Sheet(table, mapping, date_order=settings_for(organization).date_order)
    importer = IMPORTERS[kind](
        organization=organization,
        actor=batch.created_by,
        sheet=sheet,
        create_customers=batch.create_customers,
        progress=progress or _progress_saver(batch),
        batch=batch,
    )
    outcome = importer.analyse()
    if preview:
        return _finish(batch, outcome, written=False, preview=True)
    write = not batch.dry_run and (not outcome.errors or batch.valid_only) and importer.records
    if write:
        with transaction.atomic():
            new_uuids = importer.write()
            if new_uuids:
                from .cfdi import resolve_pending

                resolve_pending(organization=organization, uuids=new_uuids, actor=batch.created_by)
            _record_batch_activity(batch, outcome)
    return _finish(batch, outcome, written=bool(write) or not importer.records)


def _mapping_for(organization, kind, headers) -> dict[str, int]:
    remembered = ColumnMapping.objects.filter(
        organization=organization, kind=kind, layout_key=layout_key(headers)
    ).first()
    if remembered is not None:
        return {k: int(v) for k, v in remembered.mapping.items()}
    return detect_mapping(kind, headers)


def _record_batch_activity(batch: ImportBatch, outcome: Outcome) -> None:
    record_activity(
        organization=batch.organization,
        actor=batch.created_by,
        kind=ActivityKind.IMPORT,
        summary=_(
            "Importación de %(kind)s «%(file)s»: %(created)s creados, %(updated)s actualizados, "
            "%(unchanged)s sin cambios, %(errors)s errores"
        )
        % {
            "kind": batch.get_kind_display().lower(),
            "file": batch.file_name,
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "errors": len(outcome.errors),
        },
        data={
            "batch_id": batch.pk,
            "kind": batch.kind,
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "errors": len(outcome.errors),
        },
    )


def import_file(
    *,
    organization,
    actor,
    kind: str,
    file_name: str,
    data: bytes,
    dry_run=False,
    valid_only=False,
    create_customers=False,
    mapping=None,
    progress=None,
) -> ImportBatch:
    """Create a batch and run it now (the command line and tests)."""
    if kind == ImportKind.CFDI:
        raise ValueError("use import_cfdi for CFDI files")
    batch = create_batch(
        organization=organization,
        actor=actor,
        kind=kind,
        file_name=file_name,
        data=data,
        dry_run=dry_run,
        valid_only=valid_only,
        create_customers=create_customers,
    )
    return run_tabular_import(batch=batch, data=data, mapping=mapping, progress=progress)


def _stored_data(batch: ImportBatch) -> bytes:
    with batch.file.open("rb") as handle:
        return handle.read()


def _mapping_by_index(batch: ImportBatch, data: bytes) -> dict[str, int] | None:
    """``batch.mapping`` keeps header names (robust to column order); back to indexes."""
    if not batch.mapping:
        return None
    table = read_table(data, batch.file_name, known_names(batch.kind))
    return {k: table.headers.index(v) for k, v in batch.mapping.items() if v in table.headers}


@transaction.atomic
def start_preview(
    *, batch: ImportBatch, headers: list[str], mapping: dict[str, int]
) -> ImportBatch:
    """Wizard step 2 → 3: remember the mapping for this layout and queue the preview (the
    validation of the kept file) as a background task, enqueued once this commits."""
    from .tasks import run_preview_batch

    locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status not in (BatchStatus.UPLOADED, BatchStatus.PREVIEWED):
        raise ValueError("only an uploaded or previewed batch can be previewed")
    mapping = {k: v for k, v in mapping.items() if 0 <= v < len(headers)}
    remember_mapping(
        organization=locked.organization, kind=locked.kind, headers=headers, mapping=mapping
    )
    # Header names, like the import step reads them back (robust to column order).
    locked.mapping = {k: headers[v] for k, v in mapping.items()}
    locked.status = BatchStatus.PREVIEWING
    locked.failure = ""
    locked.processed_rows = locked.total_rows = 0
    locked.created_count = locked.updated_count = locked.unchanged_count = 0
    locked.error_count = locked.warning_count = locked.skipped_rows = 0
    locked.save()
    locked.problems.all().delete()  # a new preview replaces the previous one
    transaction.on_commit(lambda: run_preview_batch.enqueue(locked.pk))
    return locked


def run_preview(batch_id: int) -> ImportBatch:
    """The preview task: validate the kept file with the batch's mapping, store every
    problem and the would-be counts, write no business data; the batch ends ``previewed``
    (or ``failed`` with the error). A batch that is not waiting for a preview is left alone."""
    batch = ImportBatch.objects.select_related("organization", "created_by").get(pk=batch_id)
    if batch.status != BatchStatus.PREVIEWING:
        return batch
    try:
        data = _stored_data(batch)
        mapping = _mapping_by_index(batch, data)
        return run_tabular_import(batch=batch, data=data, mapping=mapping or {}, preview=True)
    except Exception as exc:
        _fail(batch, exc)
        raise


def _fail(batch: ImportBatch, exc: Exception) -> None:
    """Leave a batch clearly failed, with the error, and without a half-stored report."""
    with transaction.atomic():
        batch.problems.all().delete()
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED,
            failure=str(exc)[:2000] or type(exc).__name__,
            finished_at=timezone.now(),
        )
    batch.refresh_from_db()


@transaction.atomic
def confirm_batch(*, batch: ImportBatch, valid_only: bool) -> ImportBatch:
    """Wizard step 4: queue a previewed batch for the background import."""
    from .tasks import run_import_batch

    locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != BatchStatus.PREVIEWED:
        raise ValueError("only a previewed batch can be confirmed")
    locked.valid_only = valid_only
    locked.status = BatchStatus.QUEUED
    locked.processed_rows = 0
    locked.save(update_fields=["valid_only", "status", "processed_rows"])
    transaction.on_commit(lambda: run_import_batch.enqueue(locked.pk))
    return locked


def run_batch(batch_id: int) -> ImportBatch:
    """Run a batch uploaded through the web (its file stored with it). Idempotent: a batch
    that already finished is left alone."""
    batch = ImportBatch.objects.select_related("organization", "created_by").get(pk=batch_id)
    if batch.is_finished:
        return batch
    try:
        data = _stored_data(batch)
        if batch.kind == ImportKind.CFDI:
            from .cfdi import run_cfdi_import, sources_from_upload

            return run_cfdi_import(batch=batch, sources=sources_from_upload(data))
        return run_tabular_import(batch=batch, data=data, mapping=_mapping_by_index(batch, data))
    except Exception as exc:
        batch.status = BatchStatus.FAILED
        batch.failure = str(exc)[:2000]
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "failure", "finished_at"])
        raise


@transaction.atomic
def queue_cfdi_upload(*, organization, actor, file_name: str, data: bytes) -> ImportBatch:
    """The drag-and-drop CFDI upload: keep the files (one zip) and queue the import once
    the batch is committed (a worker must never look for a batch that is not there yet)."""
    from .tasks import run_import_batch

    batch = create_batch(
        organization=organization,
        actor=actor,
        kind=ImportKind.CFDI,
        file_name=file_name,
        data=data,
        keep_file=True,
    )
    batch.status = BatchStatus.QUEUED
    batch.save(update_fields=["status"])
    transaction.on_commit(lambda: run_import_batch.enqueue(batch.pk))
    return batch
