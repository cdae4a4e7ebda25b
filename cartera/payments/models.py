from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cartera.invoices.models import MONEY
from cartera.lib.money import CURRENCY_CHOICES, Money

from .choices import PaymentMethod, PaymentSource, PaymentStatus


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
        indexes = [models.Index(fields=["organization", "effective_date"], name="alloc_org_date")]

    @property
    def source_label(self) -> str:
        return str(self.payment or self.credit_note)
