"""The steps of the web onboarding (``/onboarding/``) of a new organisation and whether
each one is done, read from the data itself — so a step done elsewhere (the settings
page, the import wizard) shows as done here too. Skipping and dismissing are stored by
``cartera.orgs.onboarding``.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from cartera.dunning.models import Strategy
from cartera.fiscal.selectors import fiscal_profile
from cartera.invoices.models import Invoice
from cartera.outreach.models import TestSend
from cartera.payments.instructions import configured_accounts


@dataclass
class Step:
    key: str
    title: str
    done: bool
    skipped: bool

    @property
    def settled(self) -> bool:
        return self.done or self.skipped


STEP_KEYS = ("sender", "bank", "fiscal", "import", "strategies", "test")
TITLES = {
    "sender": _("Remitente de sus correos"),
    "bank": _("Cuentas bancarias y CLABE"),
    "fiscal": _("Datos fiscales"),
    "import": _("Primera importación"),
    "strategies": _("Estrategias de cobranza"),
    "test": _("Próximos envíos y una prueba"),
}


def _done(organization) -> dict[str, bool]:
    bank_accounts, clabe_prefix = configured_accounts(organization)
    return {
        "sender": bool(organization.sender_email),
        "bank": bool(bank_accounts.strip() or clabe_prefix.strip()),
        "fiscal": fiscal_profile(organization) is not None,
        "import": Invoice.objects.filter(organization=organization).exists(),
        "strategies": Strategy.objects.filter(organization=organization).exists(),
        "test": TestSend.objects.filter(organization=organization).exists(),
    }


def onboarding_steps(organization, skipped) -> list[Step]:
    done = _done(organization)
    return [Step(key, str(TITLES[key]), done[key], key in skipped) for key in STEP_KEYS]
