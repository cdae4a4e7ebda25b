"""The timeline (bitácora) and the in-app notifications it raises.

The tables keep their original names (``followup_*``): the models moved here from
``followup`` with state-only migrations, see docs/adr/0003-timeline-on-the-ground-floor.md.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import ActivityKind, ActorKind, NotificationKind


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
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

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

    def __str__(self):
        return self.summary

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("the timeline is append-only; activities cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the timeline is append-only; activities cannot be deleted")

    @property
    def actor_label(self) -> str:
        if self.actor_kind == ActorKind.USER and self.actor_user:
            return self.actor_user.get_full_name() or self.actor_user.get_username()
        return self.get_actor_kind_display()


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
