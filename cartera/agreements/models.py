"""Payment plans (convenios) and their instalments, and the organisation's plan policy.

A plan restructures open invoices of one customer into instalments. The invoices stay the
ledger's rows (their balances move only through ``payments.services``); the plan is the
schedule the debtor agreed to, and each instalment's paid amount is recomputed from the
allocations to the plan's invoices (``services.refresh_plan``), oldest instalment first.
The plan's own interest, when it has any, is its own receivable: an invoice row created
for it (``interest_invoice``), never an increase of the restructured invoices' totals.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cartera.invoices.models import MONEY
from cartera.lib.money import CURRENCY_CHOICES, Money, round_money

from .choices import (
    ChargeKind,
    InstalmentStatus,
    InterestMethod,
    OfferKind,
    OfferStatus,
    PlanSource,
    PlanStatus,
    ReminderChannel,
)

RATE = {"max_digits": 9, "decimal_places": 4}


def default_reminder_channels() -> list[str]:
    return [ReminderChannel.EMAIL.value]


class AgreementSettings(models.Model):
    """Per-organisation plan policy (defaults apply without a row); read through
    ``services.settings_for``. The portal offers plans only within these limits."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="agreement_settings"
    )
    portal_plans = models.BooleanField(
        _("el cliente puede proponer convenios en el portal"), default=True
    )
    max_instalments = models.PositiveSmallIntegerField(_("máximo de parcialidades"), default=6)
    min_down_payment_percent = models.DecimalField(
        _("enganche mínimo (%)"), max_digits=5, decimal_places=2, default=Decimal("10")
    )
    max_term_days = models.PositiveSmallIntegerField(_("plazo máximo (días)"), default=180)
    grace_days = models.PositiveSmallIntegerField(_("días de gracia por parcialidad"), default=5)
    move_off_holidays = models.BooleanField(
        _("mover vencimientos que caen en fin de semana o día festivo"), default=True
    )
    interest_method = models.CharField(
        _("interés del convenio"),
        max_length=10,
        choices=InterestMethod.choices,
        default=InterestMethod.NONE,
    )
    annual_rate = models.DecimalField(_("tasa anual del convenio (%)"), **RATE, default=Decimal(0))
    remind_days_before = models.PositiveSmallIntegerField(
        _("recordar días antes de cada parcialidad"), default=3
    )
    remind_days_after = models.PositiveSmallIntegerField(
        _("recordar días después de una parcialidad vencida"), default=1
    )
    # The instalment reminders' channels in order of preference (``ReminderChannel``
    # values): the first with a usable contact point wins, the next take over on a
    # permanent failure (``dunning.instalments``).
    reminder_channels = models.JSONField(
        _("canales de los recordatorios de parcialidades"), default=default_reminder_channels
    )
    # Late interest is opt-in: it creates receivables the debtor will see.
    accrue_late_interest = models.BooleanField(_("cobrar intereses moratorios"), default=False)
    late_interest_rate = models.DecimalField(
        _("tasa moratoria pactada (% anual; vacío: la legal)"), **RATE, null=True, blank=True
    )
    usury_warning_rate = models.DecimalField(
        _("avisar si la tasa pactada supera (% anual)"), **RATE, default=Decimal("36")
    )

    class Meta:
        verbose_name = _("política de convenios")


class PaymentPlan(models.Model):
    """A convenio: one customer's open invoices restructured into instalments."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="payment_plans"
    )
    invoices = models.ManyToManyField("invoices.Invoice", related_name="payment_plans")
    interest_invoice = models.OneToOneField(
        "invoices.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_interest_of",
    )
    currency = models.CharField(_("moneda"), max_length=3, choices=CURRENCY_CHOICES)
    principal = models.DecimalField(_("saldo restructurado"), **MONEY)
    down_payment = models.DecimalField(_("enganche"), **MONEY, default=Decimal(0))
    interest_method = models.CharField(
        _("interés"), max_length=10, choices=InterestMethod.choices, default=InterestMethod.NONE
    )
    annual_rate = models.DecimalField(_("tasa anual (%)"), **RATE, default=Decimal(0))
    interest_total = models.DecimalField(_("interés del convenio"), **MONEY, default=Decimal(0))
    total = models.DecimalField(_("total del convenio"), **MONEY)
    paid = models.DecimalField(_("pagado"), **MONEY, default=Decimal(0))
    status = models.CharField(
        _("estado"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.ACTIVE
    )
    source = models.CharField(
        _("origen"), max_length=8, choices=PlanSource.choices, default=PlanSource.AGENT
    )
    start_date = models.DateField(_("fecha del convenio"))
    notes = models.TextField(_("notas"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Acceptance: who, when and from where (the debtor in the portal, or the agent).
    accepted_by_name = models.CharField(_("aceptado por"), max_length=200, blank=True)
    accepted_at = models.DateTimeField(_("aceptado el"), null=True, blank=True)
    accepted_ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    accepted_user_agent = models.CharField(_("navegador"), max_length=400, blank=True)
    agreement_pdf = models.FileField(_("convenio firmado (PDF)"), max_length=300, blank=True)
    over_limit = models.CharField(_("excede el límite"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_on = models.DateField(_("terminado el"), null=True, blank=True)
    end_reason = models.CharField(_("motivo"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("convenio de pago")
        verbose_name_plural = _("convenios de pago")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(principal__gt=0), name="plan_principal_positive"),
            models.CheckConstraint(
                condition=Q(down_payment__gte=0) & Q(down_payment__lt=models.F("principal")),
                name="plan_down_payment_below_principal",
            ),
        ]
        indexes = [models.Index(fields=["organization", "status"], name="plan_org_status")]

    def __str__(self):
        return _("Convenio %(number)s") % {"number": self.number}

    @property
    def number(self) -> str:
        return f"CONV-{self.pk}"

    @property
    def total_money(self) -> Money:
        return Money(self.total, self.currency)

    @property
    def left_money(self) -> Money:
        return Money(self.total - self.paid, self.currency)

    @property
    def is_active(self) -> bool:
        return self.status == PlanStatus.ACTIVE


class Instalment(models.Model):
    """One dated amount of a plan (number 0 is the down payment). ``paid`` is recomputed
    from the plan's allocations, oldest instalment first (``services.refresh_plan``)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("número"))
    due_date = models.DateField(_("vencimiento"))
    principal = models.DecimalField(_("capital"), **MONEY)
    interest = models.DecimalField(_("interés"), **MONEY, default=Decimal(0))
    amount = models.DecimalField(_("importe"), **MONEY)
    paid = models.DecimalField(_("pagado"), **MONEY, default=Decimal(0))
    paid_on = models.DateField(_("pagada el"), null=True, blank=True)
    status = models.CharField(
        _("estado"),
        max_length=8,
        choices=InstalmentStatus.choices,
        default=InstalmentStatus.PENDING,
    )

    class Meta:
        verbose_name = _("parcialidad")
        verbose_name_plural = _("parcialidades")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="instalment_unique_number"),
            models.CheckConstraint(
                condition=Q(paid__gte=0) & Q(paid__lte=models.F("amount")),
                name="instalment_paid_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "due_date"], name="instalment_org_due")
        ]

    def __str__(self):
        return f"{self.plan.number}/{self.number}"

    @property
    def amount_money(self) -> Money:
        return Money(self.amount, self.plan.currency)

    @property
    def left(self) -> Decimal:
        return self.amount - self.paid


class NegotiationLimit(models.Model):
    """What members of one role may offer without a manager's approval (defaults in
    ``negotiation.DEFAULT_LIMITS`` apply without a row; owners have no limit)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    role = models.CharField(_("rol"), max_length=10)
    max_discount_percent = models.DecimalField(
        _("descuento máximo por pronto pago (%)"), max_digits=5, decimal_places=2
    )
    max_write_off = models.DecimalField(_("quita máxima"), **MONEY)
    max_instalments = models.PositiveSmallIntegerField(_("máximo de parcialidades"))
    may_waive_interest = models.BooleanField(_("puede condonar intereses y cargos"))

    class Meta:
        verbose_name = _("límite de negociación")
        constraints = [
            models.UniqueConstraint(fields=["organization", "role"], name="limit_unique_role")
        ]


class Offer(models.Model):
    """A concession offered to a debtor: a prompt-payment discount (until ``expires_on``),
    a write-off or an interest waiver. Above the offering member's limit it waits for a
    manager (``AWAITING_APPROVAL``) and reaches the debtor only once approved. Applying
    one is a credit note on the invoice, so the ledger rule holds."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="offers"
    )
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, related_name="offers")
    kind = models.CharField(_("tipo"), max_length=10, choices=OfferKind.choices)
    percent = models.DecimalField(
        _("porcentaje"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    amount = models.DecimalField(_("importe"), **MONEY)
    currency = models.CharField(_("moneda"), max_length=3, choices=CURRENCY_CHOICES)
    expires_on = models.DateField(_("vigente hasta"), null=True, blank=True)
    status = models.CharField(_("estado"), max_length=10, choices=OfferStatus.choices)
    reason = models.CharField(_("motivo"), max_length=300, blank=True)
    over_limit = models.CharField(_("excede el límite"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    credit_note = models.OneToOneField(
        "invoices.CreditNote", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("oferta")
        verbose_name_plural = _("ofertas")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="offer_amount_positive")
        ]
        indexes = [models.Index(fields=["organization", "status"], name="offer_org_status")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.amount_money}"

    @property
    def amount_money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def pay_amount(self) -> Decimal:
        """What the debtor pays to take a prompt-payment discount."""
        return self.invoice.balance - self.amount


class LateCharge(models.Model):
    """Moratory interest or a collection fee owed on one invoice, as its own receivable:
    ``receivable`` is an invoice row whose total is what accrued (never a change of the
    original invoice's total), so payments, statements and ``check-ledger`` treat it
    like any other. A fee is charged once per invoice and stage. Interest on a late
    instalment of a plan is charged on the ``instalment`` (no ``source`` invoice: the
    instalment is never changed, its interest is this receivable), once per instalment."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(
        "invoices.Invoice",
        on_delete=models.PROTECT,
        related_name="late_charges",
        null=True,
        blank=True,
    )
    instalment = models.ForeignKey(
        Instalment,
        on_delete=models.PROTECT,
        related_name="late_charges",
        null=True,
        blank=True,
    )
    receivable = models.OneToOneField(
        "invoices.Invoice", on_delete=models.PROTECT, related_name="late_charge"
    )
    kind = models.CharField(_("tipo"), max_length=8, choices=ChargeKind.choices)
    stage = models.CharField(_("etapa"), max_length=20, blank=True)
    accrued_through = models.DateField(_("calculado hasta"), null=True, blank=True)
    reason = models.CharField(_("fundamento"), max_length=500, blank=True)
    warning = models.CharField(_("advertencia"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cargo moratorio")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "stage"], name="latecharge_once_per_stage"
            ),
            models.UniqueConstraint(
                fields=["instalment", "kind"],
                condition=Q(instalment__isnull=False),
                name="latecharge_once_per_instalment",
            ),
            models.CheckConstraint(
                condition=Q(source__isnull=False, instalment__isnull=True)
                | Q(source__isnull=True, instalment__isnull=False, kind=ChargeKind.INTEREST),
                name="latecharge_on_invoice_or_instalment",
            ),
        ]


class InterestAccrual(models.Model):
    """What one day's run added to an interest charge; one row per charge and date, so
    running the same date again adds nothing."""

    charge = models.ForeignKey(LateCharge, on_delete=models.CASCADE, related_name="accruals")
    date = models.DateField(_("fecha"))
    amount = models.DecimalField(_("importe"), **MONEY)
    total = models.DecimalField(_("acumulado"), **MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["charge", "date"], name="accrual_once_per_date")
        ]


class StageFee(models.Model):
    """The collection fee the organisation charges when a dunning stage is reached for an
    invoice: a fixed ``amount`` (in the invoice's currency) or a ``percent`` of its
    balance, exactly one of them. ``stage`` is a dunning stage key (``dunning.choices``,
    which sits above this app); ``dunning/fees.py`` charges it, once per invoice."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    stage = models.CharField(_("etapa"), max_length=20)
    amount = models.DecimalField(_("importe fijo"), **MONEY, null=True, blank=True)
    percent = models.DecimalField(
        _("porcentaje del saldo"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("gasto de cobranza por etapa")
        constraints = [
            models.UniqueConstraint(fields=["organization", "stage"], name="stagefee_unique"),
            models.CheckConstraint(
                condition=(Q(amount__gt=0) & Q(percent__isnull=True))
                | (Q(amount__isnull=True) & Q(percent__gt=0)),
                name="stagefee_amount_or_percent",
            ),
        ]

    def fee_on(self, balance: Decimal, currency: str) -> Decimal:
        """The fee asked for an invoice with ``balance`` owed (before any legal cap)."""
        if self.amount is not None:
            return self.amount
        return round_money(balance * self.percent / 100, currency)
