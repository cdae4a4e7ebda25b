from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cartera.invoices.models import MONEY

from .choices import FILE_KINDS, BatchStatus, DateOrder, ImportKind, Severity
from .problem_text import shown


class ImportSettings(models.Model):
    """Per-organisation import preferences (created on first use with defaults)."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="import_settings"
    )
    date_order = models.CharField(
        _("orden de día y mes en fechas ambiguas"),
        max_length=3,
        choices=DateOrder.choices,
        default=DateOrder.DMY,
    )
    pue_paid_at_issue = models.BooleanField(
        _("las facturas PUE se consideran pagadas al emitirse"), default=False
    )

    class Meta:
        verbose_name = _("preferencias de importación")


def batch_file_path(instance, filename):
    return f"org-{instance.organization_id}/imports/{filename}"


class ImportBatch(models.Model):
    """One import: who, when, which file, what happened (counts, status, error report)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    kind = models.CharField(_("tipo"), max_length=12, choices=ImportKind.choices)
    status = models.CharField(
        _("estado"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.UPLOADED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    file_name = models.CharField(_("archivo"), max_length=255)
    file_sha256 = models.CharField(max_length=64, blank=True)
    file = models.FileField(upload_to=batch_file_path, max_length=300, blank=True)
    dry_run = models.BooleanField(_("solo revisar"), default=False)
    valid_only = models.BooleanField(_("importar solo las filas válidas"), default=False)
    create_customers = models.BooleanField(_("crear clientes desconocidos"), default=False)
    mapping = models.JSONField(default=dict, blank=True)  # field → header name (as shown)
    # Read once at upload so the later wizard stages need not read the file for them:
    headers = models.JSONField(default=list, blank=True)
    sample_rows = models.JSONField(default=list, blank=True)  # first rows, as text
    suggested_columns = models.JSONField(default=dict, blank=True)  # field → column index
    mapping_remembered = models.BooleanField(default=False)
    columns = models.JSONField(default=dict, blank=True)  # the chosen field → column index
    total_rows = models.PositiveIntegerField(_("filas"), default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(_("creados"), default=0)
    updated_count = models.PositiveIntegerField(_("actualizados"), default=0)
    unchanged_count = models.PositiveIntegerField(_("sin cambios"), default=0)
    error_count = models.PositiveIntegerField(_("errores"), default=0)
    warning_count = models.PositiveIntegerField(_("avisos"), default=0)
    skipped_rows = models.PositiveIntegerField(_("filas ignoradas"), default=0)
    ignored_columns = models.JSONField(default=list, blank=True)  # headers not imported
    contacts_created = models.PositiveIntegerField(_("contactos creados"), default=0)
    contacts_updated = models.PositiveIntegerField(_("contactos actualizados"), default=0)
    failure = models.TextField(blank=True)
    # CFDI imports: one {file, status, uuid, kind, message} per file read
    file_results = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("importación")
        verbose_name_plural = _("importaciones")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="importbatch_org")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.file_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in (BatchStatus.DONE, BatchStatus.INVALID, BatchStatus.FAILED)

    @property
    def in_progress(self) -> bool:
        """Previewing, queued or running in the background (the progress bar polls)."""
        return self.status in (BatchStatus.PREVIEWING, BatchStatus.QUEUED, BatchStatus.RUNNING)

    @property
    def progress_percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.processed_rows * 100 / self.total_rows))

    def as_json(self) -> dict:
        """The ``--json`` contract of ``cartera import``."""
        errors = self.problems.filter(severity=Severity.ERROR)
        warnings = self.problems.filter(severity=Severity.WARNING)
        data = {
            "status": "invalid" if self.error_count else "ok",
            "created": self.created_count,
            "updated": self.updated_count,
            "unchanged": self.unchanged_count,
            "errors": [p.as_json() for p in errors],
            "warnings": [p.as_json() for p in warnings],
            "skipped": self.skipped_rows,
            "batch": self.pk,
            "dry_run": self.dry_run,
            "ignored_columns": list(self.ignored_columns),
            "contacts": {"created": self.contacts_created, "updated": self.contacts_updated},
        }
        if self.kind in FILE_KINDS:
            data["files"] = list(self.file_results)
        return data


class ImportRowError(models.Model):
    """One problem found in an import: row (as Excel shows it) or file, column, value, reason."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="problems")
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.ERROR)
    row = models.PositiveIntegerField(_("fila"), null=True, blank=True)
    file_name = models.CharField(_("archivo"), max_length=255, blank=True)
    column = models.CharField(_("columna"), max_length=120, blank=True)
    value = models.CharField(_("valor"), max_length=300, blank=True)
    # ``message`` is the reason in the importer's language; ``message_data`` its msgid and
    # arguments (``problem_text``), empty for reasons stored as written and older rows.
    message = models.CharField(_("motivo"), max_length=500)
    message_data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    @property
    def text(self) -> str:
        """The reason in the reader's (active) language."""
        return shown(self.message, self.message_data)

    def as_json(self) -> dict:
        data = {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.text,
        }
        if self.file_name:
            data["file"] = self.file_name
        return data


class ColumnMapping(models.Model):
    """The column mapping a user confirmed for one file layout (its header row)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    kind = models.CharField(max_length=12, choices=ImportKind.choices)
    layout_key = models.CharField(max_length=64)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "layout_key"], name="columnmapping_unique_layout"
            )
        ]


class PendingAllocation(models.Model):
    """Money from a CFDI payment complement or credit note that names an invoice UUID not
    in Cartera yet. Applied automatically when that invoice is imported."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    batch = models.ForeignKey(ImportBatch, on_delete=models.SET_NULL, null=True, blank=True)
    payment = models.ForeignKey("payments.Payment", on_delete=models.PROTECT, null=True, blank=True)
    credit_note = models.ForeignKey(
        "invoices.CreditNote", on_delete=models.PROTECT, null=True, blank=True
    )
    invoice_uuid = models.CharField(_("UUID de la factura"), max_length=64)
    amount = models.DecimalField(_("importe"), **MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3)
    previous_balance = models.DecimalField(**MONEY, null=True, blank=True)
    remaining_balance = models.DecimalField(**MONEY, null=True, blank=True)
    installment = models.PositiveIntegerField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    allocation = models.ForeignKey(
        "payments.Allocation", on_delete=models.SET_NULL, null=True, blank=True
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(payment__isnull=False) & Q(credit_note__isnull=True))
                | (Q(payment__isnull=True) & Q(credit_note__isnull=False)),
                name="pendingallocation_one_source",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "invoice_uuid"], name="pendingalloc_org_uuid")
        ]


class SatDownloadStatus(models.TextChoices):
    REQUESTED = "requested", _("Solicitada")
    IN_PROGRESS = "in_progress", _("En proceso en el SAT")
    IMPORTED = "imported", _("Importada")
    NO_DATA = "no_data", _("Sin CFDI en el periodo")
    REJECTED = "rejected", _("Rechazada por el SAT")
    FAILED = "failed", _("Falló")


class SatDownload(models.Model):
    """One request to the SAT's Descarga Masiva for the CFDI the organisation issued in a
    period, followed until its packages are imported (``imports.sat_download``)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    period_start = models.DateField(_("desde"))
    period_end = models.DateField(_("hasta"))
    request_id = models.CharField(_("folio de la solicitud"), max_length=64, blank=True)
    status = models.CharField(
        _("estado"),
        max_length=12,
        choices=SatDownloadStatus.choices,
        default=SatDownloadStatus.REQUESTED,
    )
    sat_code = models.CharField(_("código del SAT"), max_length=8, blank=True)
    message = models.CharField(_("mensaje"), max_length=500, blank=True)
    packages = models.JSONField(default=list, blank=True)  # the SAT's package ids
    imported_packages = models.JSONField(default=list, blank=True)
    batches = models.ManyToManyField(ImportBatch, blank=True, related_name="sat_downloads")
    checks = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"SAT {self.period_start}–{self.period_end} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (SatDownloadStatus.REQUESTED, SatDownloadStatus.IN_PROGRESS)
