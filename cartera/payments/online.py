"""Online payments: open a provider checkout for chosen invoices (a card page, an OXXO
voucher, a SPEI reference), and record the payment when the provider's signed webhook
says it was paid — exactly once per event.

A card checkout must be paid exactly (a different amount is kept for review). A cash
voucher or a SPEI reference records what arrived: less leaves a balance, more leaves
the customer's credit. Webhooks are stored and processed through ``inbox``."""

import datetime as dt
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.invoices.choices import InvoiceStatus
from cartera.lib.dates import local_today
from cartera.timeline import events
from cartera.timeline.choices import ActorKind
from cartera.timeline.sentences import sentence, text_of

from .choices import CheckoutStatus, EventOutcome, OnlineMethod, PaymentMethod, PaymentSource
from .complements import create_obligation
from .models import CheckoutSession
from .payment_requests import payable_invoices, record_checkout_payment
from .providers.base import EXPIRED, PAID, CheckoutRequest, PaymentProvider, ProviderEventData
from .services import allocate_oldest_first, create_payment

# How long an OXXO voucher or a SPEI reference can be paid.
VOUCHER_LIFETIME = dt.timedelta(days=3)
PAYMENT_METHOD = {
    OnlineMethod.CARD: PaymentMethod.CARD,
    OnlineMethod.CASH: PaymentMethod.CASH,
    OnlineMethod.SPEI: PaymentMethod.TRANSFER,
}


def _earlier_provider_customer(customer, provider_name: str) -> str:
    return (
        CheckoutSession.objects.filter(customer=customer, provider=provider_name)
        .exclude(provider_customer="")
        .order_by("-id")
        .values_list("provider_customer", flat=True)
        .first()
        or ""
    )


def amount_due(invoices) -> tuple[list, str, Decimal]:
    """The chosen open invoices, their one currency and their open balance."""
    invoices = [i for i in invoices if i.status == InvoiceStatus.OPEN and i.balance > 0]
    if not invoices:
        raise ValidationError({"invoices": _("Elija al menos una factura pendiente.")})
    currencies = {i.currency for i in invoices}
    if len(currencies) != 1:
        raise ValidationError({"invoices": _("Elija facturas de una sola moneda.")})
    return invoices, currencies.pop(), sum((i.balance for i in invoices), Decimal(0))


def start_checkout(
    *,
    provider: PaymentProvider,
    customer,
    invoices,
    success_url: str,
    cancel_url: str,
    customer_email: str = "",
    method: str = OnlineMethod.CARD,
    now: dt.datetime | None = None,
    payment_request=None,
) -> CheckoutSession:
    """Open a checkout for the open balance of ``invoices`` (computed here, from our rows).

    With ``payment_request`` the checkout is for what is left of the request's amount
    (at most the open balance of its invoices, which ``invoices`` is ignored for).
    A voucher or a transfer reference (``method`` cash or spei) expires
    ``VOUCHER_LIFETIME`` after ``now``."""
    if payment_request is not None:
        invoices = payable_invoices(payment_request)
    invoices, currency, amount = amount_due(invoices)
    if payment_request is not None:
        amount = min(amount, payment_request.remaining)
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
            method=method,
            customer_name=customer.name,
            expires_at=(now + VOUCHER_LIFETIME) if now and method != OnlineMethod.CARD else None,
            provider_customer=_earlier_provider_customer(customer, provider.name),
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
            method=method,
            voucher_reference=result.voucher_reference[:100],
            barcode_url=result.barcode_url,
            voucher_url=result.voucher_url,
            clabe=result.clabe[:18],
            expires_at=result.expires_at,
            provider_customer=result.provider_customer[:100],
            payment_request=payment_request,
        )
        session.invoices.set(invoices)
        events.online_checkout_started(session, actor=ActorKind.DEBTOR, invoices=invoices)
    return session


def apply_event(
    organization,
    provider: PaymentProvider,
    event: ProviderEventData,
    today: dt.date | None = None,
) -> tuple[str, str]:
    """(outcome, problem) of one verified, resolved provider event, applied inside the
    caller's transaction (the inbox's, ``payments.inbox``, which makes it exactly once).

    ``recorded``; ``ignored`` (not a payment, no open checkout of this organisation, or
    the checkout already paid); ``rejected`` (a paid card checkout whose amount differs
    from ours, or any paid checkout in another currency: the customer's team is alerted,
    no payment); ``expired`` (the checkout can no longer be paid)."""
    if event.kind not in (PAID, EXPIRED):
        return EventOutcome.IGNORED, ""
    session = (
        CheckoutSession.objects.select_for_update()
        .select_related("customer")
        .filter(organization=organization, provider=provider.name, session_id=event.session_id)
        .first()
    )
    if session is None:
        return EventOutcome.IGNORED, "no checkout of this organisation has that session id"
    # Money that arrives for an expired checkout (a card retried after a rejection, a
    # voucher paid at the last minute) is still recorded; a completed one is never paid twice.
    if session.status == CheckoutStatus.COMPLETED or (
        event.kind == EXPIRED and session.status != CheckoutStatus.OPEN
    ):
        return EventOutcome.IGNORED, f"checkout already {session.status}"
    if event.kind == EXPIRED:
        CheckoutSession.objects.filter(pk=session.pk).update(status=CheckoutStatus.EXPIRED)
        events.online_checkout_expired(session, provider_name=provider.name)
        return EventOutcome.EXPIRED, ""
    exact = session.method == OnlineMethod.CARD
    wrong_amount = (
        not event.amount or event.amount <= 0 or (exact and event.amount != session.amount)
    )
    if event.currency != session.currency or wrong_amount:
        problem = sentence(
            gettext_lazy("El proveedor informó %(got)s; el cobro era por %(expected)s."),
            got=f"{event.amount} {event.currency}",
            expected=f"{session.amount} {session.currency}",
        )
        events.online_payment_rejected(session, provider_name=provider.name, problem=problem)
        return EventOutcome.REJECTED, text_of(problem)[:300]
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
        method=PAYMENT_METHOD.get(session.method, PaymentMethod.OTHER),
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
    if session.payment_request_id:
        record_checkout_payment(
            request_id=session.payment_request_id, payment=payment, now=timezone.now()
        )
