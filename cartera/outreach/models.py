"""The outbox: every outbound message is a row first; transports only send rows."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cartera.lib.secrets import EncryptedTextField

from .choices import EventKind, MessageChannel, MessagePurpose, MessageStatus, TemplateKind


class MessageTemplate(models.Model):
    """An organisation's template for one kind (stage or purpose), channel and language.

    Rendering is sandboxed (outreach/rendering.py); a template that does not compile is
    refused on save by the service, with the error shown.
    """

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    key = models.SlugField(_("clave"), max_length=60)
    name = models.CharField(_("nombre"), max_length=200)
    kind = models.CharField(_("uso"), max_length=20, choices=TemplateKind.choices)
    channel = models.CharField(
        _("canal"), max_length=10, choices=MessageChannel.choices, default=MessageChannel.EMAIL
    )
    language = models.CharField(_("idioma"), max_length=8, default="es-mx")
    subject = models.CharField(_("asunto"), max_length=300, blank=True)
    body_text = models.TextField(_("texto"))
    body_html = models.TextField(_("HTML"), blank=True)
    is_default = models.BooleanField(_("por omisión para su uso y canal"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("plantilla")
        verbose_name_plural = _("plantillas")
        ordering = ["kind", "key", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key", "channel", "language"],
                name="messagetemplate_unique_key",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.language})"


class Message(models.Model):
    """One outbound message, created in the same transaction as the decisions behind it.

    ``key`` is the idempotency key; a collection message is also unique per
    (customer, channel, as-of date). Status moves queued → sending → sent → delivered /
    opened / clicked, or to bounced / failed / cancelled.
    """

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    key = models.CharField(max_length=120)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="messages"
    )
    contacts = models.ManyToManyField("customers.Contact", blank=True)
    channel = models.CharField(_("canal"), max_length=10, choices=MessageChannel.choices)
    purpose = models.CharField(
        _("tipo"), max_length=20, choices=MessagePurpose.choices, default=MessagePurpose.DUNNING
    )
    as_of = models.DateField(_("fecha del plan"))
    step_key = models.CharField(_("paso"), max_length=60, blank=True)
    template_key = models.CharField(_("plantilla"), max_length=60, blank=True)
    # a stage, or a template kind (``TemplateKind``) for the messages that are not one
    stage = models.CharField(_("etapa"), max_length=20, blank=True)
    language = models.CharField(max_length=8, default="es-mx")
    to = models.JSONField(_("para"), default=list)
    cc = models.JSONField(_("copia"), default=list)
    reply_to = models.CharField(max_length=254, blank=True)
    subject = models.CharField(_("asunto"), max_length=300, blank=True)
    body_text = models.TextField(_("texto"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    attach_pdf = models.BooleanField(default=False)
    attach_xml = models.BooleanField(default=False)
    invoices = models.ManyToManyField("invoices.Invoice", blank=True, related_name="messages")
    # A stamped payment complement (REP) sent with its XML and PDF attached.
    payment_complement = models.ForeignKey(
        "payments.PaymentComplement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    status = models.CharField(
        _("estado"), max_length=20, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    # Fixed reasons are stored as their (Spanish) msgid and shown by ``reason_text`` in
    # the reader's language; a reason with details (a template error) is stored as written.
    status_reason = models.CharField(_("motivo"), max_length=300, blank=True)
    scheduled_for = models.DateTimeField(_("programado para"))
    policy = models.JSONField(_("política que lo permitió"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    transport = models.CharField(max_length=60, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    segments = models.PositiveSmallIntegerField(_("segmentos SMS"), null=True, blank=True)
    # The step's later channels: a permanent failure queues the message on the next one
    # with a usable contact point (``fallback.py``).
    fallback_channels = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mensaje")
        verbose_name_plural = _("mensajes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="message_unique_key"),
            models.UniqueConstraint(
                fields=["customer", "channel", "as_of"],
                condition=Q(purpose=MessagePurpose.DUNNING),
                name="message_unique_dunning_per_day",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "scheduled_for"], name="message_status_scheduled"),
            models.Index(fields=["organization", "-created_at"], name="message_org_created"),
            models.Index(fields=["customer", "channel", "as_of"], name="message_customer_day"),
            models.Index(fields=["provider_id"], name="message_provider_id"),
        ]

    def __str__(self):
        return self.subject or self.key

    @property
    def reason_text(self) -> str:
        """The status reason in the active language (as stored when it has no msgid)."""
        return gettext(self.status_reason) if self.status_reason else ""


class MessageEvent(models.Model):
    """Something that happened to a message (sent, delivered, opened, clicked, bounced…)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=14, choices=EventKind.choices)
    occurred_at = models.DateTimeField()
    source = models.CharField(max_length=20, default="cartera")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]


class ContactPointBlock(models.Model):
    """A contact point (an email address, a phone) that must not be used: hard bounce,
    invalid address. The planner treats it as missing."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE)
    channel = models.CharField(max_length=10, choices=MessageChannel.choices)
    address = models.CharField(max_length=254)
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "channel", "address"], name="contactpointblock_unique"
            )
        ]


class WhatsAppConfig(models.Model):
    """An organisation's WhatsApp Business Cloud API number. Secrets are encrypted at rest
    and never shown again once saved."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="whatsapp_config"
    )
    phone_number_id = models.CharField(_("identificador del número"), max_length=64)
    business_account_id = models.CharField(_("cuenta de WhatsApp Business (WABA)"), max_length=64)
    access_token = EncryptedTextField(_("token de acceso"), blank=True)
    app_secret = EncryptedTextField(_("secreto de la aplicación"), blank=True)
    verify_token = EncryptedTextField(_("token de verificación del webhook"), blank=True)
    api_url = models.URLField(_("URL de la API"), default="https://graph.facebook.com")
    api_version = models.CharField(_("versión de la API"), max_length=10, default="v21.0")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("configuración de WhatsApp")

    @property
    def is_complete(self) -> bool:
        return bool(self.phone_number_id and self.access_token and self.app_secret)


class WhatsAppTemplate(models.Model):
    """One approved (or pending) template of the organisation's catalogue at Meta, kept in
    sync; ``stage`` maps it to a dunning stage and ``parameters`` names what fills each
    ``{{n}}`` of its body."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    name = models.CharField(_("nombre"), max_length=512)
    language = models.CharField(_("idioma"), max_length=16)
    status = models.CharField(_("estado en Meta"), max_length=20)
    category = models.CharField(_("categoría"), max_length=20, blank=True)
    body = models.TextField(_("texto"), blank=True)
    parameter_count = models.PositiveSmallIntegerField(default=0)
    quick_replies = models.JSONField(default=list, blank=True)
    stage = models.CharField(
        _("etapa de cobranza"), max_length=20, choices=TemplateKind.choices, blank=True
    )
    parameters = models.JSONField(_("parámetros"), default=list, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        verbose_name = _("plantilla de WhatsApp")
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name", "language"], name="whatsapptemplate_unique"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.language})"


class InboundEvent(models.Model):
    """A provider's webhook call exactly as received (signature already verified), stored
    before anything is read from it and processed by a task. The same body twice is
    stored once."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    provider = models.CharField(max_length=20)
    digest = models.CharField(max_length=64)
    body = models.TextField()
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider", "digest"], name="inboundevent_unique"
            )
        ]


def inbound_media_path(instance, filename):
    return f"org-{instance.organization_id}/inbound/{filename}"


class InboundMessage(models.Model):
    """A message a debtor sent us (WhatsApp, SMS), unique by the provider's id, and what
    Cartera made of it (``intent`` and ``outcome``)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    channel = models.CharField(_("canal"), max_length=10, choices=MessageChannel.choices)
    provider_id = models.CharField(max_length=200)
    from_address = models.CharField(_("de"), max_length=32)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL
    )
    kind = models.CharField(max_length=20)
    text = models.TextField(_("texto"), blank=True)
    payload = models.CharField(max_length=200, blank=True)
    media_id = models.CharField(max_length=200, blank=True)
    media_type = models.CharField(max_length=100, blank=True)
    # the file kept for the agent when it was not taken as a payment's proof
    media_file = models.FileField(upload_to=inbound_media_path, max_length=300, blank=True)
    media_content_type = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(_("recibido"))
    intent = models.CharField(_("intención"), max_length=20, blank=True)
    outcome = models.CharField(_("resultado"), max_length=300, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "channel", "provider_id"], name="inboundmessage_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["organization", "from_address", "-received_at"], name="inbound_from"
            )
        ]

    def get_media_label(self) -> str:
        return str(_("(archivo adjunto)")) if self.media_id else ""


class SmsConfig(models.Model):
    """An organisation's Twilio-compatible SMS account (Messages API); the auth token is
    encrypted at rest and signs the status callbacks."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="sms_config"
    )
    account_sid = models.CharField(_("Account SID"), max_length=64)
    auth_token = EncryptedTextField(_("token de autenticación"), blank=True)
    from_number = models.CharField(_("remitente"), max_length=32)
    api_url = models.URLField(_("URL de la API"), default="https://api.twilio.com")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("configuración de SMS")

    @property
    def is_complete(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.from_number)


class LetterBatch(models.Model):
    """The day's letters of an organisation: printed together, posted together. Its letters
    become ``sent`` when the batch is marked posted."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    day = models.DateField(_("día"))
    posted_on = models.DateField(_("enviado por correo el"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lote de cartas")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "day"], name="letter_batch_unique_day")
        ]


class Letter(models.Model):
    """One printed letter: the message it carries and the address it went to, as printed."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    batch = models.ForeignKey(LetterBatch, on_delete=models.CASCADE, related_name="letters")
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="letter")
    recipient = models.CharField(_("destinatario"), max_length=300)
    attention = models.CharField(_("atención"), max_length=200, blank=True)
    address_lines = models.JSONField(_("dirección"), default=list)
    postal_code = models.CharField(_("código postal"), max_length=10)
    tracking_number = models.CharField(_("número de guía"), max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("carta")
        ordering = ["id"]

    @property
    def reference(self) -> str:
        return f"C-{self.pk:06d}"


class TestSend(models.Model):
    """A test e-mail a member sent to themself ("Enviar prueba a mi correo").

    Kept apart from ``Message`` on purpose: it is never a reminder, never counted by the
    planner's caps or the reports, and never appears on a customer's timeline."""

    class Source(models.TextChoices):
        TEMPLATE = "template", _("Plantilla")
        STRATEGY = "strategy", _("Estrategia")
        STEP = "step", _("Paso")
        MESSAGE = "message", _("Mensaje")

    __test__ = False  # not a pytest class despite its name

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    source = models.CharField(_("origen"), max_length=10, choices=Source.choices)
    source_label = models.CharField(_("de"), max_length=300, blank=True)
    # The real customer whose data filled the template, or None for the sample data.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to = models.CharField(_("para"), max_length=254)
    subject = models.CharField(_("asunto"), max_length=400)
    body_text = models.TextField(_("texto"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    transport = models.CharField(max_length=60, blank=True)
    sent_at = models.DateTimeField(_("enviado"))

    class Meta:
        verbose_name = _("envío de prueba")
        verbose_name_plural = _("envíos de prueba")
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["organization", "-sent_at"], name="testsend_org_sent")]

    def __str__(self):
        return self.subject
