"""Judicial and agency cases: invoices handed to an outside law firm or agency."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import CLOSED_STATES, AssigneeKind, CaseState


class Assignee(models.Model):
    """A law firm or collection agency the organisation hands cases to."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    name = models.CharField(_("nombre"), max_length=200)
    kind = models.CharField(_("tipo"), max_length=16, choices=AssigneeKind.choices)
    contact_name = models.CharField(_("contacto"), max_length=200, blank=True)
    contact_email = models.EmailField(_("correo del contacto"), blank=True)
    contact_phone = models.CharField(_("teléfono del contacto"), max_length=32, blank=True)
    commission_rate = models.DecimalField(
        _("comisión (%)"), max_digits=5, decimal_places=2, default=0
    )
    # The collaborator members (role "collaborator") who work this assignee's cases.
    members = models.ManyToManyField("orgs.Membership", blank=True, related_name="case_assignees")

    class Meta:
        ordering = ("name", "id")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="assignee_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="legal_cases"
    )
    assignee = models.ForeignKey(Assignee, on_delete=models.PROTECT, related_name="cases")
    number = models.CharField(_("número"), max_length=32)
    state = models.CharField(
        _("estado"), max_length=16, choices=CaseState.choices, default=CaseState.PREPARING
    )
    opened_on = models.DateField(_("abierto el"))
    closed_on = models.DateField(_("cerrado el"), null=True, blank=True)
    invoices = models.ManyToManyField("invoices.Invoice", related_name="legal_cases")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    note = models.TextField(_("nota"), blank=True)

    class Meta:
        ordering = ("-opened_on", "-id")
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="case_unique_number")
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED_STATES


class CaseStateChange(models.Model):
    """Each state a case went through, with its date and note."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="changes")
    state = models.CharField(max_length=16, choices=CaseState.choices)
    date = models.DateField(_("fecha"))
    note = models.TextField(_("nota"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ("date", "id")


def document_path(instance, filename: str) -> str:
    return f"cases/{instance.case.organization_id}/{instance.case_id}/{filename}"


class CaseDocument(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=document_path, max_length=300)
    original_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("uploaded_at", "id")


class CasePayment(models.Model):
    """A payment logged on a case's page. A collaborator's is a ``reported`` payment (not
    applied) until an owner or manager confirms or rejects it on the case page."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_payments")
    payment = models.OneToOneField(
        "payments.Payment", on_delete=models.PROTECT, related_name="case_link"
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ("id",)
