"""The timeline (bitácora) and the in-app notifications it raises.

The tables keep their original names (``followup_*``): the models moved here from
``followup`` with state-only migrations, see docs/adr/0003-timeline-on-the-ground-floor.md.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cartera.lib.secrets import EncryptedTextField

from .choices import ActivityKind, ActorKind, NotificationKind
from .sentences import entry_text


class ActivityQuerySet(models.QuerySet):
    """The timeline is append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise TypeError("the timeline is append-only; activities cannot be updated")

    def delete(self):
        raise TypeError("the timeline is append-only; activities cannot be deleted")


class Activity(models.Model):
    """One entry of the timeline (bitácora): who did what, when, to which customer/invoice."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    invoice = models.ForeignKey(
        "invoices.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    actor_kind = models.CharField(max_length=8, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    kind = models.CharField(_("tipo"), max_length=32, choices=ActivityKind.choices)
    summary = models.CharField(_("resumen"), max_length=500)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # Stamped by the service just before the entry is hashed (it is part of the hash); a
    # Python default rather than auto_now_add so that the stamped value is the one saved.
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # The hash chain (docs/timeline-chain.md): gapless per organisation, set by the service.
    sequence = models.PositiveBigIntegerField(null=True, editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        db_table = "followup_activity"
        verbose_name = _("actividad")
        verbose_name_plural = _("bitácora")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="activity_org_created"),
            models.Index(fields=["customer", "-created_at"], name="activity_customer_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "sequence"], name="activity_unique_sequence"
            )
        ]

    def __str__(self):
        return self.text

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("the timeline is append-only; activities cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the timeline is append-only; activities cannot be deleted")

    @property
    def text(self) -> str:
        """The summary in the reader's (active) language; what every page shows."""
        return entry_text(self.summary, self.data)

    @property
    def actor_label(self) -> str:
        if self.actor_kind == ActorKind.USER and self.actor_user:
            return self.actor_user.get_full_name() or self.actor_user.get_username()
        return self.get_actor_kind_display()


class ChainHead(models.Model):
    """The last link of an organisation's chain; writers lock this row (PostgreSQL) so
    that two of them never take the same sequence."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)


class ChainKey(models.Model):
    """An organisation's Ed25519 key for signing anchors (created on first anchor)."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    private_key = EncryptedTextField()  # raw 32 bytes, base64
    public_key = models.CharField(max_length=64)  # raw 32 bytes, base64
    created_at = models.DateTimeField(default=timezone.now)


class ChainAnchor(models.Model):
    """The chain head of one day, signed: deleting entries from the end of the chain
    leaves an anchor pointing at a sequence that is gone."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    sequence = models.PositiveBigIntegerField()
    chain_hash = models.CharField(max_length=64)
    signature = models.CharField(max_length=100)  # Ed25519, base64
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "day"], name="chainanchor_unique_day")
        ]


class Notification(models.Model):
    """An in-app notification (the bell) for one user, linking to its object."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("tipo"), max_length=20, choices=NotificationKind.choices)
    text = models.CharField(_("texto"), max_length=500)
    url = models.CharField(max_length=300, blank=True)
    # "activity:<id>" or "task:<id>": one notification per user and source.
    source = models.CharField(max_length=40)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "followup_notification"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "source"], name="notification_unique_source"
            )
        ]
        indexes = [
            models.Index(fields=["user", "organization", "read_at"], name="notification_unread")
        ]


class NotificationPreference(models.Model):
    """The notification kinds a user turned off in one organisation."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    muted = models.JSONField(default=list, blank=True)

    class Meta:
        db_table = "followup_notificationpreference"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="notificationpref_unique_user"
            )
        ]
