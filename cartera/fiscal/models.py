from django.db import models
from django.utils.translation import gettext_lazy as _

from cartera.lib.secrets import EncryptedTextField


class PacProvider(models.TextChoices):
    FINKOK = "finkok", "Finkok"
    SW_SAPIEN = "swsapien", "SW Sapien"


class FiscalProfile(models.Model):
    """The organisation as a CFDI issuer: who it is for the SAT and the CSD it signs with.

    The certificate (.cer) is public and kept as base64; the private key (.key) and its
    password are secrets, encrypted at rest."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="fiscal_profile"
    )
    rfc = models.CharField(_("RFC"), max_length=13)
    legal_name = models.CharField(_("razón social"), max_length=300)
    tax_regime = models.CharField(_("régimen fiscal"), max_length=3)
    postal_code = models.CharField(_("código postal del lugar de expedición"), max_length=5)
    csd_certificate = models.TextField(_("certificado (.cer) en base64"), blank=True)
    csd_key = EncryptedTextField(_("llave privada (.key) en base64"), blank=True)
    csd_password = EncryptedTextField(_("contraseña de la llave privada"), blank=True)
    csd_number = models.CharField(_("número de certificado"), max_length=20, blank=True)
    csd_valid_from = models.DateField(_("certificado válido desde"), null=True, blank=True)
    csd_valid_until = models.DateField(_("certificado válido hasta"), null=True, blank=True)
    # The stamping provider (PAC): Finkok takes user + password, SW Sapien a token.
    pac = models.CharField(_("PAC"), max_length=10, choices=PacProvider.choices, blank=True)
    pac_username = models.CharField(_("usuario del PAC"), max_length=120, blank=True)
    pac_secret = EncryptedTextField(_("contraseña o token del PAC"), blank=True)
    pac_test = models.BooleanField(_("ambiente de pruebas del PAC"), default=False)
    # Another endpoint for the same API (a proxy, or the local fake PAC in the tests).
    pac_url = models.URLField(_("dirección del PAC"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("datos fiscales")
        verbose_name_plural = _("datos fiscales")

    def __str__(self) -> str:
        return f"{self.rfc} {self.legal_name}"

    @property
    def has_csd(self) -> bool:
        return bool(self.csd_certificate and self.csd_key)


class SatState(models.TextChoices):
    """``Estado`` as the SAT's status service answers it."""

    VALID = "vigente", _("Vigente")
    CANCELLED = "cancelado", _("Cancelado")
    NOT_FOUND = "no_encontrado", _("No encontrado")


class SatStatusCheck(models.Model):
    """The last answer of the SAT's status service for one invoice's CFDI."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    invoice = models.OneToOneField(
        "invoices.Invoice", on_delete=models.CASCADE, related_name="sat_status"
    )
    state = models.CharField(_("estado en el SAT"), max_length=20, choices=SatState.choices)
    # EstatusCancelacion: "En proceso", "Cancelado sin aceptación", "Plazo vencido", …
    cancellation_status = models.CharField(_("estatus de cancelación"), max_length=80, blank=True)
    cancellable = models.CharField(_("es cancelable"), max_length=80, blank=True)
    code = models.CharField(_("código del SAT"), max_length=200, blank=True)
    checked_on = models.DateField(_("consultado el"))

    class Meta:
        verbose_name = _("estado del CFDI en el SAT")
        verbose_name_plural = _("estados de CFDI en el SAT")

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.state} {self.cancellation_status}".strip()

    @property
    def cancellation_in_progress(self) -> bool:
        return self.state == SatState.VALID and self.cancellation_status == "En proceso"
