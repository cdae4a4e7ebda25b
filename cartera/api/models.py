"""API tokens, the API's security log, the idempotency records of POST requests, and the
outgoing webhooks (endpoints, messages, delivery attempts), and the ERP connections with
their sync log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cartera.lib.secrets import EncryptedTextField

from .choices import DeliveryStatus, ErpKind, SyncStatus, TokenScope


class ApiToken(models.Model):
    """An organisation's key to the REST API. Only the SHA-256 of the token is stored: the
    token itself is shown once, when it is created or rotated."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    name = models.CharField(_("nombre"), max_length=100)
    scope = models.CharField(_("permiso"), max_length=8, choices=TokenScope.choices)
    # The first characters, to recognise a token in the list without revealing it.
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("token de API")
        verbose_name_plural = _("tokens de API")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.WRITE


class ApiRequest(models.Model):
    """One call to the API: the security log (writes are also on the timeline, through
    the services they call)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="requests")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["token", "-created_at"], name="apirequest_token_created")]


class IdempotencyRecord(models.Model):
    """The first answer to a POST carrying an ``Idempotency-Key``, replayed on a retry."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="idempotency_unique_key")
        ]


class WebhookEndpoint(models.Model):
    """Where an organisation wants to hear about events, signed with its own secret."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("descripción"), max_length=200, blank=True)
    events = models.JSONField(_("eventos"), default=list)
    secret = EncryptedTextField(_("secreto de firma"))
    is_active = models.BooleanField(_("activo"), default=True)
    # The first failure of the current failing streak; None while deliveries succeed.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.url


class WebhookMessage(models.Model):
    """One event for one endpoint: the exact body signed and sent on every attempt, under
    the same ``webhook-id``."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    webhook_id = models.CharField(max_length=40, unique=True)
    event_type = models.CharField(max_length=40)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due")]


class WebhookAttempt(models.Model):
    """One HTTP request of a message and what came back (the delivery log)."""

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField()
    attempted_at = models.DateTimeField()
    request_headers = models.JSONField(default=dict)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["number", "id"]


class ErpConnection(models.Model):
    """One ERP an organisation syncs with, and where the last sync left off."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    kind = models.CharField(_("sistema"), max_length=10, choices=ErpKind.choices)
    name = models.CharField(_("nombre"), max_length=100)
    base_url = models.URLField(_("URL del servidor"), max_length=300, blank=True)
    database = models.CharField(_("base de datos"), max_length=100, blank=True)  # Odoo
    username = models.CharField(_("usuario"), max_length=200, blank=True)  # Alegra's email
    secret = EncryptedTextField(_("clave de API"), blank=True)
    folder = models.CharField(_("carpeta de XML"), max_length=500, blank=True)  # CONTPAQi
    every_minutes = models.PositiveIntegerField(_("cada (minutos)"), default=60)
    cursor = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(_("activa"), default=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("conexión con ERP")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class SyncRun(models.Model):
    """One sync of one connection: what it pulled and pushed, or why it failed."""

    connection = models.ForeignKey(ErpConnection, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=SyncStatus.choices, default=SyncStatus.RUNNING)
    counts = models.JSONField(default=dict, blank=True)
    cursor_before = models.JSONField(default=dict, blank=True)
    cursor_after = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    @property
    def counts_text(self) -> str:
        """The counts as one line (``invoices: created 3, updated 1 · pushed: 0``)."""
        parts = []
        for noun, value in self.counts.items():
            if isinstance(value, dict):
                value = ", ".join(f"{result} {n}" for result, n in value.items())
            elif isinstance(value, list):
                value = "; ".join(value)
            parts.append(f"{noun}: {value}")
        return " · ".join(parts)


class PushedPayment(models.Model):
    """A Cartera payment already written to the ERP (pushing twice would pay twice)."""

    connection = models.ForeignKey(ErpConnection, on_delete=models.CASCADE, related_name="+")
    payment = models.ForeignKey("payments.Payment", on_delete=models.CASCADE, related_name="+")
    remote_id = models.CharField(max_length=64)
    pushed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "payment"], name="pushed_payment_once")
        ]
