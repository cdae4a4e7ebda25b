from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cartera.lib.money import CURRENCY_CHOICES

from .choices import (
    CallOutcome,
    PromiseSource,
    PromiseStatus,
    TaskKind,
    TaskPriority,
    TaskStatus,
    UnassignedRule,
)


class Task(models.Model):
    """A piece of agent work: a collection call, missing contact data, a bounced email."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="tasks"
    )
    invoices = models.ManyToManyField("invoices.Invoice", blank=True, related_name="tasks")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsable"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    kind = models.CharField(_("tipo"), max_length=24, choices=TaskKind.choices)
    title = models.CharField(_("título"), max_length=300)
    due_date = models.DateField(_("fecha límite"))
    status = models.CharField(
        _("estado"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    priority = models.PositiveSmallIntegerField(
        _("prioridad"), choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    notes = models.TextField(_("notas"), blank=True)
    # Idempotency for system-created tasks ("dunning:<customer>:<date>", "missing:<customer>:email").
    key = models.CharField(max_length=120, blank=True)
    # De-duplication: at most one open task per (customer, kind, subject); a new trigger
    # updates it (see followup.services.open_task). "" is "the customer's collection".
    subject = models.CharField(_("asunto"), max_length=120, blank=True)
    # The documented priority score (docs/workday.md) and its top reasons, refreshed
    # whenever the task is written and when the work list is computed.
    score = models.IntegerField(_("puntaje de prioridad"), default=0)
    reasons = models.JSONField(default=list, blank=True)
    # The organisation's date the score was computed for; the work list rescores any open
    # task whose score is older than today before sorting (followup.selectors.work_list).
    scored_on = models.DateField(null=True, blank=True)
    snoozed_until = models.DateField(_("pospuesta hasta"), null=True, blank=True)
    outcome = models.CharField(
        _("resultado"), max_length=16, choices=CallOutcome.choices, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True, null=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("tarea")
        verbose_name_plural = _("tareas")
        ordering = ["due_date", "-priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key"], condition=~Q(key=""), name="task_unique_key"
            ),
            # De-duplication, also in the database: one open task per customer, kind and
            # subject (followup.services.open_task and dunning.writer update it instead).
            models.UniqueConstraint(
                fields=["organization", "customer", "kind", "subject"],
                condition=Q(status=TaskStatus.OPEN),
                name="task_unique_open_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "due_date"], name="task_org_status_due"),
            models.Index(fields=["assignee", "status"], name="task_assignee_status"),
            models.Index(
                fields=["organization", "customer", "kind", "status"], name="task_dedup_lookup"
            ),
            # The work list: sorted and paginated by the stored score in SQL.
            models.Index(fields=["assignee", "status", "-score"], name="task_assignee_score"),
            models.Index(fields=["organization", "status", "-score"], name="task_org_score"),
            models.Index(fields=["organization", "status", "scored_on"], name="task_org_scored"),
        ]

    def __str__(self):
        return self.title


class PromiseToPay(models.Model):
    """The debtor's word that they will pay (some of) their invoices by a date."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="promises"
    )
    invoices = models.ManyToManyField("invoices.Invoice", related_name="promises")
    promised_date = models.DateField(_("fecha prometida"))
    amount = models.DecimalField(_("importe"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("moneda"), max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(
        _("estado"), max_length=16, choices=PromiseStatus.choices, default=PromiseStatus.OPEN
    )
    source = models.CharField(
        _("origen"), max_length=8, choices=PromiseSource.choices, default=PromiseSource.AGENT
    )
    notes = models.TextField(_("notas"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("promesa de pago")
        verbose_name_plural = _("promesas de pago")
        ordering = ["promised_date", "id"]
        indexes = [
            models.Index(fields=["customer", "status"], name="promise_customer_status"),
        ]

    def __str__(self):
        return f"{self.customer} · {self.promised_date}"


class WorkSettings(models.Model):
    """Per-organisation rules of the collections team's workday."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="work_settings"
    )
    unassigned_rule = models.CharField(
        _("tareas de clientes sin gestor"),
        max_length=12,
        choices=UnassignedRule.choices,
        default=UnassignedRule.ROUND_ROBIN,
    )
    # Round robin: the user id that got the last unassigned task.
    last_round_robin_user_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("configuración de gestión")


class TagRoute(models.Model):
    """Unassigned customers with this tag go to this agent (rule "por etiqueta")."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    tag = models.ForeignKey("customers.Tag", on_delete=models.CASCADE)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "tag"], name="tagroute_unique_tag")
        ]


class ExchangeRate(models.Model):
    """The organisation's rate table: 1 unit of ``currency`` = ``rate`` units of its own
    currency. Used for priority scores when an invoice has no rate of its own."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    currency = models.CharField(_("moneda"), max_length=3, choices=CURRENCY_CHOICES)
    rate = models.DecimalField(_("tipo de cambio"), max_digits=18, decimal_places=6)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "currency"], name="exchangerate_unique_currency"
            )
        ]
