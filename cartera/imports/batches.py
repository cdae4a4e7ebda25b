"""The life of an ``ImportBatch``: created, running, finished (done or invalid) or failed,
its problems stored row by row, and its one timeline entry."""

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from cartera.timeline.choices import ActivityKind
from cartera.timeline.sentences import label, sentence
from cartera.timeline.services import record_activity

from .choices import BatchStatus
from .models import ImportBatch, ImportRowError
from .problem_text import stored_form
from .rows import Outcome, Problem

PROBLEM_BATCH = 2_000


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
    layout: dict | None = None,
) -> ImportBatch:
    """Register an import (the file itself is kept only for background runs); ``layout``
    (from ``read_file_layout``) keeps the header and samples for the wizard's later steps."""
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
    if layout is not None:
        batch.headers = layout["headers"]
        batch.sample_rows = layout["samples"]
        batch.suggested_columns = layout["mapping"]
        batch.mapping_remembered = layout["remembered"]
    if keep_file and data is not None:
        batch.file.save(
            f"{timezone.now():%Y%m%d%H%M%S}-{batch.file_sha256[:12]}", ContentFile(data), save=False
        )
    batch.save()
    return batch


def mark_running(batch: ImportBatch) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING)


def stored_data(batch: ImportBatch) -> bytes:
    with batch.file.open("rb") as handle:
        return handle.read()


def store_problems(batch: ImportBatch, problems: list[Problem]) -> None:
    ImportRowError.objects.bulk_create(
        [
            ImportRowError(
                batch=batch,
                severity=p.severity,
                row=p.row,
                column=p.column[:120],
                value=str(p.value)[:300],
                message=p.message[:500],
                message_data=stored_form(p.message),
                file_name=p.file_name[:255],
            )
            for p in problems
        ],
        batch_size=PROBLEM_BATCH,
    )


def _set_counts(batch: ImportBatch, outcome: Outcome, *, keep_counts: bool) -> None:
    errors = len(outcome.errors)
    batch.total_rows = outcome.total_rows
    batch.processed_rows = outcome.total_rows
    if keep_counts:
        batch.created_count = outcome.created
        batch.updated_count = outcome.updated
        batch.unchanged_count = outcome.unchanged
        batch.contacts_created = outcome.contacts_created
        batch.contacts_updated = outcome.contacts_updated
    else:  # nothing was written: say so (a dry run or preview keeps the would-be numbers)
        batch.created_count = batch.updated_count = batch.unchanged_count = 0
        batch.contacts_created = batch.contacts_updated = 0
    batch.ignored_columns = outcome.ignored_columns
    batch.error_count = errors
    batch.warning_count = len(outcome.problems) - errors
    batch.skipped_rows = outcome.skipped


def finish(
    batch: ImportBatch, outcome: Outcome, *, written: bool, preview: bool = False
) -> ImportBatch:
    """Store the counts and every problem; the batch ends previewed, invalid or done."""
    _set_counts(batch, outcome, keep_counts=written or batch.dry_run or preview)
    if preview:
        batch.status = BatchStatus.PREVIEWED
    else:
        batch.status = BatchStatus.INVALID if batch.error_count else BatchStatus.DONE
        batch.finished_at = timezone.now()
    batch.save()
    batch.problems.all().delete()  # a preview's problems are replaced by the real run's
    store_problems(batch, outcome.problems)
    return batch


def fail(batch: ImportBatch, exc: Exception) -> None:
    """Leave a batch clearly failed, with the error, and without a half-stored report."""
    with transaction.atomic():
        batch.problems.all().delete()
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED,
            failure=str(exc)[:2000] or type(exc).__name__,
            finished_at=timezone.now(),
        )
    batch.refresh_from_db()


def fail_run(batch: ImportBatch, exc: Exception) -> None:
    """A background import that crashed: failed with the error (its report is kept)."""
    batch.status = BatchStatus.FAILED
    batch.failure = str(exc)[:2000]
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "failure", "finished_at"])


def progress_saver(batch: ImportBatch):
    def save(done: int, total: int) -> None:
        ImportBatch.objects.filter(pk=batch.pk).update(
            processed_rows=min(done, total), total_rows=total
        )

    return save


def record_batch_activity(batch: ImportBatch, outcome: Outcome) -> None:
    """The batch's own timeline entry for a spreadsheet import."""
    counts = {
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "errors": len(outcome.errors),
    }
    record_activity(
        organization=batch.organization,
        actor=batch.created_by,
        kind=ActivityKind.IMPORT,
        summary=sentence(
            gettext_lazy(
                "Importación de %(kind)s «%(file)s»: %(created)s creados, %(updated)s "
                "actualizados, %(unchanged)s sin cambios, %(errors)s errores"
            ),
            kind=label(batch, "kind", lower=True),
            file=batch.file_name,
            **counts,
        ),
        data={"batch_id": batch.pk, "kind": batch.kind, **counts},
    )


def record_cfdi_batch_activity(batch: ImportBatch, outcome: Outcome) -> None:
    """The batch's own timeline entry for a CFDI import."""
    record_activity(
        organization=batch.organization,
        actor=batch.created_by,
        kind=ActivityKind.IMPORT,
        summary=sentence(
            gettext_lazy("Importación de CFDI: %(c)s nuevos, %(u)s ya importados, %(e)s con error"),
            c=outcome.created,
            u=outcome.unchanged,
            e=len(outcome.errors),
        ),
        data={
            "batch_id": batch.pk,
            "kind": "cfdi",
            "created": outcome.created,
            "unchanged": outcome.unchanged,
            "errors": len(outcome.errors),
        },
    )
