"""Movements read from SPEI CEP receipts (``imports.bank.cep_statement``) are reconciled
only once Banxico confirms their CEP: a receipt is a file anyone can write, the statement
of the bank is not. Each waits as ``cep_check``; then

- Banxico confirms it (same tracking key, date, amount and account credited): it is open
  (``unmatched``) and reconciled like any statement line;
- Banxico does not find it, or its CEP says something else: it is set aside as "not a
  customer payment" with the reason (an agent may restore it and decide by hand);
- Banxico limits the queries or cannot be reached, or the CEP is not issued yet: it keeps
  waiting for the next run (``cep-movements`` job, every 15 minutes)."""

import datetime as dt

from django.utils.translation import gettext as _

from .cep import BanxicoCep, CepClaim, CepStatus, bank_code
from .choices import MovementStatus
from .models import BankMovement
from .reconciliation import reconcile, reconcile_on_import

MAX_PER_RUN = 200  # Banxico's portal limits queries per address
STOP_RUN = {CepStatus.RATE_LIMITED, CepStatus.UNREACHABLE}
WAIT = {CepStatus.NO_CEP}


def claim_for(movement: BankMovement) -> CepClaim:
    """Banxico's query for a CEP movement, from what its import stored."""
    parts = movement.bank_reference.split(":", 3)
    sender = parts[2] if len(parts) == 4 and parts[2] != "?" else ""
    return CepClaim(
        tracking_key=movement.tracking_key,
        date=movement.booking_date,
        sender_bank=sender,
        receiver_bank=bank_code(account=movement.beneficiary_account),
        account=movement.beneficiary_account,
        amount=movement.amount,
    )


def _set_aside(movement: BankMovement, reason: str) -> None:
    note = _("CEP no confirmado por Banxico: %(reason)s") % {"reason": reason}
    BankMovement.objects.filter(pk=movement.pk, status=MovementStatus.CEP_CHECK).update(
        status=MovementStatus.IGNORED, ignored_note=note[:300]
    )


def check_cep_movements(*, organization, today: dt.date, client: BanxicoCep | None = None) -> dict:
    """Ask Banxico about the organisation's waiting CEP movements, oldest first; reconcile
    the confirmed ones (when the organisation reconciles on import)."""
    client = client or BanxicoCep()
    counts = {"valid": 0, "set_aside": 0, "waiting": 0}
    confirmed = []
    waiting = BankMovement.objects.filter(
        organization=organization, status=MovementStatus.CEP_CHECK
    ).order_by("pk")[:MAX_PER_RUN]
    for movement in waiting:
        outcome = client.validate(claim_for(movement))
        if outcome.status in STOP_RUN:
            counts["waiting"] += 1
            break
        if outcome.status in WAIT:
            counts["waiting"] += 1
        elif outcome.is_valid:
            opened = BankMovement.objects.filter(
                pk=movement.pk, status=MovementStatus.CEP_CHECK
            ).update(status=MovementStatus.UNMATCHED)
            if opened:
                confirmed.append(movement)
                counts["valid"] += 1
        else:
            _set_aside(movement, outcome.reason or str(CepStatus(outcome.status).label))
            counts["set_aside"] += 1
    if confirmed and reconcile_on_import(organization):
        result = reconcile(organization=organization, today=today, movements=confirmed)
        counts["reconciled"] = {k: len(v) for k, v in result.as_json().items()}
    return counts
