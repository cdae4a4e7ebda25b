from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cartera.invoices.models import MONEY
from cartera.lib.money import CURRENCY_CHOICES, Money

from .choices import (
    CheckoutStatus,
    ComplementStatus,
    EventOutcome,
    MatchRule,
    MovementStatus,
    OnlineMethod,
    PaymentMethod,
    PaymentRequestStatus,
    PaymentSource,
    PaymentStatus,
    ReconciliationStatus,
)


class Payment(models.Model):
    """Money received (or reported) from a customer. ``unallocated`` is its credit left."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="payments"
    )
    external_id = models.CharField(_("clave externa"), max_length=64, blank=True)
    date = models.DateField(_("fecha"))
    amount = models.DecimalField(_("importe"), **MONEY)
    currency = models.CharField(_("moneda"), max_length=3, choices=CURRENCY_CHOICES)
    unallocated = models.DecimalField(_("por aplicar"), **MONEY)
    method = models.CharField(
        _("forma de pago"),
        max_length=16,
        choices=PaymentMethod.choices,
        default=PaymentMethod.TRANSFER,
    )
    reference = models.CharField(_("referencia"), max_length=120, blank=True)
    status = models.CharField(
        _("estado"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.CONFIRMED
    )
    source = models.CharField(
        _("origen"), max_length=10, choices=PaymentSource.choices, default=PaymentSource.MANUAL
    )
    rejection_reason = models.CharField(_("motivo de rechazo"), max_length=300, blank=True)
    notes = models.TextField(_("notas"), blank=True)
    # Invoices a debtor says this (reported) payment covers; collection on them stops
    # until an agent accepts or rejects the report.
    reported_invoices = models.ManyToManyField(
        "invoices.Invoice", blank=True, related_name="reported_payments"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pago")
        verbose_name_plural = _("pagos")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~Q(external_id=""),
                name="payment_unique_external_id",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(unallocated__gte=0) & Q(unallocated__lte=F("amount")),
                name="payment_unallocated_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["organization", "date"], name="payment_org_date")]

    def __str__(self):
        return f"{self.date} {self.amount_money}"

    @property
    def amount_money(self) -> Money:
        return Money(self.amount, self.currency)


def proof_path(instance, filename):
    return f"org-{instance.organization_id}/payments/{instance.payment_id}/{filename}"


class PaymentProof(models.Model):
    """A receipt or transfer screenshot. Stored outside the web root."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="proofs")
    file = models.FileField(upload_to=proof_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)


class Allocation(models.Model):
    """Part of a payment or credit note applied to one invoice. Never edited, never deleted."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    invoice = models.ForeignKey(
        "invoices.Invoice", on_delete=models.PROTECT, related_name="allocations"
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    credit_note = models.ForeignKey(
        "invoices.CreditNote",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
    )
    amount = models.DecimalField(_("importe"), **MONEY)
    effective_date = models.DateField(_("fecha efectiva"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.CheckConstraint(
                condition=(Q(payment__isnull=False) & Q(credit_note__isnull=True))
                | (Q(payment__isnull=True) & Q(credit_note__isnull=False)),
                name="allocation_one_source",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "effective_date"], name="alloc_org_date"),
            # Covers "collected today / this week / this month" and agent results (docs/workday.md).
            models.Index(
                fields=["organization", "effective_date", "invoice", "payment", "amount"],
                name="alloc_org_date_cover",
            ),
            # What was applied to one invoice by a date (reports: drill-down, open amount
            # as of a date, paid date).
            models.Index(
                fields=["invoice", "effective_date", "amount"], name="alloc_invoice_date_cover"
            ),
        ]

    @property
    def source_label(self) -> str:
        return str(self.payment or self.credit_note)


class PaymentComplement(models.Model):
    """A Mexican "Complemento de Recepción de Pagos" (Pagos 2.0) owed for a confirmed
    payment applied to PPD invoices, due by the 5th day of the following month."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="complement")
    due_date = models.DateField(_("fecha límite"))
    status = models.CharField(
        _("estado"),
        max_length=10,
        choices=ComplementStatus.choices,
        default=ComplementStatus.PENDING,
    )
    xml = models.TextField(_("XML sin timbrar"), blank=True)
    fiscal_uuid = models.CharField(_("UUID fiscal"), max_length=40, blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    stamped_at = models.DateTimeField(null=True, blank=True)
    # A stamped REP cancelled before the SAT (c_MotivoCancelacion 01–04): the payment owes
    # a REP again; the cancelled UUID and the reason are kept here.
    cancelled_uuid = models.CharField(_("UUID cancelado"), max_length=40, blank=True)
    cancellation_reason = models.CharField(_("motivo de cancelación"), max_length=2, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("complemento de pago")
        verbose_name_plural = _("complementos de pago")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["organization", "status", "due_date"], name="complement_org_due")
        ]

    def __str__(self):
        return f"REP {self.payment}"


class PaymentComplementLine(models.Model):
    """One DoctoRelacionado: a PPD invoice paid (in part) by the complement's payment."""

    complement = models.ForeignKey(
        PaymentComplement, on_delete=models.CASCADE, related_name="lines"
    )
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, related_name="+")
    installment = models.PositiveSmallIntegerField(_("número de parcialidad"))
    previous_balance = models.DecimalField(_("saldo anterior"), **MONEY)
    amount_paid = models.DecimalField(_("importe pagado"), **MONEY)
    remaining_balance = models.DecimalField(_("saldo insoluto"), **MONEY)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["complement", "invoice"], name="complementline_unique")
        ]


class CheckoutSession(models.Model):
    """An online-payment session opened at a provider for chosen invoices. Amount and
    currency come from our balances when it is created, never from the browser."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT)
    provider = models.CharField(max_length=20)
    session_id = models.CharField(max_length=200)
    url = models.URLField(max_length=1000, blank=True)
    invoices = models.ManyToManyField("invoices.Invoice", related_name="+")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(
        max_length=10, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN
    )
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="checkout"
    )
    # Card checkouts must be paid exactly; a cash voucher or a SPEI reference records
    # what arrived (partial leaves a balance, more leaves a credit).
    method = models.CharField(
        max_length=10, choices=OnlineMethod.choices, default=OnlineMethod.CARD
    )
    # What the debtor needs to pay a voucher or a transfer (shown on the portal).
    voucher_reference = models.CharField(max_length=100, blank=True)
    barcode_url = models.URLField(max_length=1000, blank=True)  # an image of the barcode
    voucher_url = models.URLField(max_length=1000, blank=True)  # the provider's printable voucher
    clabe = models.CharField(max_length=18, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # The provider's own customer (a Stripe Customer for its bank transfers), reused.
    provider_customer = models.CharField(max_length=100, blank=True)
    # Opened from a payment request's page: paying it pays (part of) the request.
    payment_request = models.ForeignKey(
        "PaymentRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="checkouts",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "session_id"], name="checkout_unique_id")
        ]


class ProviderEvent(models.Model):
    """A webhook notification accepted from a payment provider: the inbox
    (``payments.inbox``). The unique id makes handling idempotent (a second delivery of
    the same notification does nothing); ``queued`` until its task has processed it."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=100)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(
        max_length=10, choices=EventOutcome.choices, default=EventOutcome.IGNORED
    )
    problem = models.CharField(max_length=300, blank=True)  # why a rejected event was refused

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="providerevent_unique")
        ]
        indexes = [
            # the retry job's scan of what is still waiting
            models.Index(
                fields=["received_at"],
                condition=models.Q(outcome="queued"),
                name="providerevent_queued",
            )
        ]


# --- bank statements and reconciliation (docs/bank.md) ----------------------------------------
class BankAccount(models.Model):
    """One of the organisation's bank accounts whose statements are imported."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    name = models.CharField(_("nombre"), max_length=80)
    bank = models.CharField(_("banco"), max_length=80, blank=True)
    account_number = models.CharField(_("cuenta / CLABE / IBAN"), max_length=40, blank=True)
    currency = models.CharField(_("moneda"), max_length=3, choices=CURRENCY_CHOICES)
    # the spreadsheet layout last used for this account (a preset, possibly edited): the
    # mapping memory of bank exports, as the spreadsheet importer remembers its columns
    sheet_preset = models.JSONField(_("formato de hoja"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cuenta bancaria")
        verbose_name_plural = _("cuentas bancarias")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="bank_account_unique_name"
            )
        ]

    def __str__(self):
        return self.name


class BankStatement(models.Model):
    """One imported bank file (every import is kept, even one that brought nothing new)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="statements")
    format = models.CharField(_("formato"), max_length=40)
    filename = models.CharField(_("archivo"), max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    statement_id = models.CharField(_("identificador del estado"), max_length=120, blank=True)
    opening_balance = models.DecimalField(_("saldo inicial"), null=True, blank=True, **MONEY)
    closing_balance = models.DecimalField(_("saldo final"), null=True, blank=True, **MONEY)
    opening_date = models.DateField(null=True, blank=True)
    closing_date = models.DateField(null=True, blank=True)
    lines = models.PositiveIntegerField(_("movimientos"), default=0)
    credits = models.PositiveIntegerField(_("abonos"), default=0)
    created = models.PositiveIntegerField(_("nuevos"), default=0)
    unchanged = models.PositiveIntegerField(_("ya importados"), default=0)
    warnings = models.JSONField(default=list, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("estado de cuenta")
        verbose_name_plural = _("estados de cuenta")
        ordering = ["-imported_at", "-id"]


class BankMovement(models.Model):
    """One line of a bank statement, stored once per account (``fingerprint``)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="movements")
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="+")
    fingerprint = models.CharField(max_length=64)
    booking_date = models.DateField(_("fecha"))
    value_date = models.DateField(_("fecha valor"), null=True, blank=True)
    amount = models.DecimalField(_("importe"), **MONEY)  # signed: + money in
    currency = models.CharField(_("moneda"), max_length=3, choices=CURRENCY_CHOICES)
    bank_reference = models.CharField(_("referencia del banco"), max_length=120, blank=True)
    description = models.TextField(_("concepto"), blank=True)
    reference = models.CharField(_("referencia"), max_length=140, blank=True)
    counterparty_name = models.CharField(_("ordenante"), max_length=200, blank=True)
    counterparty_account = models.CharField(_("cuenta del ordenante"), max_length=40, blank=True)
    counterparty_rfc = models.CharField(_("RFC del ordenante"), max_length=20, blank=True)
    beneficiary_account = models.CharField(_("cuenta abonada"), max_length=40, blank=True)
    tracking_key = models.CharField(_("clave de rastreo"), max_length=40, blank=True)
    balance_after = models.DecimalField(_("saldo"), null=True, blank=True, **MONEY)
    line = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        _("estado"), max_length=12, choices=MovementStatus.choices, default=MovementStatus.UNMATCHED
    )
    # ranked candidates of the last reconciliation run: [{"customer", "invoices", "rule",
    # "score", "evidence", "reported_payment"}]; never applied without a person
    suggestions = models.JSONField(default=list, blank=True)
    # set when a person undid an automatic match: the movement is only matched by hand after
    manual_only = models.BooleanField(default=False)
    ignored_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("movimiento bancario")
        verbose_name_plural = _("movimientos bancarios")
        ordering = ["-booking_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "fingerprint"], name="bank_movement_unique_fingerprint"
            )
        ]
        indexes = [models.Index(fields=["organization", "status"], name="bank_movement_org_status")]

    @property
    def amount_money(self) -> Money:
        return Money(self.amount, self.currency)


class PaymentRequest(models.Model):
    """A request for payment ("cobro") an agent sends to a debtor: an amount (at most the
    open balance of its invoices), an expiry and the online methods offered. The public
    link carries a random token of which only the SHA-256 is stored (as portal links)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="payment_requests"
    )
    invoices = models.ManyToManyField("invoices.Invoice", related_name="payment_requests")
    amount = models.DecimalField(_("importe"), **MONEY)
    currency = models.CharField(_("moneda"), max_length=3, choices=CURRENCY_CHOICES)
    paid_amount = models.DecimalField(_("pagado"), default=0, **MONEY)
    expires_at = models.DateTimeField(_("vence"))
    methods = models.JSONField(_("formas de pago"), default=list)
    status = models.CharField(
        _("estado"),
        max_length=10,
        choices=PaymentRequestStatus.choices,
        default=PaymentRequestStatus.OPEN,
    )
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # The payment that completed it (the last one when several paid it in parts).
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("solicitud de pago")
        verbose_name_plural = _("solicitudes de pago")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="paymentrequest_amount_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "expires_at"], name="payreq_org_status")
        ]

    def __str__(self):
        return f"{self.amount_money} ({self.get_status_display()})"

    @property
    def amount_money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def paid_money(self) -> Money:
        return Money(self.paid_amount, self.currency)

    @property
    def remaining(self):
        return max(self.amount - self.paid_amount, 0)

    @property
    def remaining_money(self) -> Money:
        return Money(self.remaining, self.currency)


class Reconciliation(models.Model):
    """A movement tied to a payment: the rule and evidence, and whether it was undone."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    movement = models.ForeignKey(
        BankMovement, on_delete=models.PROTECT, related_name="reconciliations"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="reconciliations"
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    rule = models.CharField(_("regla"), max_length=12, choices=MatchRule.choices)
    score = models.PositiveSmallIntegerField(_("confianza"))
    evidence = models.JSONField(default=list)
    automatic = models.BooleanField(default=False)
    confirmed_reported = models.BooleanField(default=False)  # it confirmed a "ya pagué"
    linked_existing = models.BooleanField(default=False)  # tied to a payment recorded before
    allocations = models.JSONField(default=list)  # [[invoice_id, "amount"]] as applied
    status = models.CharField(
        max_length=8, choices=ReconciliationStatus.choices, default=ReconciliationStatus.APPLIED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["movement"],
                condition=Q(status="applied"),
                name="reconciliation_one_applied_per_movement",
            )
        ]


class ReconciliationSettings(models.Model):
    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="reconciliation_settings"
    )
    auto_apply_threshold = models.PositiveSmallIntegerField(
        _("confianza mínima para aplicar solo"), default=90
    )
    ambiguity_margin = models.PositiveSmallIntegerField(_("margen contra el segundo"), default=5)
    name_cutoff = models.PositiveSmallIntegerField(_("parecido mínimo del nombre"), default=80)
    date_window_days = models.PositiveSmallIntegerField(_("ventana de fechas (días)"), default=10)
    reconcile_on_import = models.BooleanField(_("conciliar al importar"), default=True)
