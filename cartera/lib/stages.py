"""Collection stages, in escalation order. Their home is here, at the bottom, because
floors below the dunning engine name them too (a collection fee of a stage, its timeline
sentence); ``dunning.choices`` re-exports them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    """Collection stages, in escalation order (the order here is the rank)."""

    PREVENTIVE = "preventive", _("Preventiva")
    DUE = "due", _("Vencimiento")
    SOFT = "soft", _("Suave")
    FIRM = "firm", _("Firme")
    HARD = "hard", _("Dura")
    PRE_LEGAL = "pre_legal", _("Prejurídica")
    # A step of these stages hands the invoices to a law firm or an agency (a case,
    # cartera/cases) instead of sending a message.
    AGENCY = "agency", _("Agencia de cobranza")
    JUDICIAL = "judicial", _("Judicial")


STAGE_RANK = {value: rank for rank, value in enumerate(Stage.values)}
CASE_STAGES = frozenset({Stage.AGENCY, Stage.JUDICIAL})
