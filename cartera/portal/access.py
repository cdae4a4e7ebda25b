"""Debtor access to the portal: link tokens, per-message signed links, one-time codes.

A portal link carries a random token (256 bits) of which only the SHA-256 is stored.
Opening it (or a per-message signed link) puts the customer in the browser session and
redirects to the statement, so the secret does not stay in the address bar. Every later
lookup goes through ``get_customer_for_debtor`` / ``get_invoice_for_debtor``, which
answer 404 for anything outside the session's customer.
"""

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cartera.customers.models import Customer, CustomerDocument, DocumentUpload
from cartera.invoices import factoring
from cartera.invoices.models import Invoice
from cartera.lib.clients import client_ip
from cartera.lib.forms import clean_ids, is_id
from cartera.outreach.tracking import PORTAL_SALT, message_for_short_code, portal_message_link
from cartera.timeline import events

from .models import PortalCode, PortalSettings, PortalToken

SESSION_KEY = "portal"
MESSAGE_SALT = PORTAL_SALT
MESSAGE_LINK_MAX_AGE = 120 * 24 * 3600
CODE_TTL = dt.timedelta(minutes=15)
CODE_MAX_ATTEMPTS = 5
BAD_TOKEN_LIMIT = 20  # wrong links per IP per 10 minutes before everything answers 404
BAD_TOKEN_WINDOW = 600


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def settings_for(organization) -> PortalSettings:
    found = PortalSettings.objects.filter(organization=organization).first()
    return found or PortalSettings(organization=organization)


# --- tokens -----------------------------------------------------------------------------
@transaction.atomic
def issue_token(*, customer: Customer, actor, expires_at: dt.datetime | None = None) -> str:
    """Create the customer's portal token (revoking the previous one). Returns the raw
    token: it is not stored and cannot be shown again."""
    now = timezone.now()
    PortalToken.objects.filter(customer=customer, revoked_at__isnull=True).update(revoked_at=now)
    raw = secrets.token_urlsafe(32)
    PortalToken.objects.create(
        organization=customer.organization,
        customer=customer,
        token_hash=_hash(raw),
        hint=raw[:6],
        expires_at=expires_at,
    )
    events.portal_link_issued(customer, actor=actor, hint=raw[:6], expires_at=expires_at)
    return raw


@transaction.atomic
def revoke_tokens(*, customer: Customer, actor) -> int:
    revoked = PortalToken.objects.filter(customer=customer, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        events.portal_link_revoked(customer, actor=actor)
    return revoked


def portal_url(raw: str) -> str:
    return settings.BASE_URL + reverse("portal:enter", args=[raw])


def find_token(raw: str, *, now: dt.datetime) -> PortalToken | None:
    if not raw or len(raw) > 100:
        return None
    token = (
        PortalToken.objects.select_related("customer", "organization")
        .filter(token_hash=_hash(raw))
        .first()
    )
    if token is None or not token.is_usable(now=now):
        return None
    return token


def message_link(*, organization_id: int, message_key: str) -> str:
    """The per-message signed link (built by outreach when it renders the message)."""
    return portal_message_link(organization_id=organization_id, message_key=message_key)


def load_message_link(token: str) -> dict | None:
    try:
        return signing.loads(token, salt=MESSAGE_SALT, max_age=MESSAGE_LINK_MAX_AGE)
    except signing.BadSignature:
        return None


def load_short_link(code: str, *, now: dt.datetime):
    """The message of a short link (SMS) with a right signature, for as long as its
    signed link would last (None otherwise)."""
    message = message_for_short_code(code)
    if message is None or message.created_at < now - dt.timedelta(seconds=MESSAGE_LINK_MAX_AGE):
        return None
    return message


def access_is_open(customer_id: int, *, now: dt.datetime) -> bool:
    """Whether the customer may use the portal at all, per-message links included.

    The customer's latest link decides: revoked (by hand) or expired closes every way in,
    per-message links and open sessions too. A customer who never got a link keeps the
    access its reminders' links give. Issuing a new link revokes the old one but the new
    one is then the latest, so rotating a link never closes access.
    """
    latest = PortalToken.objects.filter(customer_id=customer_id).order_by("-id").first()
    return latest is None or latest.is_usable(now=now)


# --- rate limiting ------------------------------------------------------------------------
def _count(key: str, window: int) -> int:
    """Add one to a counter in the shared cache; returns the new count."""
    if cache.add(key, 1, window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def is_rate_limited(request) -> bool:
    return cache.get(f"portal-bad:{client_ip(request)}", 0) >= BAD_TOKEN_LIMIT


def count_bad_attempt(request) -> None:
    _count(f"portal-bad:{client_ip(request)}", BAD_TOKEN_WINDOW)


# What a debtor may do per customer and hour; beyond it the action answers 429. Generous for
# people, tight for scripts (a script used to file 829 "ya pagué" reports a minute).
DEBTOR_ACTION_LIMITS = {
    "code": 5,  # code e-mails (each also caps guessing: 5 attempts per code)
    "report": 10,
    "promise": 10,
    "dispute": 10,
    "pay": 20,
    "plan": 10,
    "request": 20,  # checkouts opened from payment-request links
    "document": 30,  # document uploads
}
DEBTOR_ACTION_WINDOW = 3600


def allow_debtor_action(customer_id: int, action: str) -> bool:
    """Count one ``action`` of the customer; False once over its hourly limit."""
    count = _count(f"portal-act:{action}:{customer_id}", DEBTOR_ACTION_WINDOW)
    return count <= DEBTOR_ACTION_LIMITS[action]


# --- session ---------------------------------------------------------------------------
def grant(request, *, customer: Customer, token: PortalToken | None, via: str) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "customer": customer.pk,
        "token": token.pk if token else None,
        "via": via,
        "verified": not settings_for(customer.organization).require_code,
    }


def portal_session(request) -> dict | None:
    return request.session.get(SESSION_KEY)


def _session_still_open(data: dict) -> bool:
    now = timezone.now()
    if not data.get("token"):  # opened by a per-message link
        return access_is_open(data["customer"], now=now)
    # A usable link is the latest one (issuing a link revokes the previous ones).
    token = PortalToken.objects.filter(pk=data["token"], customer_id=data["customer"]).first()
    return token is not None and token.is_usable(now=now)


def get_customer_for_debtor(request, *, verified: bool = True) -> Customer:
    """The session's customer, or 404 (no session, token revoked/expired since, code
    not yet entered when the organisation requires one)."""
    data = portal_session(request)
    if not data:
        raise Http404
    if not _session_still_open(data):
        request.session.pop(SESSION_KEY, None)
        raise Http404
    if verified and not data.get("verified"):
        raise Http404
    customer = (
        Customer.objects.select_related("organization", "assigned_agent")
        .filter(pk=data["customer"])
        .first()
    )
    if customer is None:
        raise Http404
    return customer


def get_invoice_for_debtor(customer: Customer, pk) -> Invoice:
    """One of the customer's invoices the debtor may see (see ``invoices.factoring``)."""
    invoice = factoring.visible_to_debtor(
        Invoice.objects.filter(pk=pk, customer=customer), organization=customer.organization
    ).first()
    if invoice is None:
        raise Http404
    return invoice


def documents_for_debtor(customer: Customer):
    """The documents the customer owes or has sent (of kinds still in use)."""
    return (
        CustomerDocument.objects.filter(customer=customer, kind__is_active=True)
        .select_related("kind")
        .prefetch_related("uploads")
    )


def get_document_for_debtor(customer: Customer, pk) -> CustomerDocument:
    document = documents_for_debtor(customer).filter(pk=pk).first() if is_id(pk) else None
    if document is None:
        raise Http404
    return document


def get_document_upload_for_debtor(customer: Customer, pk) -> DocumentUpload:
    upload = DocumentUpload.objects.filter(
        pk=pk, document__customer=customer, document__kind__is_active=True
    ).first()
    if upload is None:
        raise Http404
    return upload


def invoices_for_debtor(customer: Customer, ids) -> list[Invoice]:
    """The customer's invoices among ``ids`` that the debtor pays to the organisation
    (anything else, factored invoices included, is silently ignored)."""
    clean = clean_ids(ids)
    invoices = factoring.payable_by_debtor(Invoice.objects.filter(customer=customer, pk__in=clean))
    return list(invoices.order_by("due_date", "id"))


# --- one-time codes ----------------------------------------------------------------------
def code_recipient(customer: Customer) -> str:
    contact = customer.contacts.exclude(email="").order_by("-is_primary", "id").first()
    return contact.email if contact else ""


def mask_email(address: str) -> str:
    name, _sep, domain = address.partition("@")
    return f"{name[:1]}***@{domain}" if domain else ""


@transaction.atomic
def create_code(*, customer: Customer, now: dt.datetime) -> tuple[PortalCode, str] | None:
    """A fresh 6-digit code for the customer's contact (None when there is no email)."""
    recipient = code_recipient(customer)
    if not recipient:
        return None
    PortalCode.objects.filter(customer=customer, used_at__isnull=True).update(used_at=now)
    raw = f"{secrets.randbelow(10**6):06d}"
    code = PortalCode.objects.create(
        organization=customer.organization,
        customer=customer,
        code_hash=_hash(raw),
        sent_to=recipient,
        expires_at=now + CODE_TTL,
    )
    return code, raw


@transaction.atomic
def verify_code(*, customer: Customer, raw: str, now: dt.datetime) -> bool:
    code = (
        PortalCode.objects.select_for_update()
        .filter(customer=customer, used_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if code is None or code.attempts >= CODE_MAX_ATTEMPTS:
        return False
    if hmac.compare_digest(code.code_hash, _hash((raw or "").strip())):
        PortalCode.objects.filter(pk=code.pk).update(used_at=now)
        return True
    PortalCode.objects.filter(pk=code.pk).update(attempts=code.attempts + 1)
    return False


def mark_verified(request) -> None:
    data = dict(request.session.get(SESSION_KEY) or {})
    data["verified"] = True
    request.session[SESSION_KEY] = data
