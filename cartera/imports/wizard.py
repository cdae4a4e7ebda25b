"""The web import wizard: upload → columns → preview (background) → confirm → import
(background). The upload reads the file once and keeps its header, a few sample rows
and the suggested mapping on the batch; the columns step reads them from there; the
preview and the import each read the file once (``services.run_tabular_import``)."""

from django.db import transaction

from .batches import create_batch, stored_data
from .choices import BatchStatus, ImportKind
from .models import ImportBatch
from .services import read_file_layout, remember_mapping
from .tasks import run_import_batch, run_preview_batch


def upload_file(
    *, organization, actor, kind: str, file_name: str, data: bytes, create_customers: bool
) -> ImportBatch:
    """Wizard step 1: read the header (``FileError`` when the file is not a table) and
    keep the file and its layout for the next steps."""
    layout = read_file_layout(organization=organization, kind=kind, data=data, file_name=file_name)
    return create_batch(
        organization=organization,
        actor=actor,
        kind=kind,
        file_name=file_name,
        data=data,
        create_customers=create_customers,
        keep_file=True,
        layout=layout,
    )


def ensure_layout(batch: ImportBatch) -> ImportBatch:
    """A batch uploaded before the layout was kept on it: read it now, once."""
    if batch.headers or not batch.file:
        return batch
    layout = read_file_layout(
        organization=batch.organization,
        kind=batch.kind,
        data=stored_data(batch),
        file_name=batch.file_name,
    )
    batch.headers, batch.sample_rows = layout["headers"], layout["samples"]
    batch.suggested_columns, batch.mapping_remembered = layout["mapping"], layout["remembered"]
    batch.save(update_fields=["headers", "sample_rows", "suggested_columns", "mapping_remembered"])
    return batch


def selected_columns(batch: ImportBatch) -> dict[str, int]:
    """What the columns step shows as chosen: the user's choice when coming back from the
    preview, else the mapping suggested at upload."""
    if batch.status == BatchStatus.PREVIEWED and batch.columns:
        return {k: int(v) for k, v in batch.columns.items()}
    return {k: int(v) for k, v in batch.suggested_columns.items()}


@transaction.atomic
def start_preview(*, batch: ImportBatch, mapping: dict[str, int]) -> ImportBatch:
    """Wizard step 2 → 3: remember the mapping for this layout and queue the preview (the
    validation of the kept file) as a background task, enqueued once this commits."""
    locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status not in (BatchStatus.UPLOADED, BatchStatus.PREVIEWED):
        raise ValueError("only an uploaded or previewed batch can be previewed")
    headers = locked.headers
    mapping = {k: v for k, v in mapping.items() if 0 <= v < len(headers)}
    remember_mapping(
        organization=locked.organization, kind=locked.kind, headers=headers, mapping=mapping
    )
    locked.columns = mapping
    locked.mapping = {k: headers[v] for k, v in mapping.items()}  # as shown to people
    locked.status = BatchStatus.PREVIEWING
    locked.failure = ""
    locked.processed_rows = locked.total_rows = 0
    locked.created_count = locked.updated_count = locked.unchanged_count = 0
    locked.error_count = locked.warning_count = locked.skipped_rows = 0
    locked.contacts_created = locked.contacts_updated = 0
    locked.ignored_columns = []
    locked.save()
    locked.problems.all().delete()  # a new preview replaces the previous one
    transaction.on_commit(lambda: run_preview_batch.enqueue(locked.pk))
    return locked


@transaction.atomic
def confirm_batch(*, batch: ImportBatch, valid_only: bool) -> ImportBatch:
    """Wizard step 4: queue a previewed batch for the background import."""
    locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != BatchStatus.PREVIEWED:
        raise ValueError("only a previewed batch can be confirmed")
    locked.valid_only = valid_only
    locked.status = BatchStatus.QUEUED
    locked.processed_rows = 0
    locked.save(update_fields=["valid_only", "status", "processed_rows"])
    transaction.on_commit(lambda: run_import_batch.enqueue(locked.pk))
    return locked


@transaction.atomic
def queue_cfdi_upload(
    *, organization, actor, file_name: str, data: bytes, kind: str = ImportKind.CFDI
) -> ImportBatch:
    """The drag-and-drop CFDI (or DTE, ``kind``) upload: keep the files (one zip) and queue the import once
    the batch is committed (a worker must never look for a batch that is not there yet)."""
    batch = create_batch(
        organization=organization,
        actor=actor,
        kind=kind,
        file_name=file_name,
        data=data,
        keep_file=True,
    )
    batch.status = BatchStatus.QUEUED
    batch.save(update_fields=["status"])
    transaction.on_commit(lambda: run_import_batch.enqueue(batch.pk))
    return batch
