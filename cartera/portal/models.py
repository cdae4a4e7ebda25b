"""The debtor portal's own rows: access tokens, one-time codes and per-organisation
portal settings. Everything a debtor does lands in the ledger/followup models."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cartera.lib.secrets import EncryptedTextField
from cartera.payments.choices import OnlineProvider, UnknownClabePolicy

CARD_PROVIDERS = [("", _("No ofrecer"))] + [
    (p.value, p.label) for p in (OnlineProvider.STRIPE, OnlineProvider.MERCADOPAGO)
]
CASH_PROVIDERS = [("", _("No ofrecer"))] + [
    (p.value, p.label)
    for p in (OnlineProvider.STRIPE, OnlineProvider.MERCADOPAGO, OnlineProvider.CONEKTA)
]
SPEI_PROVIDERS = [("", _("No ofrecer"))] + [
    (p.value, p.label) for p in (OnlineProvider.STRIPE, OnlineProvider.CONEKTA, OnlineProvider.STP)
]


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
    # Which provider serves each way of paying online (blank: not offered).
    card_provider = models.CharField(
        _("pago con tarjeta por"),
        max_length=20,
        choices=CARD_PROVIDERS,
        default="stripe",
        blank=True,
    )
    cash_provider = models.CharField(
        _("pago en OXXO por"), max_length=20, choices=CASH_PROVIDERS, blank=True
    )
    spei_provider = models.CharField(
        _("transferencia SPEI por"), max_length=20, choices=SPEI_PROVIDERS, blank=True
    )
    mercadopago_access_token = EncryptedTextField(_("access token de Mercado Pago"), blank=True)
    mercadopago_webhook_secret = EncryptedTextField(
        _("clave secreta de webhooks de Mercado Pago"), blank=True
    )
    conekta_private_key = EncryptedTextField(_("llave privada de Conekta"), blank=True)
    conekta_webhook_public_key = models.TextField(
        _("llave pública de webhooks de Conekta (PEM)"), blank=True
    )
    stp_empresa = models.CharField(_("empresa en STP"), max_length=60, blank=True)
    stp_webhook_token = EncryptedTextField(_("token del receptor de STP"), blank=True)
    stp_allowed_ips = models.TextField(
        _("direcciones IP de STP permitidas"),
        blank=True,
        help_text=_("Una por línea (direcciones o redes); en blanco: cualquiera con el token."),
    )
    stp_unknown_clabe = models.CharField(
        _("transferencias a una CLABE desconocida"),
        max_length=10,
        choices=UnknownClabePolicy.choices,
        default=UnknownClabePolicy.RETURN,
    )
    logo = models.FileField(upload_to="portal-logos/", blank=True)
    # "#RRGGBB" or blank (the standard look); e-mails, the portal and the statement PDF.
    brand_color = models.CharField(_("color de la marca"), max_length=7, blank=True)

    class Meta:
        verbose_name = _("configuración del portal")

    @property
    def stripe_configured(self) -> bool:
        return bool(self.stripe_secret_key and self.stripe_webhook_secret)

    @property
    def mercadopago_configured(self) -> bool:
        return bool(self.mercadopago_access_token and self.mercadopago_webhook_secret)

    @property
    def conekta_configured(self) -> bool:
        return bool(self.conekta_private_key and self.conekta_webhook_public_key)

    @property
    def stp_configured(self) -> bool:
        # SPEI through STP is the customer's virtual CLABE: it needs the prefix too.
        return bool(self.stp_empresa and self.stp_webhook_token and self.clabe_prefix)

    def provider_configured(self, name: str) -> bool:
        return bool(getattr(self, f"{name}_configured", False))

    @property
    def online_methods(self) -> list[str]:
        """The ways of paying online the debtor is offered: a chosen, configured provider."""
        chosen = {
            "card": self.card_provider,
            "cash": self.cash_provider,
            "spei": self.spei_provider,
        }
        return [m for m, name in chosen.items() if name and self.provider_configured(name)]

    @property
    def online_payments_enabled(self) -> bool:
        return bool(self.online_methods)


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
