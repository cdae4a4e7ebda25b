from django.conf import settings
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
    # The e.firma (FIEL): not for sealing CFDI, but the SAT asks for it to download them
    # (Descarga Masiva). Kept like the CSD; the download starts from ``sat_download_from``.
    fiel_certificate = models.TextField(_("e.firma (.cer) en base64"), blank=True)
    fiel_key = EncryptedTextField(_("llave privada de la e.firma en base64"), blank=True)
    fiel_password = EncryptedTextField(_("contraseña de la e.firma"), blank=True)
    fiel_valid_until = models.DateField(_("e.firma válida hasta"), null=True, blank=True)
    sat_download_from = models.DateField(
        _("descargar del SAT los CFDI emitidos desde"), null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("datos fiscales")
        verbose_name_plural = _("datos fiscales")

    def __str__(self) -> str:
        return f"{self.rfc} {self.legal_name}"

    @property
    def has_csd(self) -> bool:
        return bool(self.csd_certificate and self.csd_key)

    @property
    def has_fiel(self) -> bool:
        return bool(self.fiel_certificate and self.fiel_key)


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


PRICE = {"max_digits": 18, "decimal_places": 6}  # ValorUnitario and Cantidad: up to 6 decimals
RATE = {"max_digits": 8, "decimal_places": 6, "null": True, "blank": True}


class TaxObject(models.TextChoices):
    """c_ObjetoImp: whether the line is subject to tax."""

    NOT_SUBJECT = "01", _("01 – No objeto de impuesto")
    SUBJECT = "02", _("02 – Sí objeto de impuesto")
    SUBJECT_NOT_ITEMISED = "03", _("03 – Sí objeto, no obligado al desglose")
    SUBJECT_NOT_CAUSED = "04", _("04 – Sí objeto, no causa impuesto")
    SUBJECT_PODEBI = "05", _("05 – Sí objeto, IVA crédito PODEBI")


class IvaTreatment(models.TextChoices):
    """The IVA a line carries: the general rate, the northern/southern border rate, zero,
    exempt, or none (a line not subject to tax)."""

    GENERAL = "16", _("IVA 16 %")
    BORDER = "8", _("IVA 8 % (región fronteriza)")
    ZERO = "0", _("IVA 0 %")
    EXEMPT = "exento", _("IVA exento")
    NONE = "", _("Sin IVA")


class TaxLines(models.Model):
    """The taxes of a catalogue product or of an invoice line (one shape, one rule:
    ``cartera.fiscal.taxes``)."""

    tax_object = models.CharField(
        _("objeto de impuesto"), max_length=2, choices=TaxObject.choices, default=TaxObject.SUBJECT
    )
    iva = models.CharField(
        _("IVA"), max_length=6, choices=IvaTreatment.choices, blank=True, default="16"
    )
    ieps_rate = models.DecimalField(_("tasa de IEPS"), **RATE)
    isr_retention_rate = models.DecimalField(_("tasa de retención de ISR"), **RATE)
    iva_retention_rate = models.DecimalField(_("tasa de retención de IVA"), **RATE)

    class Meta:
        abstract = True


class Product(TaxLines):
    """A product or service the organisation invoices: its SAT keys, price and taxes."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    code = models.CharField(_("clave interna"), max_length=100)
    description = models.CharField(_("descripción"), max_length=1000)
    unit_price = models.DecimalField(_("precio unitario"), **PRICE)
    currency = models.CharField(_("moneda"), max_length=3, default="MXN")
    sat_product_key = models.CharField(_("clave de producto o servicio del SAT"), max_length=8)
    sat_unit_key = models.CharField(_("clave de unidad del SAT"), max_length=3)
    unit_name = models.CharField(_("unidad"), max_length=20, blank=True)
    active = models.BooleanField(_("activo"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("producto o servicio")
        verbose_name_plural = _("productos y servicios")
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="product_unique_code")
        ]
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.description}"


class CfdiKind(models.TextChoices):
    INCOME = "I", _("Factura (ingreso)")
    EXPENSE = "E", _("Nota de crédito (egreso)")


class CfdiStatus(models.TextChoices):
    DRAFT = "draft", _("Borrador")
    STAMPED = "stamped", _("Timbrada")
    # The PAC passed the request on; the SAT cancels at once or after the receiver accepts.
    CANCEL_REQUESTED = "cancel_requested", _("Cancelación solicitada")
    CANCELLED = "cancelled", _("Cancelada")
    TEMPLATE = "template", _("Plantilla recurrente")


class IssuedCfdi(models.Model):
    """An invoice or credit note the organisation issues from Cartera: a draft until the
    PAC stamps it; then its XML is the document and ``invoice`` / ``credit_note`` its
    receivable (created at the stamp)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="issued_cfdis"
    )
    kind = models.CharField(
        _("tipo"), max_length=1, choices=CfdiKind.choices, default=CfdiKind.INCOME
    )
    status = models.CharField(
        _("estado"), max_length=16, choices=CfdiStatus.choices, default=CfdiStatus.DRAFT
    )
    series = models.CharField(_("serie"), max_length=25, blank=True)
    folio = models.CharField(_("folio"), max_length=40, blank=True)
    currency = models.CharField(_("moneda"), max_length=3, default="MXN")
    exchange_rate = models.DecimalField(_("tipo de cambio"), **RATE)
    payment_method = models.CharField(_("método de pago"), max_length=3, default="PUE")
    payment_form = models.CharField(_("forma de pago"), max_length=2, default="03")
    cfdi_use = models.CharField(_("uso del CFDI"), max_length=4, default="G03")
    payment_terms = models.CharField(_("condiciones de pago"), max_length=1000, blank=True)
    due_date = models.DateField(_("fecha de vencimiento"), null=True, blank=True)
    purchase_order = models.CharField(_("orden de compra"), max_length=64, blank=True)
    relation_type = models.CharField(_("tipo de relación"), max_length=2, blank=True)
    related_uuids = models.TextField(_("CFDI relacionados"), blank=True)
    # A credit note's invoice: the note is applied to it once stamped.
    applies_to = models.ForeignKey(
        "invoices.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_cfdis",
        verbose_name=_("factura a la que se aplica"),
    )
    # The draft this one replaces (cancellation reason 01): a substitution.
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="substitutes"
    )
    notes = models.TextField(_("notas internas"), blank=True)
    subtotal = models.DecimalField(_("subtotal"), max_digits=18, decimal_places=2, default=0)
    discount = models.DecimalField(_("descuento"), max_digits=18, decimal_places=2, default=0)
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=2, default=0)
    fiscal_uuid = models.CharField(_("UUID fiscal"), max_length=36, blank=True)
    xml = models.TextField(blank=True)
    issued_at = models.DateTimeField(_("emitida el"), null=True, blank=True)
    invoice = models.OneToOneField(
        "invoices.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_cfdi",
    )
    credit_note = models.OneToOneField(
        "invoices.CreditNote",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_cfdi",
    )
    cancellation_reason = models.CharField(_("motivo de cancelación"), max_length=2, blank=True)
    substitution_uuid = models.CharField(_("UUID que la sustituye"), max_length=36, blank=True)
    cancelled_at = models.DateTimeField(_("cancelada el"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("CFDI emitido")
        verbose_name_plural = _("CFDI emitidos")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "series", "folio"],
                condition=~models.Q(folio=""),
                name="issued_cfdi_unique_folio",
            )
        ]

    def __str__(self) -> str:
        return f"{self.series}{self.folio or self.pk}"

    @property
    def number(self) -> str:
        return f"{self.series}{self.folio}" if self.folio else ""

    @property
    def is_draft(self) -> bool:
        return self.status == CfdiStatus.DRAFT


class IssuedCfdiLine(TaxLines):
    """One concept (Concepto) of an issued CFDI."""

    cfdi = models.ForeignKey(IssuedCfdi, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True)
    code = models.CharField(_("clave interna"), max_length=100, blank=True)
    description = models.CharField(_("descripción"), max_length=1000)
    sat_product_key = models.CharField(_("clave SAT"), max_length=8)
    sat_unit_key = models.CharField(_("clave de unidad"), max_length=3)
    unit_name = models.CharField(_("unidad"), max_length=20, blank=True)
    quantity = models.DecimalField(_("cantidad"), **PRICE)
    unit_price = models.DecimalField(_("precio unitario"), **PRICE)
    discount = models.DecimalField(_("descuento"), max_digits=18, decimal_places=2, default=0)

    class Meta:
        ordering = ["position", "id"]


class FolioSeries(models.Model):
    """The next folio of a series (``F`` for invoices, ``NC`` for credit notes by default),
    taken under a row lock when a CFDI is stamped."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    series = models.CharField(_("serie"), max_length=25)
    next_folio = models.PositiveIntegerField(_("siguiente folio"), default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "series"], name="folio_series_unique")
        ]


class RecurringInvoice(models.Model):
    """A monthly (or every N months) invoice: ``template`` is copied into a draft, stamped
    and sent on ``next_date``; the job that does it is safe to run twice for a day."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    template = models.OneToOneField(IssuedCfdi, on_delete=models.CASCADE, related_name="recurrence")
    every_months = models.PositiveSmallIntegerField(_("cada cuántos meses"), default=1)
    day_of_month = models.PositiveSmallIntegerField(_("día del mes"), default=1)
    next_date = models.DateField(_("siguiente emisión"))
    due_days = models.PositiveSmallIntegerField(_("días de crédito"), default=30)
    active = models.BooleanField(_("activa"), default=True)
    last_issued = models.ForeignKey(
        IssuedCfdi, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_error = models.CharField(_("último error"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("factura recurrente")
        verbose_name_plural = _("facturas recurrentes")
