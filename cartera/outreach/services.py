"""Outbox services: rendering, sending due rows exactly once, events, cancellation."""

import datetime as dt
import json
import logging
import re
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cartera.followup.choices import TaskKind
from cartera.followup.models import PromiseToPay
from cartera.invoices.choices import DisputeStatus, InvoiceStatus
from cartera.invoices.models import Dispute, Invoice, InvoiceAttachment
from cartera.lib.dates import local_today
from cartera.payments.models import Payment
from cartera.timeline.choices import ActivityKind
from cartera.timeline.services import record_activity

from .channels.base import PermanentSendError, TransientSendError, transport_for
from .choices import STATUS_RANK, EventKind, MessagePurpose, MessageStatus
from .defaults import KIND_TO_KEY, all_defaults, default_template
from .models import ContactPointBlock, Message, MessageEvent, MessageTemplate
from .rendering import TemplateRenderError, build_context, check_template, render

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
STALE_SENDING = dt.timedelta(minutes=15)
OPEN_SALT, CLICK_SALT, UNSUB_SALT = "outreach.open", "outreach.click", "outreach.unsubscribe"
PORTAL_SALT = "portal.message"  # issue 5: per-message portal links (opened by cartera.portal)


def portal_message_link(*, organization_id: int, message_key: str) -> str:
    """The debtor's portal link for one message: signed, it opens the statement and
    records a ``clicked`` event (portal view ``portal:message``)."""
    token = signing.dumps({"o": organization_id, "k": message_key}, salt=PORTAL_SALT)
    return settings.BASE_URL + reverse("portal:message", args=[token])


# --- templates and rendering ---------------------------------------------------------
def organization_context(organization) -> dict:
    return {
        "name": organization.sender_name or organization.name,
        "legal_name": organization.name,
        "tax_id": organization.tax_id,
        "email": organization.reply_to_email or organization.sender_email,
        "payment_instructions": getattr(organization, "payment_instructions", ""),
    }


def agent_context(user) -> dict | None:
    if user is None:
        return None
    return {"name": user.get_full_name() or user.get_username(), "email": user.email, "phone": ""}


class MessageRenderer:
    """Renders messages of one organisation; caches its templates for bulk use."""

    def __init__(self, *, organization):
        self.organization = organization
        self.org_context = organization_context(organization)
        self.templates = {
            (t.key, t.channel, t.language): t
            for t in MessageTemplate.objects.filter(organization=organization)
        }

    def template(self, key: str, channel: str, language: str) -> dict:
        for lang in (language, "es-mx"):
            row = self.templates.get((key, channel, lang))
            if row is not None:
                return {
                    "key": key,
                    "language": lang,
                    "subject": row.subject,
                    "body_text": row.body_text,
                    "body_html": row.body_html,
                }
            builtin = default_template(key, lang)
            if builtin is not None:
                return builtin
        raise TemplateRenderError(f"no template {key!r} for {channel}/{language}")

    def render(
        self,
        *,
        template_key: str,
        stage: str,
        channel: str,
        customer: dict,
        contact_email: str,
        invoices: list[dict],
        statement: list[dict],
        agent,
        as_of: dt.date,
        message_key: str = "",
    ) -> dict:
        key = template_key or KIND_TO_KEY.get(stage, "aviso-vencido")
        language = "en" if (customer.get("language") or "").startswith("en") else "es-mx"
        tpl = self.template(key, channel, language)
        context = build_context(
            organization=self.org_context,
            customer=customer,
            contact={"name": "", "email": contact_email},
            invoices=invoices,
            statement=statement,
            agent=agent_context(agent),
            as_of=as_of,
            language=language,
            portal_link=portal_message_link(
                organization_id=self.organization.pk, message_key=message_key
            )
            if message_key
            else "",
        )
        subject, text, html = render(
            subject=tpl["subject"],
            body_text=tpl["body_text"],
            body_html=tpl["body_html"],
            context=context,
        )
        return {
            "template_key": key,
            "language": tpl["language"],
            "subject": subject[:300],
            "body_text": text,
            "body_html": html,
        }


@transaction.atomic
def save_template(
    *,
    organization,
    actor,
    key: str,
    name: str,
    kind: str,
    channel: str,
    language: str,
    subject: str,
    body_text: str,
    body_html: str = "",
) -> MessageTemplate:
    """Create or update a template; a template that does not compile is refused."""
    try:
        check_template(subject=subject, body_text=body_text, body_html=body_html)
    except TemplateRenderError as exc:
        raise ValidationError({"body_text": str(exc)}) from None
    template, _created = MessageTemplate.objects.update_or_create(
        organization=organization,
        key=key,
        channel=channel,
        language=language,
        defaults={
            "name": name,
            "kind": kind,
            "subject": subject,
            "body_text": body_text,
            "body_html": body_html,
        },
    )
    record_activity(
        organization=organization,
        actor=actor,
        kind=ActivityKind.CONFIG_CHANGED,
        summary=_("Plantilla %(name)s guardada") % {"name": name},
        data={"template": key, "language": language},
    )
    return template


def install_default_templates(*, organization) -> int:
    """Copy the built-in templates into the organisation (existing ones are kept)."""
    created = 0
    for tpl in all_defaults():
        _obj, was_created = MessageTemplate.objects.get_or_create(
            organization=organization,
            key=tpl["key"],
            channel="email",
            language=tpl["language"],
            defaults={
                "name": tpl["name"],
                "kind": tpl["kind"],
                "subject": tpl["subject"],
                "body_text": tpl["body_text"],
                "body_html": tpl["body_html"],
                "is_default": True,
            },
        )
        created += was_created
    return created


# --- rule 7: still chaseable? -----------------------------------------------------------
def _chase_state(message: Message, *, today: dt.date) -> tuple[set[int], list[int]]:
    """(all invoice ids of ``message``, those still chaseable today) in one query.

    Raw SQL: it runs before every send and building the ORM version (three correlated
    EXISTS) cost more than the SMTP conversation."""
    invoice, through = Invoice._meta.db_table, Message.invoices.through._meta.db_table
    promise_link = PromiseToPay.invoices.through._meta.db_table
    reported_link = Payment.reported_invoices.through._meta.db_table
    sql = (
        f"SELECT i.id, i.status, i.balance, i.is_factored, "
        f"EXISTS(SELECT 1 FROM {Dispute._meta.db_table} d WHERE d.invoice_id = i.id AND d.status = %s), "
        f"EXISTS(SELECT 1 FROM {promise_link} pl JOIN {PromiseToPay._meta.db_table} p "
        f"ON p.id = pl.promisetopay_id WHERE pl.invoice_id = i.id AND p.status = %s "
        f"AND p.promised_date >= %s), "
        # issue 5: a payment the debtor reported stops reminders until an agent reviews it
        f"EXISTS(SELECT 1 FROM {reported_link} rl JOIN {Payment._meta.db_table} pay "
        f"ON pay.id = rl.payment_id WHERE rl.invoice_id = i.id AND pay.status = %s) "
        f"FROM {invoice} i JOIN {through} mi ON mi.invoice_id = i.id WHERE mi.message_id = %s "
        f"ORDER BY i.due_date, i.id"
    )
    params = [
        DisputeStatus.OPEN,
        "open",
        connection.ops.adapt_datefield_value(today),
        "reported",
        message.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    current = {row[0] for row in rows}
    customer = message.customer
    if customer.do_not_contact or (customer.paused_until and customer.paused_until >= today):
        return current, []
    keep = [
        iid
        for iid, status, balance, factored, dis, pro, rep in rows
        if status == InvoiceStatus.OPEN and balance > 0 and not (factored or dis or pro or rep)
    ]
    return current, keep


def chaseable_invoice_ids(message: Message, *, today: dt.date) -> list[int]:
    """Invoices of ``message`` that may still be chased today (open, no dispute/promise…)."""
    return _chase_state(message, today=today)[1]


def _invoice_rows(queryset) -> list[dict]:
    return list(
        queryset.order_by("due_date", "id").values(
            "id",
            "external_id",
            "customer_id",
            "number",
            "issue_date",
            "due_date",
            "total",
            "balance",
            "currency",
        )
    )


def rerender_message(*, message: Message, as_of: dt.date) -> None:
    """Render ``message`` again from its current invoices (and the customer's statement)."""
    customer = message.customer
    renderer = MessageRenderer(organization=message.organization)
    customer_dict = {
        "name": customer.name,
        "legal_name": customer.legal_name,
        "tax_id": customer.tax_id,
        "external_id": customer.external_id,
        "language": customer.language,
    }
    statement = _invoice_rows(
        Invoice.objects.filter(customer=customer, status=InvoiceStatus.OPEN, balance__gt=0)
    )
    content = renderer.render(
        template_key=message.template_key,
        stage=message.stage,
        channel=message.channel,
        customer=customer_dict,
        contact_email=message.to[0] if message.to else "",
        invoices=_invoice_rows(message.invoices.all()),
        statement=statement,
        agent=customer.assigned_agent,
        as_of=as_of,
        message_key=message.key,
    )
    Message.objects.filter(pk=message.pk).update(
        subject=content["subject"], body_text=content["body_text"], body_html=content["body_html"]
    )
    message.subject, message.body_text, message.body_html = (
        content["subject"],
        content["body_text"],
        content["body_html"],
    )


def add_event(
    message: Message,
    kind: str,
    *,
    at: dt.datetime,
    source: str = "cartera",
    data: dict | None = None,
) -> MessageEvent:
    return MessageEvent.objects.create(
        message=message, kind=kind, occurred_at=at, source=source, data=data or {}
    )


def revalidate_message(*, message: Message, today: dt.date, now: dt.datetime) -> bool:
    """Rule 7. Returns False when the message was cancelled (nothing left to chase)."""
    if message.purpose != "dunning":
        return True
    current, keep = _chase_state(message, today=today)
    if keep and not current - set(keep):
        return True  # nothing changed: no write, no lock
    with transaction.atomic():
        if not keep:
            reason = _(
                "Nada que cobrar: las facturas se pagaron, se disputaron, tienen promesa de pago o el cliente está en pausa."
            )
            Message.objects.filter(pk=message.pk).update(
                status=MessageStatus.CANCELLED, status_reason=reason
            )
            message.status, message.status_reason = MessageStatus.CANCELLED, reason
            add_event(message, EventKind.CANCELLED, at=now, data={"reason": reason})
            record_activity(
                organization=message.organization,
                customer=message.customer,
                kind=ActivityKind.DUNNING,
                summary=_("Mensaje cancelado antes de enviarse: %(subject)s")
                % {"subject": message.subject},
                data={"message": message.key},
            )
            return False
        removed = current - set(keep)
        if removed:
            message.invoices.remove(*removed)
            rerender_message(message=message, as_of=today)
            add_event(
                message, EventKind.RERENDERED, at=now, data={"removed_invoices": sorted(removed)}
            )
        return True


# --- sending ---------------------------------------------------------------------------
def _token(value, salt: str) -> str:
    return signing.dumps(value, salt=salt)


_TOKEN_SLOT = "TOKEN-SLOT"


@lru_cache(maxsize=8)
def _url_pattern(name: str) -> str:
    """The path of URL ``name`` with a placeholder token: reversed once, not per email."""
    return reverse(name, args=[_TOKEN_SLOT])


def _tracking_url(name: str, token: str) -> str:
    return settings.BASE_URL + _url_pattern(name).replace(_TOKEN_SLOT, token)


def tracking_urls(message: Message) -> dict:
    return {
        "open": _tracking_url("outreach:track_open", _token(message.pk, OPEN_SALT)),
        "unsubscribe": _tracking_url("outreach:unsubscribe", _token(message.pk, UNSUB_SALT)),
    }


_HREF = re.compile(r'href="(https?://[^"]+)"')


def with_tracking(message: Message, html: str, *, urls: dict | None = None) -> str:
    """Signed per-message click links and the open pixel, added at send time only."""
    if not html:
        return html
    base = settings.BASE_URL

    portal_prefix = base + _url_pattern("portal:message").replace(_TOKEN_SLOT + "/", "")

    def _link(match):
        if match.group(1).startswith(portal_prefix):  # already a signed, click-recording link
            return match.group(0)
        token = _token({"m": message.pk, "u": match.group(1)}, CLICK_SALT)
        return f'href="{_tracking_url("outreach:track_click", token)}"'

    html = _HREF.sub(_link, html)
    pixel = (urls or tracking_urls(message))["open"]
    return f'{html}\n<img src="{pixel}" width="1" height="1" alt="">'


def _attachments(message: Message) -> list[tuple[str, bytes, str]]:
    kinds = [k for k, on in (("pdf", message.attach_pdf), ("xml", message.attach_xml)) if on]
    if not kinds:
        return []
    files = []
    mimetypes = {"pdf": "application/pdf", "xml": "application/xml"}
    for attachment in InvoiceAttachment.objects.filter(
        invoice__in=message.invoices.all(), kind__in=kinds
    ):
        with attachment.file.open("rb") as handle:
            files.append((attachment.original_name, handle.read(), mimetypes[attachment.kind]))
    return files


_CLAIM_RETURNING = ("attempts", "subject", "body_text", "body_html", "to", "cc", "reply_to")


def claim(message_id: int, *, now: dt.datetime, returning: bool = False):
    """queued → sending, only if still queued and due: exactly one worker wins.

    Returns True/False; with ``returning`` the claimed row's current content (a dict, read
    by the same statement: ``UPDATE … RETURNING`` on SQLite ≥ 3.35 and PostgreSQL) or None.
    """
    now_db = connection.ops.adapt_datetimefield_value(now)
    sql = (
        f"UPDATE {Message._meta.db_table} SET status = %s, claimed_at = %s, "
        f"attempts = attempts + 1 WHERE id = %s AND status = %s AND scheduled_for <= %s "
        f"AND (next_attempt_at IS NULL OR next_attempt_at <= %s)"
    )
    params = [MessageStatus.SENDING, now_db, message_id, MessageStatus.QUEUED, now_db, now_db]
    with connection.cursor() as cursor:
        if not returning:
            cursor.execute(sql, params)
            return cursor.rowcount == 1
        columns = ", ".join(connection.ops.quote_name(name) for name in _CLAIM_RETURNING)
        cursor.execute(f"{sql} RETURNING {columns}", params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = dict(zip(_CLAIM_RETURNING, row, strict=True))
    for name in ("to", "cc"):  # JSON columns: text on SQLite, decoded by psycopg
        if isinstance(values[name], str):
            values[name] = json.loads(values[name])
    return values


def _agent_task(message: Message, *, kind: str, title: str, notes: str, today: dt.date) -> None:
    # One open task per customer, kind and channel: a new bounce updates it (followup).
    from cartera.followup.services import open_task

    open_task(
        customer=message.customer,
        kind=kind,
        key=f"{kind}:{message.key}",
        subject=message.channel,
        title=title,
        notes=notes,
        today=today,
        invoices=list(message.invoices.all()),
    )


def send_message(message: Message, *, now: dt.datetime, transports: dict | None = None) -> str:
    """Send one claimed (status ``sending``) message. Returns its final status."""
    today = local_today(message.customer.effective_timezone, now=now)
    if not revalidate_message(message=message, today=today, now=now):
        return MessageStatus.CANCELLED
    transports = {} if transports is None else transports
    if message.channel not in transports:
        transports[message.channel] = transport_for(message.channel)
    transport = transports[message.channel]
    if transport is None:  # channel without a transport yet: back to the queue, later
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.QUEUED,
            next_attempt_at=now + dt.timedelta(hours=1),
            last_error=f"no transport for channel {message.channel}",
        )
        return MessageStatus.QUEUED
    urls = tracking_urls(message)
    message.body_html = with_tracking(message, message.body_html, urls=urls)
    headers = {
        "List-Unsubscribe": f"<{urls['unsubscribe']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    try:
        result = transport.send(message, attachments=_attachments(message), headers=headers)
    except TransientSendError as exc:
        attempts = message.attempts
        if attempts >= MAX_ATTEMPTS:
            return _fail(message, now=now, today=today, error=str(exc), permanent=False)
        delay = dt.timedelta(minutes=min(2**attempts, 360))
        Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
            status=MessageStatus.QUEUED, next_attempt_at=now + delay, last_error=str(exc)[:2000]
        )
        add_event(
            message,
            EventKind.RETRY,
            at=now,
            data={"error": str(exc)[:500], "retry_at": (now + delay).isoformat()},
        )
        return MessageStatus.QUEUED
    except PermanentSendError as exc:
        return _fail(
            message,
            now=now,
            today=today,
            error=str(exc),
            permanent=True,
            bad_addresses=exc.bad_addresses or list(message.to),
        )
    reason = (
        _(
            "Sin servidor de correo configurado: guardado en la bandeja de salida; no salió del servidor."
        )
        if result.stored_only
        else ""
    )
    with transaction.atomic():  # one commit for the status, the event and the timeline
        Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
            status=MessageStatus.SENT,
            sent_at=now,
            provider_id=result.provider_id[:200],
            transport=result.transport,
            status_reason=reason,
            last_error="",
        )
        add_event(message, EventKind.SENT, at=now, data={"transport": result.transport})
        if message.purpose == MessagePurpose.ACCESS_CODE:  # the one-time code left: forget it
            Message.objects.filter(pk=message.pk).update(
                body_text=_("[Código de acceso oculto después del envío]"), body_html=""
            )
        record_activity(
            organization=message.organization,
            customer=message.customer,
            kind=ActivityKind.MESSAGE,
            summary=_("Correo enviado: %(subject)s") % {"subject": message.subject},
            data={"message": message.key, "to": list(message.to)},
        )
    return MessageStatus.SENT


def _fail(message, *, now, today, error, permanent, bad_addresses=()) -> str:
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.FAILED,
        last_error=error[:2000],
        status_reason=_("Error permanente") if permanent else _("Demasiados intentos"),
    )
    add_event(
        message, EventKind.FAILED, at=now, data={"error": error[:500], "permanent": permanent}
    )
    if permanent:
        for contact in message.contacts.filter(email__in=list(bad_addresses)):
            ContactPointBlock.objects.get_or_create(
                organization=message.organization,
                contact=contact,
                channel=message.channel,
                address=contact.email,
                defaults={"reason": error[:300]},
            )
    _agent_task(
        message,
        kind=TaskKind.BOUNCED if permanent else TaskKind.SEND_FAILED,
        title=_("No se pudo enviar el correo a %(customer)s") % {"customer": message.customer.name},
        notes=error[:2000],
        today=today,
    )
    return MessageStatus.FAILED


def sweep_stale_sending(*, now: dt.datetime) -> int:
    """Rows stuck in ``sending`` (a worker died mid-send) are never retried — the email may
    have left — they are marked failed and an agent is told to check."""
    stale = list(
        Message.objects.filter(status=MessageStatus.SENDING, claimed_at__lt=now - STALE_SENDING)
    )
    for message in stale:
        if Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
            status=MessageStatus.FAILED,
            status_reason=_("Envío interrumpido; no se reintenta para no duplicar el correo."),
        ):
            add_event(message, EventKind.FAILED, at=now, data={"error": "interrupted"})
            _agent_task(
                message,
                kind=TaskKind.SEND_FAILED,
                title=_("Revisar si llegó el correo a %(customer)s")
                % {"customer": message.customer.name},
                notes="",
                today=now.date(),
            )
    return len(stale)


def _send_batch(messages: list[Message], *, now: dt.datetime) -> dict[str, int]:
    """Claim and send ``messages`` one by one over one connection per channel."""
    counts: dict[str, int] = {}
    transports: dict = {}
    try:
        for message in messages:
            message_id = message.pk
            # the row as claimed, read by the claim itself (it may have changed since the
            # candidate query): no second query per message
            claimed = claim(message_id, now=now, returning=True)
            if claimed is None:
                continue  # another worker has it
            for name, value in claimed.items():
                setattr(message, name, value)
            message.status = MessageStatus.SENDING
            try:
                status = send_message(message, now=now, transports=transports)
            except Exception as exc:  # noqa: BLE001 - a bug must not leave the row stuck
                log.exception("sending message %s failed", message.key)
                Message.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(
                    status=MessageStatus.FAILED, last_error=f"{type(exc).__name__}: {exc}"[:2000]
                )
                status = MessageStatus.FAILED
            counts[str(status)] = counts.get(str(status), 0) + 1
    finally:
        for transport in transports.values():
            if transport is not None:
                transport.close()
    return counts


def _send_batch_in_thread(messages: list[Message], *, now: dt.datetime) -> dict[str, int]:
    try:
        return _send_batch(messages, now=now)
    finally:
        connection.close()  # this thread's own database connection


def send_due_messages(
    *, now: dt.datetime | None = None, limit: int = 500, connections: int = 1
) -> dict:
    """Claim and send due rows. Safe to run in any number of workers at once.

    ``connections`` > 1 sends over that many SMTP connections at once (one thread and one
    database connection each): while the mail server digests one message the next one is
    built, so the wall time approaches the larger of our CPU time and the server's. Each
    row is still claimed with a conditional update before it is sent, so nothing is sent
    twice."""
    now = now or timezone.now()
    candidates = list(
        Message.objects.filter(status=MessageStatus.QUEUED, scheduled_for__lte=now)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .select_related(
            "organization", "customer", "customer__organization", "customer__assigned_agent"
        )
        .order_by("scheduled_for", "id")[:limit]
    )
    if connections <= 1 or len(candidates) < 2:
        return _send_batch(candidates, now=now)
    from concurrent.futures import ThreadPoolExecutor

    slices = [candidates[index::connections] for index in range(connections)]
    counts: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=connections) as pool:
        for part in pool.map(lambda batch: _send_batch_in_thread(batch, now=now), slices):
            for status, number in part.items():
                counts[status] = counts.get(status, 0) + number
    return counts


# --- events ------------------------------------------------------------------------------
def record_event(
    *,
    message: Message,
    kind: str,
    at: dt.datetime,
    source: str = "cartera",
    data: dict | None = None,
) -> MessageEvent:
    """Store an event and move the status forward (never backwards)."""
    with transaction.atomic():
        event = add_event(message, kind, at=at, source=source, data=data)
        new_status = {
            "delivered": "delivered",
            "opened": "opened",
            "clicked": "clicked",
            "bounced": "bounced",
        }.get(kind)
        if new_status == "bounced":
            Message.objects.filter(pk=message.pk).update(status="bounced")
        elif new_status and STATUS_RANK.get(new_status, 0) > STATUS_RANK.get(message.status, -1):
            Message.objects.filter(pk=message.pk, status=message.status).update(status=new_status)
        if kind in ("opened", "clicked") and message.first_opened_at is None:
            if Message.objects.filter(pk=message.pk, first_opened_at__isnull=True).update(
                first_opened_at=at
            ):
                record_activity(
                    organization=message.organization,
                    customer=message.customer,
                    actor="debtor",
                    kind=ActivityKind.MESSAGE_READ,
                    summary=_("Leído: %(subject)s") % {"subject": message.subject},
                    data={
                        "message": message.key,
                        "notify_user": message.customer.assigned_agent_id,
                    },
                )
    return event


def record_open(token: str, *, at: dt.datetime) -> bool:
    try:
        message_id = signing.loads(token, salt=OPEN_SALT)
    except signing.BadSignature:
        return False
    message = (
        Message.objects.select_related("customer", "organization").filter(pk=message_id).first()
    )
    if message is None:
        return False
    record_event(message=message, kind=EventKind.OPENED, at=at, source="pixel")
    return True


def record_click(token: str, *, at: dt.datetime) -> str | None:
    """Returns the target URL for a valid token (None otherwise)."""
    try:
        value = signing.loads(token, salt=CLICK_SALT)
    except signing.BadSignature:
        return None
    message = (
        Message.objects.select_related("customer", "organization").filter(pk=value["m"]).first()
    )
    if message is None:
        return None
    record_event(
        message=message, kind=EventKind.CLICKED, at=at, source="link", data={"url": value["u"]}
    )
    return value["u"]


@transaction.atomic
def unsubscribe(token: str, *, at: dt.datetime) -> Message | None:
    """Per-channel opt-out of the message's contacts (List-Unsubscribe)."""
    try:
        message_id = signing.loads(token, salt=UNSUB_SALT)
    except signing.BadSignature:
        return None
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        return None
    field = f"{message.channel}_opt_out_at"
    message.contacts.filter(**{f"{field}__isnull": True}).update(
        **{field: at, f"{message.channel}_opt_out_reason": "List-Unsubscribe"}
    )
    add_event(message, EventKind.UNSUBSCRIBED, at=at)
    record_activity(
        organization=message.organization,
        customer=message.customer,
        actor="debtor",
        kind=ActivityKind.CONTACT_SAVED,
        summary=_("El contacto pidió no recibir más correos"),
        data={"message": message.key},
    )
    return message


_ANYMAIL_KINDS = {
    "delivered": "delivered",
    "opened": "opened",
    "clicked": "clicked",
    "bounced": "bounced",
    "rejected": "bounced",
    "failed": "failed",
    "complained": "unsubscribed",
    "unsubscribed": "unsubscribed",
}


def record_provider_event(
    *,
    provider_id: str,
    event_type: str,
    occurred_at,
    esp_name: str,
    description: str = "",
    recipient: str = "",
) -> bool:
    """A verified django-anymail tracking event. Unknown messages are ignored."""
    kind = _ANYMAIL_KINDS.get(event_type)
    if not kind or not provider_id:
        return False
    message = (
        Message.objects.select_related("customer", "organization")
        .filter(provider_id=provider_id)
        .first()
    )
    if message is None:
        return False
    record_event(
        message=message,
        kind=kind,
        at=occurred_at or timezone.now(),
        source=esp_name,
        data={"description": description[:300], "recipient": recipient},
    )
    if kind == "bounced" and recipient:
        for contact in message.contacts.filter(email__iexact=recipient):
            ContactPointBlock.objects.get_or_create(
                organization=message.organization,
                contact=contact,
                channel=message.channel,
                address=contact.email,
                defaults={"reason": description[:300] or "bounce"},
            )
        _agent_task(
            message,
            kind=TaskKind.BOUNCED,
            title=_("Correo rebotado de %(customer)s") % {"customer": message.customer.name},
            notes=description,
            today=(occurred_at or timezone.now()).date(),
        )
    return True
