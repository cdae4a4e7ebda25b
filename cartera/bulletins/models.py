"""Credit bulletins: the invoices an organisation selects for publication in a commercial
credit bulletin, the legal notice before it, what each exported file published and the
removal (aclaración / baja) once paid. docs/credit-bulletins.md."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Days between the legal notice being sent and the first day its invoices may be exported,
# when the organisation has not chosen another number (docs/credit-bulletins.md: no
# statutory period was found in the public sources; this is a conservative default).
DEFAULT_WAIT_DAYS = 10
COUNTRIES = ("MX", "CL")


class BulletinSettings(models.Model):
    """The organisation's choices for its bulletin files."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="bulletin_settings"
    )
    wait_days = models.PositiveSmallIntegerField(
        _("días de espera tras el aviso"), default=DEFAULT_WAIT_DAYS
    )
    # Mexico: the member code ("clave de usuario") the bureau assigned (header field 00).
    member_code = models.CharField(_("clave de otorgante"), max_length=4, blank=True)


class BulletinEntry(models.Model):
    """One invoice selected for publication; the notice that precedes it."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="bulletin_entries"
    )
    invoice = models.OneToOneField(
        "invoices.Invoice", on_delete=models.PROTECT, related_name="bulletin_entry"
    )
    selected_on = models.DateField(_("seleccionada el"))
    selected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notice = models.ForeignKey(
        "outreach.Message", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    noticed_on = models.DateField(_("aviso en cola el"), null=True, blank=True)

    class Meta:
        ordering = ("selected_on", "id")


class BulletinFile(models.Model):
    """One exported file: at most one per organisation, country and day (idempotent)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    country = models.CharField(_("país"), max_length=2)
    day = models.DateField(_("fecha"))
    filename = models.CharField(_("archivo"), max_length=120)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-day", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "country", "day"], name="bulletin_file_once_a_day"
            )
        ]


class Publication(models.Model):
    """What one file published about one invoice, and its removal after payment."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    entry = models.OneToOneField(
        BulletinEntry, on_delete=models.PROTECT, related_name="publication"
    )
    file = models.ForeignKey(BulletinFile, on_delete=models.PROTECT, related_name="publications")
    published_on = models.DateField(_("publicada el"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    amount = models.DecimalField(_("saldo publicado"), max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    days_overdue = models.PositiveIntegerField()
    # Set when the invoice stops owing (paid, credited, voided): a removal is due.
    removal_due_on = models.DateField(_("aclaración pendiente desde"), null=True, blank=True)
    removal_file = models.ForeignKey(
        BulletinFile, null=True, blank=True, on_delete=models.PROTECT, related_name="removals"
    )
    removed_on = models.DateField(_("aclarada el"), null=True, blank=True)

    class Meta:
        ordering = ("-published_on", "id")
