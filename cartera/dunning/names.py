"""The built-in strategies' step names in the reader's language.

The built-in strategies are loaded from YAML (``strategies/*.yaml``) with Spanish step
names, copied into each organisation's steps. A name that is exactly one of those is shown
translated; any other name is the organisation's own and is shown as typed. (A step an
organisation named, by chance, exactly like a built-in one is translated too.)
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

BUILT_IN_STEP_NAMES = frozenset(
    {
        _("Recordatorio preventivo"),
        _("Aviso de vencimiento"),
        _("Recordatorio de saldo vencido"),
        _("Saldo vencido"),
        _("Recordatorio amable"),
        _("Llamada de cobranza"),
        _("Llamada de cortesía"),
        _("Aviso firme"),
        _("Aviso prejurídico"),
    }
)


def step_name(name: str) -> str:
    """``name`` in the active language when it is a built-in step's, else as typed."""
    return gettext(name) if name in BUILT_IN_STEP_NAMES else name
