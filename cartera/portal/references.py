"""Per-customer payment references so reconciliation can match deterministically.

* ``payment_reference``: ``OOOO CCCCCCC D`` — organisation id (4 digits), customer id
  (7 digits) and a Luhn check digit over both (12 digits, no letters, fits every bank's
  "referencia numérica" field).
* ``virtual_clabe``: the organisation's virtual-CLABE prefix (bank + plaza + the start
  of the account) completed with the customer id to 17 digits plus the CLABE control
  digit (weights 3-7-1, mod 10).
"""

from clabe import compute_control_digit
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
