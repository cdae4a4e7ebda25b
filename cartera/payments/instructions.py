"""How a debtor pays: the customer's 12-digit payment reference, the virtual CLABE and
the organisation's bank accounts. One rule for every place that tells the debtor — the
portal's statement, every collection message and statement e-mail (docs/portal.md,
"How to pay"; docs/dunning.md, "Templates").

* ``payment_reference``: ``OOOO CCCCCCC D`` — organisation id (4 digits), customer id
  (7 digits) and a Luhn check digit over both (12 digits, no letters, fits every bank's
  "referencia numérica" field), so reconciliation can match deterministically.
* ``virtual_clabe``: the organisation's virtual-CLABE prefix (bank + plaza + the start
  of the account) completed with the customer id to 17 digits plus the CLABE control
  digit (weights 3-7-1, mod 10).
"""

from dataclasses import dataclass

from clabe import compute_control_digit
from django.utils.translation import gettext as _
from stdnum import luhn


def payment_reference(*, organization_id: int, customer_id: int) -> str:
    base = f"{organization_id:04d}{customer_id:07d}"
    return base + luhn.calc_check_digit(base)


def is_valid_reference(value: str) -> bool:
    return value.isdigit() and len(value) == 12 and luhn.is_valid(value)


def virtual_clabe(*, prefix: str, customer_id: int) -> str | None:
    """The customer's 18-digit CLABE, or None when there is no (usable) prefix."""
    prefix = (prefix or "").strip()
    if not prefix.isdigit() or not 6 <= len(prefix) <= 10:
        return None
    width = 17 - len(prefix)
    body = f"{customer_id:0{width}d}"
    if len(body) > width:
        return None
    base = prefix + body
    return base + compute_control_digit(base)


@dataclass(frozen=True)
class PaymentInstructions:
    reference: str
    clabe: str | None
    bank_accounts: tuple[str, ...]

    def lines(self) -> list[str]:
        """The instructions as the debtor reads them, in the active language."""
        lines = [_("Su referencia de pago: %(reference)s") % {"reference": self.reference}]
        if self.clabe:
            lines.append(_("Su CLABE para transferencias: %(clabe)s") % {"clabe": self.clabe})
        return lines + list(self.bank_accounts)

    def as_context(self) -> dict:
        """Plain values for message templates (``payment``)."""
        return {
            "heading": _("Cómo pagar:"),
            "reference": self.reference,
            "clabe": self.clabe or "",
            "bank_accounts": list(self.bank_accounts),
            "lines": self.lines(),
        }

    def as_text(self) -> str:
        return "\n".join([_("Cómo pagar:"), *self.lines()])


def payment_instructions(
    *, organization_id: int, customer_id: int, bank_accounts: str, clabe_prefix: str
) -> PaymentInstructions:
    """The customer's instructions from the organisation's configured accounts (one per
    line) and virtual-CLABE prefix."""
    return PaymentInstructions(
        reference=payment_reference(organization_id=organization_id, customer_id=customer_id),
        clabe=virtual_clabe(prefix=clabe_prefix, customer_id=customer_id),
        bank_accounts=tuple(line.strip() for line in bank_accounts.splitlines() if line.strip()),
    )


def configured_accounts(organization) -> tuple[str, str]:
    """(bank accounts, virtual-CLABE prefix) the organisation configured.

    They are edited on the portal's settings page and stored on its one-to-one settings
    row; read through the relation so the apps below the portal (the outbox, the
    planner's statements) tell the debtor the same thing without importing it.
    """
    row = getattr(organization, "portal_settings", None)
    if row is None:
        return "", ""
    return row.bank_accounts, row.clabe_prefix
