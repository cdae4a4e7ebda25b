"""Strategies (collection policies), their steps, and the planner's runs and decisions."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import DecisionAction, SkipReason, Stage, StepChannel
from .names import step_name


def _default_weekdays():
    return ["mon", "tue", "wed", "thu", "fri"]


class Strategy(models.Model):
    """An ordered list of steps plus the contact policy used when sending them.

    Strategies are versioned: every change saves a new ``StrategyVersion`` snapshot and
    bumps ``version``; each decision records the version that made it.
    """

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    key = models.SlugField(_("clave"), max_length=60)
    name = models.CharField(_("nombre"), max_length=200)
    description = models.TextField(_("descripción"), blank=True)
    is_default = models.BooleanField(_("por omisión"), default=False)
    version = models.PositiveIntegerField(_("versión"), default=1)
    # Contact policy (the organisation's legal floors still apply on top).
    window_start = models.TimeField(_("inicio de la ventana de envío"), default="09:00")
    window_end = models.TimeField(_("fin de la ventana de envío"), default="19:00")
    weekdays = models.JSONField(_("días de envío"), default=_default_weekdays)
    max_per_7_days = models.PositiveSmallIntegerField(
        _("máximo de mensajes por contacto en 7 días"), default=3
    )
    skip_holidays = models.BooleanField(_("no enviar en días feriados"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("estrategia")
        verbose_name_plural = _("estrategias")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="strategy_unique_key"),
            models.UniqueConstraint(
                fields=["organization"], condition=Q(is_default=True), name="strategy_one_default"
            ),
        ]

    def __str__(self):
        return self.name


class StrategyVersion(models.Model):
    """A frozen copy (the YAML document) of a strategy as it was at one version."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["strategy", "number"], name="strategyversion_unique")
        ]


# How a strategy's steps are ordered everywhere (planner, export, pages): by days, then
# by their place in the document (same-day steps), then by creation.
STEP_ORDER = ("offset_days", "position", "id")


class Step(models.Model):
    """One step of a strategy: what to do ``offset_days`` after (or before) the due date."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="steps")
    key = models.SlugField(_("clave"), max_length=60)
    name = models.CharField(_("nombre"), max_length=200, blank=True)
    stage = models.CharField(_("etapa"), max_length=12, choices=Stage.choices)
    offset_days = models.IntegerField(_("días desde el vencimiento"))
    channel = models.CharField(_("canal"), max_length=10, choices=StepChannel.choices)
    # Fallbacks in order of preference after ``channel`` (``channels: [whatsapp, sms,
    # email]`` in a strategy): the first with a usable contact point wins.
    channels = models.JSONField(_("canales de respaldo"), default=list, blank=True)
    template = models.CharField(_("plantilla"), max_length=60, blank=True)
    # A/B test: two or more template keys; each customer always gets the same one
    # (template_for), so the effectiveness report can compare them (cartera/reports).
    variants = models.JSONField(_("variantes de plantilla"), default=list, blank=True)
    repeat_every_days = models.PositiveSmallIntegerField(
        _("repetir cada (días)"), null=True, blank=True
    )
    max_repeats = models.PositiveSmallIntegerField(_("repeticiones máximas"), default=0)
    min_balance = models.DecimalField(
        _("saldo mínimo"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(_("nota en la bitácora"), max_length=300, blank=True)
    cc = models.CharField(_("copia a"), max_length=300, blank=True)
    attach_pdf = models.BooleanField(_("adjuntar PDF"), default=False)
    attach_xml = models.BooleanField(_("adjuntar XML"), default=False)
    # The step's place in its strategy document: among steps of the same day the planner
    # takes the last one in this order as the current step (docs/dunning.md).
    position = models.PositiveSmallIntegerField(_("orden"), default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("paso")
        verbose_name_plural = _("pasos")
        ordering = list(STEP_ORDER)
        constraints = [
            models.UniqueConstraint(fields=["strategy", "key"], name="step_unique_key"),
        ]

    def __str__(self):
        return f"{self.strategy.key}/{self.key}"

    @property
    def display_name(self) -> str:
        """The name in the reader's language when it is a built-in step's (``names``)."""
        return step_name(self.name)

    def fallback_channel_labels(self) -> list[str]:
        labels = dict(StepChannel.choices)
        return [str(labels.get(channel, channel)) for channel in self.channels or []]

    def template_for(self, customer_id: int) -> str:
        """The template for one customer: ``template`` without variants; with them, one
        variant picked by a hash of the strategy, the step and the customer id, so the
        split is random across customers but stable for each one."""
        return pick_template(
            strategy_id=self.strategy_id,
            step_key=self.key,
            template=self.template,
            variants=self.variants,
            customer_id=customer_id,
        )


def pick_template(
    *, strategy_id: int, step_key: str, template: str, variants, customer_id: int
) -> str:
    """``template`` when there are no variants; else the variant at sha256(strategy id,
    step key, customer id) modulo their number."""
    if not variants:
        return template
    seed = f"{strategy_id}:{step_key}:{customer_id}".encode()
    index = int.from_bytes(hashlib.sha256(seed).digest()[:8], "big") % len(variants)
    return str(variants[index])


class AssignmentRule(models.Model):
    """Picks a strategy for customers matching all of the rule's (non-empty) conditions."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField(_("orden"), default=0)
    classification = models.CharField(_("clasificación"), max_length=1, blank=True)
    tag = models.ForeignKey("customers.Tag", on_delete=models.CASCADE, null=True, blank=True)
    country = models.CharField(_("país"), max_length=2, blank=True)
    min_open_balance = models.DecimalField(
        _("saldo abierto desde"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    max_open_balance = models.DecimalField(
        _("saldo abierto hasta"), max_digits=18, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["position", "id"]


class CustomerStrategy(models.Model):
    """A customer's own strategy override (wins over rules and the default)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="strategy_override"
    )
    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE)


class PlannerRun(models.Model):
    """One execution of the planner for an organisation and as-of date."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    as_of = models.DateField()
    dry_run = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    invoices_seen = models.PositiveIntegerField(default=0)
    decisions_created = models.PositiveIntegerField(default=0)
    messages_created = models.PositiveIntegerField(default=0)
    tasks_created = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]


class Decision(models.Model):
    """Why the planner did (or did not) act on one invoice for one step.

    A firing (``send``/``superseded``) is unique per (invoice, step, firing number); a
    ``skip`` does not count as a firing, so it is reconsidered the next day and is
    unique per (invoice, step, firing number, date).
    """

    # Foreign-key indexes that composite indexes already cover (organization, customer)
    # or that nothing looks up by (run, task) are left out: the planner writes several
    # decisions per invoice and every index slows that down.
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, db_index=False)
    run = models.ForeignKey(
        PlannerRun, on_delete=models.SET_NULL, null=True, blank=True, db_index=False
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, db_index=False)
    invoice = models.ForeignKey(
        "invoices.Invoice", on_delete=models.CASCADE, related_name="dunning_decisions"
    )
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="decisions")
    strategy_version = models.PositiveIntegerField()
    firing_number = models.PositiveSmallIntegerField()
    as_of = models.DateField()
    action = models.CharField(max_length=12, choices=DecisionAction.choices)
    reason = models.CharField(max_length=20, choices=SkipReason.choices, blank=True)
    channel = models.CharField(max_length=10, choices=StepChannel.choices)
    why = models.CharField(_("por qué"), max_length=300, blank=True)
    message = models.ForeignKey(
        "outreach.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
    )
    task = models.ForeignKey(
        "followup.Task", on_delete=models.SET_NULL, null=True, blank=True, db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "step", "firing_number"],
                condition=Q(action__in=["send", "superseded"]),
                name="decision_unique_firing",
            ),
            models.UniqueConstraint(
                fields=["invoice", "step", "firing_number", "as_of"],
                condition=Q(action="skip"),
                name="decision_unique_skip_per_day",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "invoice"], name="decision_customer_invoice"),
            models.Index(fields=["organization", "as_of"], name="decision_org_asof"),
        ]


class DunningSettings(models.Model):
    """Per-organisation settings of the collection engine."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="dunning_settings"
    )
    run_hour = models.PositiveSmallIntegerField(_("hora local de la cobranza diaria"), default=7)
    is_active = models.BooleanField(_("cobranza automática activa"), default=True)
    send_invoice_issued = models.BooleanField(
        _("enviar cada factura nueva al cliente"), default=False
    )
    # Scheduled account statements: days of the month (1–31; a missing day means the
    # month's last day) and/or weekdays ("mon"…"sun"). Empty = no statements.
    statement_month_days = models.JSONField(_("días del mes del estado de cuenta"), default=list)
    statement_weekdays = models.JSONField(_("días de la semana del estado de cuenta"), default=list)
    # Legal floors for consumer debtors (outreach/policy.py): "auto" decides per debtor
    # from the tax id; "all" applies them to every debtor. They can never be switched off.
    consumer_debtors = models.CharField(
        _("deudores consumidores"),
        max_length=10,
        default="auto",
        choices=[
            ("auto", _("Según el RFC/RUT de cada cliente")),
            ("all", _("Tratar a todos los clientes como consumidores")),
        ],
    )

    class Meta:
        verbose_name = _("configuración de cobranza")


class CustomerStatementSchedule(models.Model):
    """A customer's own statement schedule; without one the organisation's applies.
    Both lists empty = this customer gets no scheduled statements."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="statement_schedule"
    )
    month_days = models.JSONField(_("días del mes"), default=list, blank=True)
    weekdays = models.JSONField(_("días de la semana"), default=list, blank=True)

    class Meta:
        verbose_name = _("calendario de estados de cuenta del cliente")


def all_consumers(organization) -> bool:
    """Whether the organisation applies the consumer legal floors to every debtor."""
    return DunningSettings.objects.filter(
        organization=organization, consumer_debtors="all"
    ).exists()


def run_hour_for(organization) -> int:
    """The organisation's local hour for the daily planner (7 when not configured)."""
    hour = (
        DunningSettings.objects.filter(organization=organization)
        .values_list("run_hour", flat=True)
        .first()
    )
    return 7 if hour is None else hour
