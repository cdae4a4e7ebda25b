from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cartera.orgs.choices import Language

from .choices import (
    DOCUMENT_OWED,
    Channel,
    Classification,
    ContactRole,
    DocumentAppliesTo,
    DocumentStatus,
)


class Tag(models.Model):
    """A free label used to segment customers (e.g. 'gobierno', 'mayoreo')."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    name = models.CharField(_("nombre"), max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="tag_unique_name")
        ]

    def __str__(self):
        return self.name


class PostalAddress(models.Model):
    """A postal address (Mexican shape: exterior/interior number, colonia); where letters go.
    Complete when it has a street and a postal code."""

    address_street = models.CharField(_("calle"), max_length=200, blank=True)
    address_exterior = models.CharField(_("número exterior"), max_length=20, blank=True)
    address_interior = models.CharField(_("número interior"), max_length=20, blank=True)
    address_colonia = models.CharField(_("colonia"), max_length=120, blank=True)
    address_city = models.CharField(_("ciudad o municipio"), max_length=120, blank=True)
    address_state = models.CharField(_("estado"), max_length=120, blank=True)
    address_postal_code = models.CharField(_("código postal"), max_length=10, blank=True)
    address_country = models.CharField(_("país (dirección)"), max_length=2, blank=True)

    ADDRESS_FIELDS = (
        "address_street",
        "address_exterior",
        "address_interior",
        "address_colonia",
        "address_city",
        "address_state",
        "address_postal_code",
        "address_country",
    )

    class Meta:
        abstract = True

    @property
    def has_postal_address(self) -> bool:
        return bool(self.address_street.strip() and self.address_postal_code.strip())

    def address_lines(self) -> list[str]:
        """The address block as printed on an envelope (Mexican order)."""
        street = " ".join(
            part
            for part in (
                self.address_street,
                self.address_exterior,
                f"int. {self.address_interior}" if self.address_interior else "",
            )
            if part
        )
        place = ", ".join(p for p in (self.address_city, self.address_state) if p)
        lines = [
            street,
            f"Col. {self.address_colonia}" if self.address_colonia else "",
            f"C.P. {self.address_postal_code} {place}".strip(),
            self.address_country,
        ]
        return [line for line in lines if line]


class Customer(PostalAddress, models.Model):
    """A debtor: someone who owes the organisation money."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    external_id = models.CharField(_("clave externa"), max_length=64)
    name = models.CharField(_("nombre"), max_length=200)
    legal_name = models.CharField(_("razón social"), max_length=300, blank=True)
    tax_id = models.CharField(_("RFC / RUT / CUIT"), max_length=32, blank=True)
    country = models.CharField(_("país"), max_length=2, default="MX")
    timezone = models.CharField(_("zona horaria"), max_length=64, blank=True)
    language = models.CharField(
        _("idioma"), max_length=8, choices=Language.choices, default=Language.SPANISH
    )
    fiscal_postal_code = models.CharField(_("código postal fiscal"), max_length=10, blank=True)
    tax_regime = models.CharField(_("régimen fiscal"), max_length=8, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(
        _("días de crédito"), null=True, blank=True
    )
    credit_limit = models.DecimalField(
        _("límite de crédito"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("gestor asignado"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_customers",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("etiquetas"), blank=True)
    classification = models.CharField(
        _("clasificación"), max_length=1, choices=Classification.choices, blank=True
    )
    # Written nightly by the forecast (reports.services.store_late_probabilities), read by
    # the work-list priority: the amount-weighted probability that its open invoices not
    # yet due are paid late; None without such invoices or before the first run.
    late_probability = models.DecimalField(
        _("probabilidad de pagar tarde"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    late_probability_on = models.DateField(_("probabilidad calculada el"), null=True, blank=True)
    paused_until = models.DateField(_("pausado hasta"), null=True, blank=True)
    pause_reason = models.CharField(_("motivo de pausa"), max_length=300, blank=True)
    do_not_contact = models.BooleanField(_("no contactar"), default=False)
    do_not_contact_reason = models.CharField(
        _("motivo de no contactar"), max_length=300, blank=True
    )
    # The group view (docs/groups.md): a declared "grupo empresarial" (set by owners and
    # managers); customers of any organisation with the same ``business_group_key`` (the
    # name slugified) are one group, as are customers with the same ``tax_id``.
    business_group = models.CharField(_("grupo empresarial"), max_length=120, blank=True)
    business_group_key = models.SlugField(max_length=120, blank=True, db_index=True)
    # "Suspender suministro": shown on the group page and on the same customer's page in
    # the viewer's other organisations.
    supply_stopped = models.BooleanField(_("suministro suspendido"), default=False)
    supply_stopped_reason = models.CharField(
        _("motivo de la suspensión"), max_length=300, blank=True
    )
    supply_stopped_on = models.DateField(_("suministro suspendido el"), null=True, blank=True)
    # Set by the daily credit check when the open balance first goes over the credit
    # limit (one alert per crossing); cleared when it is back within it.
    over_credit_limit_since = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cliente")
        verbose_name_plural = _("clientes")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="customer_unique_external_id"
            ),
            models.UniqueConstraint(
                fields=["organization", "tax_id"],
                condition=~Q(tax_id=""),
                name="customer_unique_tax_id",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "name"], name="customer_org_name"),
            models.Index(fields=["tax_id"], name="customer_tax_id"),
        ]

    def __str__(self):
        return self.name

    def is_paused(self, *, on) -> bool:
        return self.paused_until is not None and self.paused_until >= on

    @property
    def effective_timezone(self) -> str:
        return self.timezone or self.organization.timezone


class GroupCreditLimit(models.Model):
    """The credit an organisation grants a whole group of customers (docs/groups.md):
    ``group_key`` is a declared group's key or a tax id. Compared on the group page with
    the group's open balance in ``currency`` (other currencies are not converted)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    group_key = models.CharField(max_length=120)
    amount = models.DecimalField(_("límite de crédito del grupo"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("moneda"), max_length=3)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("límite de crédito del grupo")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "group_key"], name="groupcreditlimit_unique_key"
            )
        ]


class GroupLimitAlert(models.Model):
    """A group over ``limit`` as one user sees it (the group's exposure counts only the
    organisations that user belongs to): the row is the alert already raised for this
    crossing. Created once (unique), deleted when that exposure is back within the limit,
    so a later crossing alerts again (reports.credit_alerts)."""

    limit = models.ForeignKey(GroupCreditLimit, on_delete=models.CASCADE, related_name="alerts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    since = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["limit", "user"], name="grouplimitalert_unique_user")
        ]


class Contact(PostalAddress, models.Model):
    """A person at the debtor and the ways to reach them."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("nombre"), max_length=200)
    role = models.CharField(
        _("rol"), max_length=16, choices=ContactRole.choices, default=ContactRole.PAYMENTS
    )
    email = models.EmailField(_("correo"), blank=True)
    mobile_phone = models.CharField(_("celular"), max_length=20, blank=True)
    whatsapp = models.CharField(_("WhatsApp"), max_length=20, blank=True)
    preferred_channel = models.CharField(
        _("canal preferido"), max_length=16, choices=Channel.choices, default=Channel.EMAIL
    )
    is_primary = models.BooleanField(_("principal"), default=False)
    email_opt_out_at = models.DateTimeField(null=True, blank=True)
    email_opt_out_reason = models.CharField(max_length=300, blank=True)
    sms_opt_out_at = models.DateTimeField(null=True, blank=True)
    sms_opt_out_reason = models.CharField(max_length=300, blank=True)
    whatsapp_opt_out_at = models.DateTimeField(null=True, blank=True)
    whatsapp_opt_out_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contacto")
        ordering = ["-is_primary", "name"]

    def __str__(self):
        return self.name

    def opted_out(self, channel: str) -> bool:
        return getattr(self, f"{channel}_opt_out_at", None) is not None


# --- documents the customer owes (docs/customer-documents.md) ------------------------------
class DocumentKind(models.Model):
    """A kind of document the organisation asks of its customers (constancia de situación
    fiscal, opinión de cumplimiento, contrato …). ``validity_days``: how long one is good
    for from its issue date (or from its upload when no issue date is given); empty: it
    does not expire. Built-in kinds (``code`` set) are installed for every organisation."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    code = models.SlugField(_("clave"), max_length=40)
    name = models.CharField(_("nombre"), max_length=120)
    description = models.CharField(_("descripción"), max_length=300, blank=True)
    validity_days = models.PositiveSmallIntegerField(_("vigencia (días)"), null=True, blank=True)
    applies_to = models.CharField(
        _("se pide a"),
        max_length=10,
        choices=DocumentAppliesTo.choices,
        default=DocumentAppliesTo.REQUESTED,
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("etiquetas"), blank=True)
    is_active = models.BooleanField(_("activo"), default=True)
    is_builtin = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = _("tipo de documento")
        verbose_name_plural = _("tipos de documento")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code"], name="documentkind_unique_code"
            )
        ]

    def __str__(self):
        return self.name


class DocumentSettings(models.Model):
    """How often a customer is reminded of the documents it owes (defaults without a row)."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="document_settings"
    )
    send_reminders = models.BooleanField(_("enviar recordatorios de documentos"), default=True)
    reminder_every_days = models.PositiveSmallIntegerField(_("recordar cada (días)"), default=7)


class CustomerDocument(models.Model):
    """One document a customer owes the organisation: a kind required of them and where it
    stands. The files sent for it are its ``uploads``; ``current`` is the latest."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="documents")
    kind = models.ForeignKey(DocumentKind, on_delete=models.PROTECT, related_name="documents")
    status = models.CharField(
        _("estado"),
        max_length=10,
        choices=DocumentStatus.choices,
        default=DocumentStatus.REQUESTED,
    )
    requested_on = models.DateField(_("solicitado el"))
    valid_until = models.DateField(_("vigente hasta"), null=True, blank=True)
    rejection_reason = models.CharField(_("motivo del rechazo"), max_length=300, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expired_on = models.DateField(_("venció el"), null=True, blank=True)
    last_reminded_on = models.DateField(_("último recordatorio"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("documento del cliente")
        verbose_name_plural = _("documentos del cliente")
        ordering = ["kind__position", "kind__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind"], name="customerdocument_unique_kind"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="customerdocument_org_status")
        ]

    def __str__(self):
        return f"{self.customer} · {self.kind}"

    @property
    def is_owed(self) -> bool:
        return self.status in DOCUMENT_OWED

    BADGES = {
        DocumentStatus.REQUESTED: "badge-warning",
        DocumentStatus.UPLOADED: "badge-open",
        DocumentStatus.ACCEPTED: "badge-paid",
        DocumentStatus.REJECTED: "badge-overdue",
        DocumentStatus.EXPIRED: "badge-overdue",
    }

    @property
    def badge(self) -> str:
        return self.BADGES.get(self.status, "badge-tag")

    @property
    def current(self):
        return self.uploads.order_by("-uploaded_at", "-id").first()


def document_path(instance, filename):
    return f"org-{instance.organization_id}/documents/{instance.document.customer_id}/{filename}"


class DocumentUpload(models.Model):
    """A file sent for a customer document, by an agent (back office) or the debtor
    (portal). Stored outside the web root; served through a view."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    document = models.ForeignKey(CustomerDocument, on_delete=models.CASCADE, related_name="uploads")
    file = models.FileField(upload_to=document_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    issued_on = models.DateField(_("fecha de emisión"), null=True, blank=True)
    valid_until = models.DateField(_("vigente hasta"), null=True, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by_debtor = models.BooleanField(_("subido por el cliente"), default=False)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
