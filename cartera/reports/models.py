"""Report settings per organisation, classification history and daily snapshots."""

from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from cartera.customers.choices import Classification

DEFAULT_AGING_LIMITS = [30, 60, 90]


def default_aging_limits() -> list[int]:
    return list(DEFAULT_AGING_LIMITS)


class ReportSettings(models.Model):
    """Per-organisation knobs of the reports: aging buckets and classification thresholds.

    Classification (see docs/reports.md): D when the oldest overdue invoice is more than
    ``d_min_oldest_overdue_days`` late or the average lateness exceeds
    ``c_max_avg_days_late``; otherwise, with at least ``min_invoices_paid`` paid invoices in
    the window, A when average lateness ≤ ``a_max_avg_days_late``, on-time share ≥
    ``a_min_on_time_rate`` and oldest overdue ≤ ``a_max_oldest_overdue_days``; B when average
    lateness ≤ ``b_max_avg_days_late`` and oldest overdue ≤ ``b_max_oldest_overdue_days``;
    C otherwise. Without enough history and nothing overdue the customer stays unclassified.
    """

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="report_settings"
    )
    aging_limits = models.JSONField(
        _("límites de antigüedad (días)"), default=default_aging_limits, blank=True
    )
    behaviour_window_months = models.PositiveSmallIntegerField(
        _("ventana de comportamiento (meses)"), default=12
    )
    min_invoices_paid = models.PositiveSmallIntegerField(_("facturas pagadas mínimas"), default=1)
    a_max_avg_days_late = models.DecimalField(
        _("A: atraso promedio máximo"), max_digits=6, decimal_places=1, default=Decimal("3")
    )
    a_min_on_time_rate = models.DecimalField(
        _("A: % mínimo pagado a tiempo"), max_digits=5, decimal_places=1, default=Decimal("80")
    )
    a_max_oldest_overdue_days = models.PositiveIntegerField(
        _("A: vencido más antiguo máximo (días)"), default=15
    )
    b_max_avg_days_late = models.DecimalField(
        _("B: atraso promedio máximo"), max_digits=6, decimal_places=1, default=Decimal("15")
    )
    b_max_oldest_overdue_days = models.PositiveIntegerField(
        _("B: vencido más antiguo máximo (días)"), default=45
    )
    c_max_avg_days_late = models.DecimalField(
        _("C: atraso promedio máximo"), max_digits=6, decimal_places=1, default=Decimal("45")
    )
    d_min_oldest_overdue_days = models.PositiveIntegerField(
        _("D: vencido más antiguo mayor a (días)"), default=90
    )

    class Meta:
        verbose_name = _("configuración de reportes")


class ClassificationHistory(models.Model):
    """A change of a customer's class on a date (one row per customer and day at most)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="classification_history"
    )
    date = models.DateField(_("fecha"))
    classification = models.CharField(
        _("clasificación"), max_length=1, choices=Classification.choices, blank=True
    )
    previous = models.CharField(_("anterior"), max_length=1, blank=True)
    metrics = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("historial de clasificación")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "date"], name="classification_history_unique_day"
            )
        ]


class DailySnapshot(models.Model):
    """The main figures of one organisation and currency at the end of one day."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    date = models.DateField(_("fecha"))
    currency = models.CharField(_("moneda"), max_length=3)
    receivable = models.DecimalField(_("cartera"), max_digits=18, decimal_places=2)
    overdue = models.DecimalField(_("vencido"), max_digits=18, decimal_places=2)
    buckets = models.JSONField(_("antigüedad"), default=dict, encoder=DjangoJSONEncoder)
    collected = models.DecimalField(_("cobrado en el día"), max_digits=18, decimal_places=2)
    dso = models.DecimalField(_("DSO"), max_digits=8, decimal_places=1, null=True, blank=True)
    cei = models.DecimalField(_("CEI"), max_digits=6, decimal_places=1, null=True, blank=True)
    # The month-to-date indicators in full (exact decimals as strings: credit_sales,
    # ar_begin, ar_end, ar_current_end, dso_countback, countback_exhausted); the snapshot
    # of a month's last day gives that month's point of the trend charts without
    # recomputation (indicators.monthly_trend).
    indicators = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("foto diaria")
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "date", "currency"], name="snapshot_unique_day_currency"
            )
        ]


class CommissionRule(models.Model):
    """An agent commission: ``rate`` percent of what is collected on the agent's customers,
    optionally only for payments applied to invoices in one aging bucket at the time of
    payment (``bucket`` "" = any), capped at ``cap`` per agent and period (see
    cartera/reports/agents.py and docs/workday.md). Each rule is computed and capped on
    its own; an agent's commission is the sum of their rules."""

    class Bucket(models.TextChoices):
        ANY = "", _("Cualquier antigüedad")
        CURRENT = "current", _("Por vencer")
        D1_30 = "d1_30", _("1–30 días")
        D31_60 = "d31_60", _("31–60 días")
        D61_90 = "d61_90", _("61–90 días")
        D90_PLUS = "d90_plus", _("Más de 90 días")

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    name = models.CharField(_("nombre"), max_length=120)
    rate = models.DecimalField(_("porcentaje"), max_digits=6, decimal_places=3)
    bucket = models.CharField(
        _("antigüedad al pagar"), max_length=10, choices=Bucket.choices, blank=True
    )
    currency = models.CharField(_("moneda"), max_length=3)
    cap = models.DecimalField(
        _("tope por periodo"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    is_active = models.BooleanField(_("activa"), default=True)

    class Meta:
        verbose_name = _("regla de comisión")
        verbose_name_plural = _("reglas de comisión")
        ordering = ["name", "id"]


class CollectionTarget(models.Model):
    """How much the organisation wants to collect every month in one currency; the
    dashboard shows "collected this month vs. target"."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    currency = models.CharField(_("moneda"), max_length=3)
    amount = models.DecimalField(_("meta mensual"), max_digits=18, decimal_places=2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("meta de cobranza")
        verbose_name_plural = _("metas de cobranza")
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "currency"], name="collectiontarget_unique_currency"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="collectiontarget_amount_positive"
            ),
        ]


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("En cola")
    RUNNING = "running", _("Generando")
    DONE = "done", _("Listo")
    FAILED = "failed", _("Falló")


def export_path(job: "ExportJob", filename: str) -> str:
    return f"exports/{job.organization_id}/{job.pk or 'new'}-{filename}"


class ExportJob(models.Model):
    """A large export (activity log, statement, forecast) built by a background task; the
    member who asked follows its progress and downloads the file (docs/reports.md)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs"
    )
    source = models.CharField(_("reporte"), max_length=40)
    kind = models.CharField(_("formato"), max_length=4)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("estado"), max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    title = models.CharField(_("título"), max_length=200, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    file = models.FileField(upload_to=export_path, max_length=300, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("exportación")
        ordering = ["-created_at", "-id"]

    @property
    def in_progress(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def progress_percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.processed_rows * 100 // self.total_rows)


class ForecastWeek(models.Model):
    """One week of the organisation's expected collections, as the nightly forecast
    computed it (reports.services.store_forecast); the dashboard reads the latest run."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    computed_on = models.DateField(_("calculado el"))
    currency = models.CharField(_("moneda"), max_length=3)
    week_start = models.DateField(_("semana del"))
    expected = models.DecimalField(_("esperado"), max_digits=18, decimal_places=2)
    p10 = models.DecimalField("P10", max_digits=18, decimal_places=2)
    p90 = models.DecimalField("P90", max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("semana del pronóstico")
        ordering = ["currency", "week_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "currency", "week_start"], name="forecast_week_unique"
            )
        ]


class Frequency(models.TextChoices):
    DAILY = "daily", _("Diario")
    WEEKLY = "weekly", _("Semanal")
    MONTHLY = "monthly", _("Mensual")


class ReportSubscription(models.Model):
    """A member's standing order for a report: which one, how often, in which format, with
    which page filters, to which members of the organisation (docs/reports.md, "Scheduled
    reports"). The report is built with its owner's view of the data."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    report = models.CharField(_("reporte"), max_length=20)
    frequency = models.CharField(_("frecuencia"), max_length=8, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(_("día de la semana"), null=True, blank=True)
    month_day = models.PositiveSmallIntegerField(_("día del mes"), null=True, blank=True)
    kind = models.CharField(_("formato"), max_length=4)
    filters = models.JSONField(_("filtros"), default=dict, blank=True)
    recipients = models.ManyToManyField("orgs.Membership", related_name="report_subscriptions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "id"]


def delivery_path(delivery: "ReportDelivery", filename: str) -> str:
    return f"scheduled-reports/{delivery.subscription.organization_id}/{filename}"


class ReportDelivery(models.Model):
    """One produced report: at most one per subscription and local day (the slot rule —
    a second run of the same slot finds the row and does nothing)."""

    subscription = models.ForeignKey(
        ReportSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    day = models.DateField()
    filename = models.CharField(max_length=200, blank=True)
    file = models.FileField(upload_to=delivery_path, max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "day"], name="report_delivery_once")
        ]


class MemberMailStatus(models.TextChoices):
    QUEUED = "queued", _("En cola")
    SENDING = "sending", _("Enviando")
    SENT = "sent", _("Enviado")
    FAILED = "failed", _("Fallido")


class MemberMail(models.Model):
    """An e-mail to members of the organisation (scheduled reports, the daily digest). The
    outbox's ``Message`` belongs to a debtor (contact policy, opt-outs, tracking), which an
    internal mail has none of; these rows are sent by the same e-mail transport
    (``reports.mail``)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    key = models.CharField(max_length=120, unique=True)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    delivery = models.ForeignKey(ReportDelivery, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(
        max_length=8, choices=MemberMailStatus.choices, default=MemberMailStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # What the e-mail transport reads besides the fields above.
    cc: tuple = ()
    reply_to = ""
    body_html = ""


class DigestSettings(models.Model):
    """A member's daily digest: whether they receive it and in which language (empty: the
    organisation's). Members without a row receive it."""

    membership = models.OneToOneField(
        "orgs.Membership", on_delete=models.CASCADE, related_name="digest_settings"
    )
    receive = models.BooleanField(_("recibir el resumen diario"), default=True)
    language = models.CharField(_("idioma"), max_length=8, blank=True)
