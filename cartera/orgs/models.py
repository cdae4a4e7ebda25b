from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cartera.lib.money import CURRENCY_CHOICES

from .choices import Country, Language, Role


class Organization(models.Model):
    """A tenant: one company collecting its receivables. Every domain row points here."""

    name = models.CharField(_("nombre"), max_length=200)
    slug = models.SlugField(_("identificador"), max_length=60, unique=True)
    country = models.CharField(_("país"), max_length=2, choices=Country.choices)
    default_currency = models.CharField(_("moneda"), max_length=3, choices=CURRENCY_CHOICES)
    timezone = models.CharField(_("zona horaria"), max_length=64)
    language = models.CharField(
        _("idioma"), max_length=8, choices=Language.choices, default=Language.SPANISH
    )
    tax_id = models.CharField(_("RFC / RUT / CUIT"), max_length=32, blank=True)
    sender_name = models.CharField(_("nombre del remitente"), max_length=200, blank=True)
    sender_email = models.EmailField(_("correo del remitente"), blank=True)
    reply_to_email = models.EmailField(_("correo para respuestas"), blank=True)
    default_payment_terms_days = models.PositiveSmallIntegerField(
        _("días de crédito por omisión"), default=30
    )
    agents_see_only_assigned = models.BooleanField(
        _("los gestores ven solo sus clientes asignados"), default=False
    )
    require_owner_mfa = models.BooleanField(
        _("exigir verificación en dos pasos a los propietarios"), default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organización")
        verbose_name_plural = _("organizaciones")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def is_active_member(self, user_id) -> bool:
        return self.memberships.filter(user_id=user_id, is_active=True).exists()

    def supervisor_ids(self) -> list[int]:
        """The active owners' and managers' user ids: they hear about the customers no
        agent looks after (docs/workday.md §Notifications)."""
        return list(
            self.memberships.filter(is_active=True, role__in=[Role.OWNER, Role.MANAGER])
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )


class Membership(models.Model):
    """A user's role inside one organisation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("rol"), max_length=16, choices=Role.choices)
    is_active = models.BooleanField(_("activo"), default=True)
    # First-visit hints this person closed for good (keys of orgs.hints.HINTS).
    dismissed_hints = models.JSONField(_("avisos cerrados"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membresía")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="membership_unique_user_org"
            )
        ]

    def __str__(self):
        return f"{self.user} @ {self.organization} ({self.role})"


class ScheduledRun(models.Model):
    """One run of a periodic job for one time slot (see ``cartera.ops.scheduler``).

    The unique (job, slot) row is the claim: whichever scheduler inserts it first runs
    the job; any other scheduler gets an IntegrityError and skips, so a slot never runs
    twice even with several schedulers running.
    """

    class Outcome(models.TextChoices):
        RUNNING = "running", _("En curso")
        OK = "ok", _("Correcto")
        FAILED = "failed", _("Con error")

    job = models.CharField(_("tarea"), max_length=120)
    slot = models.DateTimeField(_("horario"))
    started_at = models.DateTimeField(_("inicio"))
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    outcome = models.CharField(
        _("resultado"), max_length=8, choices=Outcome.choices, default=Outcome.RUNNING
    )
    detail = models.TextField(_("detalle"), blank=True)

    class Meta:
        verbose_name = _("ejecución programada")
        verbose_name_plural = _("ejecuciones programadas")
        ordering = ["-slot", "job"]
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="scheduledrun_unique_job_slot")
        ]

    def __str__(self):
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M} ({self.outcome})"


class Onboarding(models.Model):
    """The web onboarding of an organisation created on the sign-up page: which of its
    steps the owner skipped, and whether it is finished or dismissed. Organisations
    without this row (created by a command, the demo or the tests) are never sent there.
    Whether a step is done is read from the data itself (``cartera/web/onboarding.py``)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="onboarding"
    )
    skipped = models.JSONField(_("pasos omitidos"), default=list, blank=True)
    dismissed_at = models.DateTimeField(_("descartado"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminado"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("primeros pasos")
        verbose_name_plural = _("primeros pasos")

    @property
    def is_pending(self) -> bool:
        return self.dismissed_at is None and self.finished_at is None


class FormSubmission(models.Model):
    """One submitted form, by the one-time key its page gave it (``static/cartera/app.js``).

    A second POST with the same key is the same submission — a double click, a request the
    browser sent again — and is answered with the first one's result instead of being run
    twice (``submissions.py``). Rows older than two days are pruned every hour.
    """

    key = models.CharField(max_length=64, unique=True)  # sha256 of who + path + page key
    location = models.CharField(max_length=2000, blank=True)  # where the first answer went
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return self.key
