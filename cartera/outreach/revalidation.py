"""Re-validating a collection message at send time (docs/dunning.md, "The planner",
step 7): what was chaseable when it was planned may have been paid, disputed or promised
since. The rule is the contact policy's (``eligibility``), judged for all the message's
invoices in one query."""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy, gettext_noop

from cartera.timeline.choices import ActivityKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activity

from .choices import EventKind, HoldReason, MessagePurpose, MessageStatus
from .eligibility import message_invoice_holds
from .events import add_event
from .models import Message
from .rendering import rerender_message


def _chase_state(message: Message, *, today: dt.date) -> tuple[set[int], list[int]]:
    """(all invoice ids of ``message``, those still chaseable today, oldest due first)."""
    holds = message_invoice_holds(message.pk, on=today)
    message._holds = holds  # the cancellation says why (an external case has its own words)
    return set(holds), [iid for iid, hold in holds.items() if hold is None]


def _cancel_reason(message: Message) -> str:
    """Stored untranslated (``Message.reason_text`` shows it in the reader's language)."""
    holds = set(getattr(message, "_holds", {}).values())
    if holds == {HoldReason.IN_CASE}:
        return gettext_noop(
            "Factura turnada a cobranza externa o judicial: la cobranza automática se detuvo."
        )
    if holds == {HoldReason.CANCEL_REQUESTED}:
        return gettext_noop(
            "Se solicitó al SAT cancelar el CFDI de la factura: la cobranza automática se detuvo."
        )
    return gettext_noop(
        "Nada que cobrar: las facturas se pagaron, se disputaron, tienen promesa de pago o el cliente está en pausa."
    )


def revalidate_message(*, message: Message, today: dt.date, now: dt.datetime) -> bool:
    """Send-time re-validation (docs/dunning.md, "The planner", step 7). Returns False when
    the message was cancelled: none of its invoices is still chaseable."""
    if message.purpose != MessagePurpose.DUNNING:
        return True
    current, keep = _chase_state(message, today=today)
    if keep and not current - set(keep):
        return True  # nothing changed: no write, no lock
    with transaction.atomic():
        if not keep:
            _cancel(message, now=now)
            return False
        removed = current - set(keep)
        message.invoices.remove(*removed)
        rerender_message(message=message, as_of=today)
        if message.status == MessageStatus.FAILED:
            return False  # the template no longer renders: nothing is sent
        add_event(message, EventKind.RERENDERED, at=now, data={"removed_invoices": sorted(removed)})
        return True


def _cancel(message: Message, *, now: dt.datetime) -> None:
    reason = _cancel_reason(message)
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.CANCELLED, status_reason=reason
    )
    message.status, message.status_reason = MessageStatus.CANCELLED, reason
    add_event(message, EventKind.CANCELLED, at=now, data={"reason": reason})
    record_activity(
        organization=message.organization,
        customer=message.customer,
        kind=ActivityKind.DUNNING,
        summary=sentence(
            gettext_lazy("Mensaje cancelado antes de enviarse: %(subject)s"),
            subject=message.subject,
        ),
        data={"message": message.key},
    )
