"""Online payments: open a provider checkout for chosen invoices, and record the payment
when the provider's signed webhook says it was paid — exactly once per event."""

import datetime as dt
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cartera.invoices.choices import InvoiceStatus
from cartera.lib.dates import local_today
from cartera.timeline import events
from cartera.timeline.choices import ActorKind

from .choices import CheckoutStatus, EventOutcome, PaymentMethod, PaymentSource
from .complements import create_obligation
from .models import CheckoutSession, ProviderEvent
from .providers.base import CheckoutRequest, PaymentProvider, ProviderEventData
from .services import allocate_oldest_first, create_payment


def start_checkout(
    *,
    provider: PaymentProvider,
    customer,
    invoices,
    success_url: str,
    cancel_url: str,
    customer_email: str = "",
) -> CheckoutSession:
    """Open a checkout for the open balance of ``invoices`` (computed here, from our rows)."""
    invoices = [i for i in invoices if i.status == InvoiceStatus.OPEN and i.balance > 0]
    if not invoices:
        raise ValidationError({"invoices": _("Elija al menos una factura pendiente.")})
    currencies = {i.currency for i in invoices}
    if len(currencies) != 1:
        raise ValidationError({"invoices": _("Elija facturas de una sola moneda.")})
    currency = currencies.pop()
    amount = sum((i.balance for i in invoices), Decimal(0))
    reference = f"cartera-{uuid.uuid4().hex}"
    numbers = ", ".join(i.number for i in invoices)
    result = provider.create_checkout(
        CheckoutRequest(
            reference=reference,
            amount=amount,
            currency=currency,
            description=_("Facturas %(numbers)s") % {"numbers": numbers},
            customer_email=customer_email,
            success_url=success_url,
            cancel_url=cancel_url,
            metadata={"organization": str(customer.organization_id), "customer": str(customer.pk)},
        )
    )
    with transaction.atomic():
        session = CheckoutSession.objects.create(
            organization=customer.organization,
            customer=customer,
            provider=provider.name,
            session_id=result.session_id,
            url=result.url,
            amount=amount,
            currency=currency,
        )
        session.invoices.set(invoices)
        events.online_checkout_started(session, actor=ActorKind.DEBTOR, invoices=invoices)
    return session


def handle_event(
    *,
    organization,
    provider: PaymentProvider,
    event: ProviderEventData,
    today: dt.date | None = None,
) -> str:
    """Apply one verified provider event, exactly once.

    Returns ``recorded``, ``ignored`` (not a payment, or no open checkout of this
    organisation), ``rejected`` (a paid checkout whose amount or currency differ from ours:
    stored for review and the customer's team alerted, no payment) or ``duplicate``.
    """
    try:
        with transaction.atomic():
            stored = ProviderEvent.objects.create(
                provider=provider.name,
                event_id=event.event_id,
                kind=event.kind,
                organization=organization,
                payload=event.raw,
            )
            outcome, problem = _apply(organization, provider, event, today)
            ProviderEvent.objects.filter(pk=stored.pk).update(outcome=outcome, problem=problem)
            return outcome
    except IntegrityError:
        if ProviderEvent.objects.filter(provider=provider.name, event_id=event.event_id).exists():
            return "duplicate"
        raise


def _apply(organization, provider, event, today) -> tuple[str, str]:
    if event.kind != "checkout.completed":
        return EventOutcome.IGNORED, ""
    session = (
        CheckoutSession.objects.select_for_update()
        .select_related("customer")
        .filter(organization=organization, provider=provider.name, session_id=event.session_id)
        .first()
    )
    if session is None:
        return EventOutcome.IGNORED, "no checkout of this organisation has that session id"
    if session.status != CheckoutStatus.OPEN:
        return EventOutcome.IGNORED, f"checkout already {session.status}"
    if event.currency != session.currency or event.amount != session.amount:
        problem = _("El proveedor informó %(got)s; el cobro era por %(expected)s.") % {
            "got": f"{event.amount} {event.currency}",
            "expected": f"{session.amount} {session.currency}",
        }
        events.online_payment_rejected(session, provider_name=provider.name, problem=problem)
        return EventOutcome.REJECTED, problem[:300]
    _record_checkout_payment(session, provider, event, today)
    return EventOutcome.RECORDED, ""


def _record_checkout_payment(session, provider, event, today) -> None:
    customer = session.customer
    payment = create_payment(
        customer=customer,
        actor=ActorKind.DEBTOR,
        date=today or local_today(customer.effective_timezone),
        amount=event.amount,
        currency=event.currency,
        method=PaymentMethod.CARD,
        reference=event.provider_reference[:120],
        external_id=f"{provider.name}:{event.provider_reference}"[:64],
        source=PaymentSource.PROVIDER,
    )
    allocate_oldest_first(
        payment=payment,
        actor=None,
        invoices=list(session.invoices.order_by("due_date", "issue_date", "id")),
    )
    create_obligation(payment=payment)
    CheckoutSession.objects.filter(pk=session.pk).update(
        status=CheckoutStatus.COMPLETED, payment=payment
    )
    events.online_payment_confirmed(payment, actor=ActorKind.DEBTOR, provider_name=provider.name)
