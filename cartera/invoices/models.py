import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cartera.lib.money import CURRENCY_CHOICES, Money

from .choices import (
    AttachmentKind,
    CreditNoteStatus,
    DisputeStatus,
    FactoredDisplay,
    InvoiceStatus,
    PaymentMethodSAT,
    PortalStatusSource,
    PurchaseOrderStatus,
    ReceiptSource,
    SupplierPortalState,
)

MONEY = {"max_digits": 18, "decimal_places": 2}


class Invoice(models.Model):
    """An amount a customer owes. ``balance`` is always ``total − Σ allocations``.

    The balance is only changed by the payments services, atomically; a void invoice
    keeps balance 0 and is outside every receivable figure.
    """

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="invoices"
    )
    external_id = models.CharField(_("clave externa"), max_length=64)
    number = models.CharField(_("folio"), max_length=64)
    fiscal_uuid = models.CharField(_("UUID fiscal"), max_length=64, blank=True)
    issue_date = models.DateField(_("fecha de emisión"))
    due_date = models.DateField(_("fecha de vencimiento"))
    currency = models.CharField(_("moneda"), max_length=3, choices=CURRENCY_CHOICES)
    exchange_rate = models.DecimalField(
        _("tipo de cambio"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    total = models.DecimalField(_("total"), **MONEY)
    balance = models.DecimalField(_("saldo"), **MONEY)
    status = models.CharField(
        _("estado"), max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN
    )
    payment_method = models.CharField(
        _("método de pago"), max_length=3, choices=PaymentMethodSAT.choices, blank=True
    )
    payment_form = models.CharField(_("forma de pago"), max_length=2, blank=True)
    is_factored = models.BooleanField(_("cedida a factoraje"), default=False)
    factor_name = models.CharField(_("factor"), max_length=200, blank=True)
    # Set and cleared only by ``services.set_case_hold`` (the cases app, above): while an
    # invoice is handed to a law firm or agency, no dunning touches it.
    in_case = models.BooleanField(_("en caso externo"), default=False)
    # Set and cleared only by ``services.set_cancellation_hold`` (the fiscal app, above):
    # once the organisation asked the SAT to cancel the invoice's CFDI, it is not chased
    # while the SAT (or the receiver) answers; a rejection chases it again.
    cancel_requested = models.BooleanField(_("cancelación solicitada al SAT"), default=False)
    purchase_order = models.CharField(_("orden de compra"), max_length=64, blank=True)
    # The PurchaseOrder this invoice is matched to (by ``purchase_order`` or by hand); set
    # only through ``invoices.purchase_orders`` and the services and bulk paths.
    matched_po = models.ForeignKey(
        "invoices.PurchaseOrder",
        verbose_name=_("orden de compra vinculada"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoices",
    )
    # The latest status in the buyer's supplier portal (history: SupplierPortalStatus).
    portal_status = models.CharField(
        _("estado en el portal del cliente"),
        max_length=12,
        choices=SupplierPortalState.choices,
        blank=True,
    )
    paid_at = models.DateField(_("fecha de pago"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("factura")
        verbose_name_plural = _("facturas")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="invoice_unique_external_id"
            ),
            models.UniqueConstraint(
                fields=["organization", "fiscal_uuid"],
                condition=~Q(fiscal_uuid=""),
                name="invoice_unique_fiscal_uuid",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_not_negative"),
            models.CheckConstraint(
                condition=Q(balance__gte=0) & Q(balance__lte=F("total")),
                name="invoice_balance_within_total",
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("issue_date")), name="invoice_due_after_issue"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "status", "due_date"], name="invoice_org_status_due"
            ),
            models.Index(fields=["customer", "status"], name="invoice_customer_status"),
            # Covers the dashboard's aggregates over open invoices (totals, aging buckets,
            # top debtors) so they read the index only (bench/README.md, Workday).
            models.Index(
                fields=["organization", "status", "currency", "customer", "due_date", "balance"],
                name="invoice_org_open_cover",
            ),
            # Credit sales of a period (reports: indicators, countback, trends) read this
            # index only: issue-date range, void excluded, summed by currency.
            models.Index(
                fields=["organization", "issue_date", "status", "currency", "total"],
                name="invoice_org_issue_cover",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def total_money(self) -> Money:
        return Money(self.total, self.currency)

    @property
    def balance_money(self) -> Money:
        return Money(self.balance, self.currency)

    @property
    def is_open(self) -> bool:
        return self.status == InvoiceStatus.OPEN

    def days_overdue(self, *, on: dt.date) -> int:
        """Days past the due date on ``on``; 0 when not yet due, paid or void."""
        if not self.is_open:
            return 0
        return max(0, (on - self.due_date).days)


class CreditNote(models.Model):
    """A reduction of what a customer owes, applied to invoices via allocations."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="credit_notes"
    )
    external_id = models.CharField(_("clave externa"), max_length=64)
    number = models.CharField(_("folio"), max_length=64)
    fiscal_uuid = models.CharField(_("UUID fiscal"), max_length=64, blank=True)
    issue_date = models.DateField(_("fecha de emisión"))
    currency = models.CharField(_("moneda"), max_length=3, choices=CURRENCY_CHOICES)
    total = models.DecimalField(_("total"), **MONEY)
    unapplied = models.DecimalField(_("por aplicar"), **MONEY)
    status = models.CharField(
        _("estado"), max_length=8, choices=CreditNoteStatus.choices, default=CreditNoteStatus.OPEN
    )
    reason = models.CharField(_("motivo"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nota de crédito")
        verbose_name_plural = _("notas de crédito")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="creditnote_unique_external_id"
            ),
            models.UniqueConstraint(
                fields=["organization", "fiscal_uuid"],
                condition=~Q(fiscal_uuid=""),
                name="creditnote_unique_fiscal_uuid",
            ),
            models.CheckConstraint(
                condition=Q(unapplied__gte=0) & Q(unapplied__lte=F("total")),
                name="creditnote_unapplied_within_total",
            ),
        ]

    def __str__(self):
        return self.number


def attachment_path(instance, filename):
    return f"org-{instance.organization_id}/invoices/{instance.invoice_id}/{filename}"


class InvoiceAttachment(models.Model):
    """A PDF or XML of an invoice. Stored outside the web root; served through a view."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=8, choices=AttachmentKind.choices)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "id"]


class Dispute(models.Model):
    """The debtor contests an invoice; while open, collection on it stops."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="disputes")
    status = models.CharField(
        _("estado"), max_length=8, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    reason = models.TextField(_("motivo"))
    opened_at = models.DateTimeField(_("abierta el"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resuelta el"), null=True, blank=True)

    class Meta:
        verbose_name = _("disputa")
        verbose_name_plural = _("disputas")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["invoice", "status"], name="dispute_invoice_status")]

    def __str__(self):
        return f"{self.invoice} · {self.get_status_display()}"


class FactoringSettings(models.Model):
    """Per-organisation rule for factored invoices (defaults apply without a row); read
    only through ``invoices.factoring``."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="factoring_settings"
    )
    debtor_display = models.CharField(
        _("facturas cedidas a factoraje, para el cliente"),
        max_length=8,
        choices=FactoredDisplay.choices,
        default=FactoredDisplay.PAYABLE_TO_FACTOR,
    )

    class Meta:
        verbose_name = _("configuración de factoraje")


def purchase_order_path(instance, filename):
    return f"org-{instance.organization_id}/purchase-orders/{instance.customer_id}/{filename}"


class PurchaseOrder(models.Model):
    """A customer's purchase order (orden de compra): an amount its invoices draw on.

    Its balance is ``amount − Σ totals of its matched, non-void invoices`` (same currency);
    computed by ``invoices.purchase_orders``, never stored."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="purchase_orders"
    )
    number = models.CharField(_("número de orden"), max_length=64)
    amount = models.DecimalField(_("importe"), **MONEY)
    currency = models.CharField(_("moneda"), max_length=3, choices=CURRENCY_CHOICES)
    issue_date = models.DateField(_("fecha de emisión"))
    expiry_date = models.DateField(_("vigencia hasta"), null=True, blank=True)
    notes = models.TextField(_("notas"), blank=True)
    status = models.CharField(
        _("estado"),
        max_length=10,
        choices=PurchaseOrderStatus.choices,
        default=PurchaseOrderStatus.OPEN,
    )
    # Stored like invoice attachments: outside the web root, served through a view.
    file = models.FileField(upload_to=purchase_order_path, max_length=300, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("orden de compra")
        verbose_name_plural = _("órdenes de compra")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "customer", "number"], name="purchase_order_unique_number"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="purchase_order_amount_gte_0"),
        ]

    def __str__(self):
        return self.number

    @property
    def amount_money(self) -> Money:
        return Money(self.amount, self.currency)


class SupplierPortalStatus(models.Model):
    """One status an invoice reached in the buyer's supplier portal (the history; the
    latest is also ``Invoice.portal_status``)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="portal_statuses")
    status = models.CharField(_("estado"), max_length=12, choices=SupplierPortalState.choices)
    date = models.DateField(_("fecha"))
    reason = models.TextField(_("motivo"), blank=True)
    payment_date = models.DateField(_("fecha de pago programada"), null=True, blank=True)
    source = models.CharField(
        _("origen"),
        max_length=8,
        choices=PortalStatusSource.choices,
        default=PortalStatusSource.MANUAL,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("estado en el portal del cliente")
        verbose_name_plural = _("estados en el portal del cliente")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["invoice", "date"], name="portal_status_invoice_date")]

    def __str__(self):
        return f"{self.invoice} · {self.get_status_display()}"


# Ley 19.983 art. 3: the buyer may claim against a factura within the 8 calendar days after
# receiving it; without a claim it is irrevocably accepted (art. 4).
CLAIM_DAYS = 8


def claim_deadline_for(received_on: dt.date | None) -> dt.date | None:
    """The last day the buyer may claim against a DTE received on ``received_on``."""
    return received_on + dt.timedelta(days=CLAIM_DAYS) if received_on else None


class DteReceipt(models.Model):
    """What the organisation knows of a Chilean DTE (factura electrónica) at the buyer, as
    the SII shows it: the day the buyer received it, accepted it (acuse de recibo) or
    claimed against it (reclamo), and the last day of the claim window (Ley 19.983:
    receipt + 8 days). Entered by hand on the case page or imported (a DTE's import date,
    an RCV export's dates): ``cartera.invoices.acceptance``."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, related_name="dte_receipt")
    received_on = models.DateField(_("recibida por el comprador el"), null=True, blank=True)
    received_source = models.CharField(
        _("origen de la fecha de recepción"),
        max_length=8,
        choices=ReceiptSource.choices,
        default=ReceiptSource.MANUAL,
    )
    claim_deadline = models.DateField(_("plazo de reclamo hasta"), null=True, blank=True)
    accepted_on = models.DateField(_("aceptada (acuse de recibo) el"), null=True, blank=True)
    claimed_on = models.DateField(_("reclamada el"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(auto_now=True)

    def save(self, *args, **kwargs):
        # the window follows the receipt date wherever it was set (case page or import)
        self.claim_deadline = claim_deadline_for(self.received_on)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "claim_deadline"}
        super().save(*args, **kwargs)
