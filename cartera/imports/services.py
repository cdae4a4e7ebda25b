"""Running imports: one ``ImportBatch`` per file (or per CFDI upload), its problems
stored row by row, one timeline entry per batch (``batches``).

All-or-nothing by default: one bad row and nothing is written. ``valid_only`` writes
the valid rows and reports the rest. ``dry_run`` validates and counts only. Each run
reads its file once.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy

from cartera.timeline.choices import ActivityKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activity

from .batches import (
    create_batch,
    fail,
    fail_run,
    finish,
    mark_running,
    progress_saver,
    record_batch_activity,
    stored_data,
)
from .cfdi import run_cfdi_import
from .cfdi_reader import sources_from_upload
from .choices import FILE_KINDS, BatchStatus, DateOrder, ImportKind, Severity
from .dte import EXTENSIONS as DTE_EXTENSIONS
from .dte import run_dte_import
from .headers import (
    LABELS,
    detect_mapping,
    ignored_headers,
    known_names,
    layout_key,
    missing_required,
)
from .importers import IMPORTERS
from .models import ColumnMapping, ImportBatch, ImportSettings
from .pending import resolve_pending
from .problem_text import gettext as _
from .problem_text import message_of
from .rows import Outcome, Problem, Sheet
from .selectors import settings_for
from .tabular import FileError, Table, read_table
from .values import cell_text

SAMPLE_ROWS = 3


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
        summary=sentence(gettext_lazy("Preferencias de importación modificadas")),
        data={"import_settings": {"before": before, "after": after}},
    )
    return current


def mapping_for(organization, kind: str, headers: list[str]) -> tuple[dict[str, int], bool]:
    """The mapping remembered for this header row, else the detected one; and whether
    it was remembered."""
    remembered = ColumnMapping.objects.filter(
        organization=organization, kind=kind, layout_key=layout_key(headers)
    ).first()
    if remembered is not None:
        return {k: int(v) for k, v in remembered.mapping.items()}, True
    return detect_mapping(kind, headers), False


def read_file_layout(*, organization, kind: str, data: bytes, file_name: str) -> dict:
    """Header row, detected (or remembered) mapping and a few sample rows, for the wizard
    (reads the file once)."""
    table = read_table(data, file_name, known_names(kind))
    mapping, remembered = mapping_for(organization, kind, table.headers)
    return {
        "headers": table.headers,
        "samples": [[cell_text(c) for c in cells] for _n, cells in table.rows[:SAMPLE_ROWS]],
        "mapping": mapping,
        "remembered": remembered,
        "ignored": ignored_headers(table.headers, mapping),
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


def _missing_columns(kind: str, table: Table, mapping: dict[str, int]) -> list[Problem]:
    return [
        Problem(
            table.header_row,
            str(LABELS[field_name]),
            "",
            _(
                "No se encontró la columna obligatoria «%(label)s». Columnas del archivo: %(headers)s."
            )
            % {"label": LABELS[field_name], "headers": ", ".join(h for h in table.headers if h)},
        )
        for field_name in missing_required(kind, mapping)
    ]


def _ignored_columns(table: Table, mapping: dict[str, int]) -> tuple[list[str], list[Problem]]:
    """Every named column no field takes, and one warning for each: nothing in it is
    imported, and people must know (docs/import.md)."""
    ignored = ignored_headers(table.headers, mapping)
    return ignored, [
        Problem(
            table.header_row,
            header,
            "",
            _("La columna «%(header)s» no se importa: no corresponde a ningún dato.")
            % {"header": header},
            severity=Severity.WARNING,
        )
        for header in ignored
    ]


def _with_ignored_columns(outcome: Outcome, table: Table, mapping: dict[str, int]) -> Outcome:
    outcome.ignored_columns, warnings = _ignored_columns(table, mapping)
    outcome.problems = sorted(
        [*warnings, *outcome.problems], key=lambda p: (p.row is not None, p.row or 0)
    )
    return outcome


def run_tabular_import(
    *,
    batch: ImportBatch,
    data: bytes,
    mapping: dict[str, int] | None = None,
    progress=None,
    preview: bool = False,
) -> ImportBatch:
    """Read (once), validate and (unless invalid, a dry run or a preview) write one
    spreadsheet.

    ``preview`` (the wizard's step 3): validate and count what *would* be created,
    updated and unchanged, store every problem, write nothing; the batch is left
    ``previewed`` waiting for the user's confirmation."""
    if not preview:
        mark_running(batch)
    outcome = Outcome()
    try:
        table = read_table(data, batch.file_name, known_names(batch.kind))
    except FileError as exc:
        outcome.problems.append(Problem(None, "", "", message_of(exc)))
        return finish(batch, outcome, written=False, preview=preview)
    if mapping is None:
        mapping, _remembered = mapping_for(batch.organization, batch.kind, table.headers)
    batch.mapping = {
        k: table.headers[v] if v < len(table.headers) else "" for k, v in mapping.items()
    }
    outcome.problems.extend(_missing_columns(batch.kind, table, mapping))
    if outcome.problems:
        outcome = _with_ignored_columns(outcome, table, mapping)
        return finish(batch, outcome, written=False, preview=preview)
    importer = IMPORTERS[batch.kind](
        organization=batch.organization,
        actor=batch.created_by,
        sheet=Sheet(table, mapping, date_order=settings_for(batch.organization).date_order),
        create_customers=batch.create_customers,
        progress=progress or progress_saver(batch),
        batch=batch,
    )
    outcome = _with_ignored_columns(importer.analyse(), table, mapping)
    if preview:
        return finish(batch, outcome, written=False, preview=True)
    write = not batch.dry_run and (not outcome.errors or batch.valid_only) and importer.records
    if write:
        _write(batch, importer, outcome)
    return finish(batch, outcome, written=bool(write) or not importer.records)


def _write(batch: ImportBatch, importer, outcome: Outcome) -> None:
    with transaction.atomic():
        new_uuids = importer.write()
        if new_uuids:
            resolve_pending(
                organization=batch.organization, uuids=new_uuids, actor=batch.created_by
            )
        record_batch_activity(batch, outcome)


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
    if kind in FILE_KINDS:
        raise ValueError("use import_cfdi / import_dte for CFDI and DTE files")
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


def chosen_columns(batch: ImportBatch) -> dict[str, int] | None:
    """The mapping the user chose in the wizard, as column indexes (kept on the batch, so
    no stage reads the file for it); None when nothing was chosen."""
    if batch.columns:
        return {k: int(v) for k, v in batch.columns.items()}
    if not batch.mapping or not batch.headers:
        # Nothing chosen, or chosen before the layout was kept on the batch: the
        # remembered mapping for this layout is the one the user confirmed.
        return None
    return {k: batch.headers.index(v) for k, v in batch.mapping.items() if v in batch.headers}


def run_preview(batch_id: int) -> ImportBatch:
    """The preview task: validate the kept file with the batch's mapping, store every
    problem and the would-be counts, write no business data; the batch ends ``previewed``
    (or ``failed`` with the error). A batch that is not waiting for a preview is left alone."""
    batch = ImportBatch.objects.select_related("organization", "created_by").get(pk=batch_id)
    if batch.status != BatchStatus.PREVIEWING:
        return batch
    try:
        return run_tabular_import(
            batch=batch, data=stored_data(batch), mapping=chosen_columns(batch) or {}, preview=True
        )
    except Exception as exc:
        fail(batch, exc)
        raise


def run_batch(batch_id: int) -> ImportBatch:
    """Run a batch uploaded through the web (its file stored with it). Idempotent: a batch
    that already finished is left alone."""
    batch = ImportBatch.objects.select_related("organization", "created_by").get(pk=batch_id)
    if batch.is_finished:
        return batch
    try:
        data = stored_data(batch)
        if batch.kind == ImportKind.CFDI:
            return run_cfdi_import(batch=batch, sources=sources_from_upload(data))
        if batch.kind == ImportKind.DTE:
            return run_dte_import(batch=batch, sources=sources_from_upload(data, DTE_EXTENSIONS))
        return run_tabular_import(batch=batch, data=data, mapping=chosen_columns(batch))
    except Exception as exc:
        fail_run(batch, exc)
        raise
