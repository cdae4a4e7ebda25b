"""Payment requests ("cobros"): an agent asks a debtor for an amount of chosen invoices,
with an expiry and the online methods offered; the debtor pays it from a public link.

Services own every write (one transaction, one timeline entry per act). The raw link
token is returned once by ``create_request``; only its SHA-256 is stored, as for portal
links (``portal.access``)."""

import datetime as dt
import hashlib
import secrets
import zoneinfo
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cartera.customers.selectors import customers_visible_to
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.orgs.access import Action, require_member_unless_system
from cartera.timeline import events

from .choices import PaymentRequestStatus
from .models import PaymentRequest

DEFAULT_LIFETIME_DAYS = 7
MAX_LIFETIME_DAYS = 90
TOKEN_BYTES = 32  # 256 bits, URL-safe base64 (43 characters)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def end_of_day(day: dt.date, tz_name: str) -> dt.datetime:
    """The last second of ``day`` in the organisation's time zone."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zoneinfo.ZoneInfo(tz_name))


def _check_invoices(customer, invoices) -> tuple[list, str, Decimal]:
    invoices = list(invoices)
    if not invoices:
        raise ValidationError({"invoices": _("Elija al menos una factura pendiente.")})
    for invoice in invoices:
        if invoice.organization_id != customer.organization_id or (
            invoice.customer_id != customer.pk
        ):
            raise ValidationError({"invoices": _("Las facturas deben ser de este cliente.")})
        if invoice.status != InvoiceStatus.OPEN or invoice.balance <= 0:
            raise ValidationError(
                {
                    "invoices": _("La factura %(n)s no tiene saldo pendiente.")
                    % {"n": invoice.number}
                }
            )
    currencies = {i.currency for i in invoices}
    if len(currencies) != 1:
        raise ValidationError({"invoices": _("Elija facturas de una sola moneda.")})
    return invoices, currencies.pop(), sum((i.balance for i in invoices), Decimal(0))


def _check_methods(methods, enabled_methods) -> list[str]:
    methods = [m for m in dict.fromkeys(methods or []) if m]
    if not methods:
        raise ValidationError({"methods": _("Elija al menos una forma de pago.")})
    if not set(methods) <= set(enabled_methods):
        raise ValidationError(
            {"methods": _("Solo puede ofrecer formas de pago que la organización tiene activas.")}
        )
    return methods


def _check_expiry(expires_on, *, today: dt.date) -> dt.date:
    if expires_on is None:
        return today + dt.timedelta(days=DEFAULT_LIFETIME_DAYS)
    if expires_on < today:
        raise ValidationError({"expires_on": _("La fecha de vencimiento ya pasó.")})
    if expires_on > today + dt.timedelta(days=MAX_LIFETIME_DAYS):
        raise ValidationError(
            {
                "expires_on": _("El vencimiento no puede ser mayor a %(d)s días.")
                % {"d": MAX_LIFETIME_DAYS}
            }
        )
    return expires_on


def create_request(
    *,
    user,
    customer,
    invoices,
    methods,
    enabled_methods,
    today: dt.date,
    amount: Decimal | None = None,
    expires_on: dt.date | None = None,
) -> tuple[PaymentRequest, str]:
    """Create a request for ``amount`` (default: the open balance of ``invoices``; less
    is a partial request, more is refused). ``enabled_methods`` are the online methods the
    organisation has turned on (the portal's settings). ``user`` None is Cartera itself (an
    API token created at the console). Returns the request and its raw token, which is not
    stored and cannot be shown again."""
    membership = require_member_unless_system(user, customer.organization, Action.RECORD_PAYMENTS)
    if (
        membership is not None
        and not customers_visible_to(membership).filter(pk=customer.pk).exists()
    ):
        raise PermissionDenied(_("No puede crear cobros para este cliente."))
    invoices, currency, balance = _check_invoices(customer, invoices)
    if amount is None:
        amount = balance
    if amount <= 0:
        raise ValidationError({"amount": _("El importe debe ser mayor que cero.")})
    if amount > balance:
        raise ValidationError(
            {
                "amount": _("El importe no puede ser mayor al saldo pendiente (%(b)s %(c)s).")
                % {"b": balance, "c": currency}
            }
        )
    methods = _check_methods(methods, enabled_methods)
    expires_on = _check_expiry(expires_on, today=today)
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        request = PaymentRequest.objects.create(
            organization=customer.organization,
            customer=customer,
            amount=amount,
            currency=currency,
            expires_at=end_of_day(expires_on, customer.organization.timezone),
            methods=methods,
            token_hash=hash_token(raw),
            hint=raw[:6],
            created_by=user,
        )
        request.invoices.set(invoices)
        events.payment_request_created(request, actor=user, invoices=invoices)
    return request, raw


def find_by_token(raw: str) -> PaymentRequest | None:
    """The request of a public link (any organisation: the token alone is the key)."""
    if not raw or len(raw) > 100:
        return None
    return (
        PaymentRequest.objects.select_related("organization", "customer")
        .filter(token_hash=hash_token(raw))
        .first()
    )


def is_payable(request: PaymentRequest, *, now: dt.datetime) -> bool:
    return request.status == PaymentRequestStatus.OPEN and request.expires_at > now


def payable_invoices(request: PaymentRequest) -> list[Invoice]:
    """The request's invoices still open, oldest first (what a checkout pays)."""
    return list(
        request.invoices.filter(status=InvoiceStatus.OPEN, balance__gt=0).order_by(
            "due_date", "issue_date", "id"
        )
    )


def cancel_request(*, user, request: PaymentRequest, now: dt.datetime) -> PaymentRequest:
    """``user`` None is Cartera itself, as in ``create_request``."""
    require_member_unless_system(user, request.organization, Action.RECORD_PAYMENTS)
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != PaymentRequestStatus.OPEN:
            raise ValidationError(_("Solo se puede cancelar una solicitud abierta."))
        locked.status = PaymentRequestStatus.CANCELLED
        locked.cancelled_at = now
        locked.save(update_fields=["status", "cancelled_at"])
        events.payment_request_cancelled(locked, actor=user)
    return locked


def expire_due(*, organization, now: dt.datetime) -> int:
    """Expire the organisation's open requests past their expiry; safe to run twice
    (a second run finds none open)."""
    expired = 0
    due = PaymentRequest.objects.filter(
        organization=organization, status=PaymentRequestStatus.OPEN, expires_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            changed = PaymentRequest.objects.filter(
                pk=pk, status=PaymentRequestStatus.OPEN, expires_at__lte=now
            ).update(status=PaymentRequestStatus.EXPIRED)
            if changed:
                events.payment_request_expired(
                    PaymentRequest.objects.select_related("customer").get(pk=pk)
                )
                expired += 1
    return expired


def record_checkout_payment(*, request_id: int, payment, now: dt.datetime) -> PaymentRequest:
    """A checkout opened from the request was paid (called once per recorded payment,
    inside the webhook's transaction). Adds what arrived; the request is paid once the
    total reaches its amount, otherwise it stays open showing the paid part. Money that
    arrives after it expired or was paid is still recorded on the request."""
    request = PaymentRequest.objects.select_for_update().get(pk=request_id)
    request.paid_amount += payment.amount
    fields = ["paid_amount"]
    if request.status == PaymentRequestStatus.OPEN and request.paid_amount >= request.amount:
        request.status = PaymentRequestStatus.PAID
        request.paid_at = now
        request.payment = payment
        fields += ["status", "paid_at", "payment"]
    request.save(update_fields=fields)
    events.payment_request_paid(request, payment=payment)
    return request


def requests_visible_to(membership):
    """Payment requests of the customers this member may see (their organisation's)."""
    return PaymentRequest.objects.filter(
        organization_id=membership.organization_id if membership else None,
        customer__in=customers_visible_to(membership),
    )


def token_matches(request: PaymentRequest, raw: str) -> bool:
    return bool(raw) and secrets.compare_digest(request.token_hash, hash_token(raw))
