from django.db import models
from django.utils.translation import gettext_lazy as _


class AssigneeKind(models.TextChoices):
    LAW_FIRM = "law_firm", _("Despacho jurídico")
    AGENCY = "agency", _("Agencia de cobranza")


class CaseState(models.TextChoices):
    PREPARING = "preparing", _("En preparación")
    SENT = "sent", _("Enviado")
    NEGOTIATING = "negotiating", _("En negociación")
    IN_COURT = "in_court", _("En juicio")
    SETTLED = "settled", _("Liquidado")
    WRITTEN_OFF = "written_off", _("Incobrable")
    RETURNED = "returned", _("Devuelto")


CLOSED_STATES = frozenset({CaseState.SETTLED, CaseState.WRITTEN_OFF, CaseState.RETURNED})
OPEN_STATES = frozenset(CaseState) - CLOSED_STATES
