"""The debtor portal's own rows: access tokens, one-time codes and per-organisation
portal settings. Everything a debtor does lands in the ledger/followup models."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cartera.lib.secrets import EncryptedTextField


class PortalSettings(models.Model):
    """Per-organisation portal options (defaults apply when the row does not exist)."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="portal_settings"
    )
    require_code = models.BooleanField(
        _("pedir un código enviado por correo antes de mostrar importes"), default=False
    )
    max_promise_days = models.PositiveSmallIntegerField(
        _("plazo máximo de una promesa de pago (días)"), default=30
    )
    bank_accounts = models.TextField(
        _("cuentas bancarias para pagar"),
        blank=True,
        help_text=_("Una por línea: banco, titular, cuenta o CLABE."),
    )
    clabe_prefix = models.CharField(
        _("prefijo de CLABE virtual"),
        max_length=10,
        blank=True,
        help_text=_("Banco (3) + plaza (3) + inicio de la cuenta; se completa por cliente."),
    )
    stripe_secret_key = EncryptedTextField(_("clave secreta de Stripe"), blank=True)
    stripe_webhook_secret = EncryptedTextField(_("secreto del webhook de Stripe"), blank=True)
    logo = models.FileField(upload_to="portal-logos/", blank=True)

    class Meta:
        verbose_name = _("configuración del portal")

    @property
    def online_payments_enabled(self) -> bool:
        return bool(self.stripe_secret_key and self.stripe_webhook_secret)


class PortalToken(models.Model):
    """A customer's portal link secret. Only its SHA-256 is stored; the raw token is shown
    once when created. Rotating revokes the previous one."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="portal_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8)
    expires_at = models.DateTimeField(_("vence"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revocado"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("enlace del portal")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(revoked_at__isnull=True),
                name="portaltoken_one_active_per_customer",
            )
        ]

    def is_usable(self, *, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class PortalCode(models.Model):
    """A one-time code e-mailed to the customer's contact (stronger access mode)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE)
    code_hash = models.CharField(max_length=64)
    sent_to = models.EmailField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
