"""Sending: claim a due row (exactly one worker wins), re-validate it, commit
``handing_over``, hand it to its channel's transport, then record sent / retry later /
failed / unknown. Stale claims are swept: a ``claimed`` row (nothing left) is queued
again, a ``handing_over`` row (the provider may have it) becomes ``unknown`` with a task
for the agent (docs/dunning.md, "Outbox and email")."""

import datetime as dt
import json
import logging
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from cartera.fiscal.rep_pdf import rep_filename, rep_pdf
from cartera.followup.choices import TaskKind
from cartera.invoices.models import InvoiceAttachment
from cartera.lib.dates import local_today
from cartera.payments.choices import ComplementStatus
from cartera.timeline.choices import ActivityKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activity

from .channels.base import (
    PermanentSendError,
    SendResult,
    TransientSendError,
    UnknownOutcomeError,
)
from .channels.table import transport_for
from .choices import EventKind, MessageChannel, MessagePurpose, MessageStatus
from .eligibility import ADDRESS_FIELD
from .events import add_event as _add_event
from .events import block_contact_points, open_agent_task
from .fallback import fall_back
from .models import Message
from .policy import next_allowed_moment, policy_from_description
from .revalidation import revalidate_message
from .tracking import tracking_urls, with_tracking

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
STALE_CLAIM = dt.timedelta(minutes=15)
# Plain text to a phone: no HTML to track, no mail headers (their links are signed already)
UNTRACKED_CHANNELS = {MessageChannel.WHATSAPP, MessageChannel.SMS}


def _complement_files(message: Message) -> list[tuple[str, bytes, str]]:
    """A stamped REP's XML and PDF; nothing once it has been cancelled."""
    complement = message.payment_complement
    if complement is None or complement.status != ComplementStatus.STAMPED:
        return []
    with translation.override(message.language):
        pdf = rep_pdf(complement)
    return [
        (rep_filename(complement, "xml"), complement.xml.encode(), "application/xml"),
        (rep_filename(complement, "pdf"), pdf, "application/pdf"),
    ]


def _attachments(message: Message) -> list[tuple[str, bytes, str]]:
    if message.payment_complement_id:
        return _complement_files(message)
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
    """queued → claimed, only if still queued and due: exactly one worker wins. Each claim
    adds one to ``attempts``, which then fences the row: a later write of this worker
    names the attempt it claimed, so a worker that lost its row (swept, claimed again)
    changes nothing.

    Returns True/False; with ``returning`` the claimed row's current content (a dict, read
    by the same statement: ``UPDATE … RETURNING`` on SQLite ≥ 3.35 and PostgreSQL) or None.
    """
    now_db = connection.ops.adapt_datetimefield_value(now)
    sql = (
        f"UPDATE {Message._meta.db_table} SET status = %s, claimed_at = %s, "
        f"attempts = attempts + 1 WHERE id = %s AND status = %s AND scheduled_for <= %s "
        f"AND (next_attempt_at IS NULL OR next_attempt_at <= %s)"
    )
    params = [MessageStatus.CLAIMED, now_db, message_id, MessageStatus.QUEUED, now_db, now_db]
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


def send_message(message: Message, *, now: dt.datetime, transports: dict | None = None) -> str:
    """Send one claimed (status ``claimed``) message. Returns its final status."""
    today = local_today(message.customer.effective_timezone, now=now)
    allowed = _allowed_moment(message, now)
    if allowed > now:
        return _hold_until(message, allowed=allowed, now=now)
    if not revalidate_message(message=message, today=today, now=now):
        return MessageStatus.CANCELLED
    transport = _transport(message.channel, transports)
    if transport is None:
        return _requeue_without_transport(message, now=now)
    headers = {} if message.channel in UNTRACKED_CHANNELS else _tracked(message)
    attachments = _attachments(message)
    if not _hand_over(message, now=now):
        return MessageStatus.QUEUED  # swept and claimed again meanwhile: not ours any more
    try:
        result = transport.send(message, attachments=attachments, headers=headers, now=now)
    except UnknownOutcomeError as exc:
        return mark_unknown(message, now=now, today=today, error=str(exc))
    except TransientSendError as exc:
        return _retry_later(message, now=now, today=today, error=str(exc))
    except PermanentSendError as exc:
        bad_addresses = [] if exc.keep_addresses else (exc.bad_addresses or list(message.to))
        return fail_message(
            message,
            now=now,
            today=today,
            error=str(exc),
            permanent=True,
            bad_addresses=bad_addresses,
        )
    if result.awaiting_post:
        _mark_printed(message, now=now, result=result)
        return MessageStatus.PRINTED
    _mark_sent(message, now=now, result=result)
    return MessageStatus.SENT


def _tracked(message: Message) -> dict:
    """An e-mail's signed click links and open pixel; its one-click unsubscribe headers."""
    urls = tracking_urls(message)
    message.body_html = with_tracking(message, message.body_html, urls=urls)
    return {
        "List-Unsubscribe": f"<{urls['unsubscribe']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _ours(message: Message, status: str):
    """This worker's row, as long as it still is: the status it left it in and the
    attempt it claimed (``claim``)."""
    return Message.objects.filter(pk=message.pk, status=status, attempts=message.attempts)


def _hand_over(message: Message, *, now: dt.datetime) -> bool:
    """claimed → handing_over, committed before the provider is called: from here on a
    crash leaves a row that says the provider may have the message."""
    handed = _ours(message, MessageStatus.CLAIMED).update(
        status=MessageStatus.HANDING_OVER, claimed_at=now
    )
    if handed:
        message.status = MessageStatus.HANDING_OVER
    return bool(handed)


def _allowed_moment(message: Message, earliest: dt.datetime) -> dt.datetime:
    """The first moment ≥ ``earliest`` the message's contact policy allows (the window,
    weekdays, holidays and legal floors it was planned under; docs/dunning.md, "Contact
    policy"). Re-checked at every attempt: a retry or a late worker must not write to the
    debtor at night either."""
    policy = policy_from_description(message.policy)
    return earliest if policy is None else next_allowed_moment(policy, earliest)


def _hold_until(message: Message, *, allowed: dt.datetime, now: dt.datetime) -> str:
    """Outside the window: back to the queue until it opens; the hold is not an attempt."""
    held = _ours(message, MessageStatus.CLAIMED).update(
        status=MessageStatus.QUEUED,
        next_attempt_at=allowed,
        attempts=max(message.attempts - 1, 0),
    )
    if held:
        _add_event(
            message,
            EventKind.RETRY,
            at=now,
            data={"retry_at": allowed.isoformat(), "reason": "outside the contact window"},
        )
    return MessageStatus.QUEUED


def _transport(channel: str, transports: dict | None):
    """The batch's transport for ``channel`` (created once per batch)."""
    transports = {} if transports is None else transports
    if channel not in transports:
        transports[channel] = transport_for(channel)
    return transports[channel]


def _requeue_without_transport(message: Message, *, now: dt.datetime) -> str:
    """A channel without a transport yet: back to the queue, tried again later."""
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.QUEUED,
        next_attempt_at=_allowed_moment(message, now + dt.timedelta(hours=1)),
        last_error=f"no transport for channel {message.channel}",
    )
    return MessageStatus.QUEUED


def _retry_later(message: Message, *, now: dt.datetime, today: dt.date, error: str) -> str:
    """Exponential backoff (2, 4, 8… minutes, at most 6 hours), failed after MAX_ATTEMPTS;
    a retry that would fall outside the contact policy waits for its next allowed moment."""
    if message.attempts >= MAX_ATTEMPTS:
        return fail_message(message, now=now, today=today, error=error, permanent=False)
    retry_at = backoff_moment(message, now=now)
    _ours(message, MessageStatus.HANDING_OVER).update(
        status=MessageStatus.QUEUED, next_attempt_at=retry_at, last_error=error[:2000]
    )
    _add_event(
        message,
        EventKind.RETRY,
        at=now,
        data={"error": error[:500], "retry_at": retry_at.isoformat()},
    )
    return MessageStatus.QUEUED


def backoff_moment(message: Message, *, now: dt.datetime) -> dt.datetime:
    """When a throttled or failed attempt is tried again: 2, 4, 8… minutes (at most 6
    hours) after ``now``, at the next moment the contact policy allows."""
    return _allowed_moment(message, now + dt.timedelta(minutes=min(2**message.attempts, 360)))


_SENT_SUMMARY = {
    MessageChannel.EMAIL: gettext_lazy("Correo enviado: %(subject)s"),
    MessageChannel.WHATSAPP: gettext_lazy("WhatsApp enviado: %(subject)s"),
    MessageChannel.SMS: gettext_lazy("SMS enviado: %(subject)s"),
}
_FAILED_TITLE = {
    MessageChannel.EMAIL: gettext_lazy("No se pudo enviar el correo a %(customer)s"),
    MessageChannel.WHATSAPP: gettext_lazy("No se pudo enviar el WhatsApp a %(customer)s"),
    MessageChannel.SMS: gettext_lazy("No se pudo enviar el SMS a %(customer)s"),
}


def _summary_subject(message: Message) -> str:
    return message.subject or (message.body_text or "").strip()[:80]


def _mark_printed(message: Message, *, now: dt.datetime, result: SendResult) -> None:
    """A letter in the day's print batch: sent (and on the timeline) once it is posted."""
    with transaction.atomic():
        _ours(message, MessageStatus.HANDING_OVER).update(
            status=MessageStatus.PRINTED,
            provider_id=result.provider_id[:200],
            transport=result.transport,
            status_reason=gettext_noop(
                "En el lote de impresión del día; se envía al marcar el lote."
            ),
            last_error="",
        )
        _add_event(message, EventKind.QUEUED, at=now, data={"transport": result.transport})


def _mark_sent(message: Message, *, now: dt.datetime, result: SendResult) -> None:
    """One commit for the status, the event and the timeline."""
    reason = (
        gettext_noop(
            "Sin servidor de correo configurado: guardado en la bandeja de salida; no salió del servidor."
        )
        if result.stored_only
        else ""
    )
    with transaction.atomic():
        # the provider said yes: that is the truth even if the sweep already wrote unknown
        Message.objects.filter(
            pk=message.pk,
            status__in=(MessageStatus.HANDING_OVER, MessageStatus.UNKNOWN),
            attempts=message.attempts,
        ).update(
            status=MessageStatus.SENT,
            sent_at=now,
            provider_id=result.provider_id[:200],
            transport=result.transport,
            status_reason=reason,
            last_error="",
        )
        _add_event(message, EventKind.SENT, at=now, data={"transport": result.transport})
        if message.purpose == MessagePurpose.ACCESS_CODE:  # the one-time code left: forget it
            Message.objects.filter(pk=message.pk).update(
                body_text=_("[Código de acceso oculto después del envío]"), body_html=""
            )
        record_activity(
            organization=message.organization,
            customer=message.customer,
            kind=ActivityKind.MESSAGE,
            summary=sentence(
                _SENT_SUMMARY.get(message.channel, _SENT_SUMMARY["email"]),
                subject=_summary_subject(message),
            ),
            data={"message": message.key, "to": list(message.to), "channel": message.channel},
        )


def fail_message(
    message, *, now, today, error, permanent, bad_addresses=(), add_event: bool = True
) -> str:
    """The message failed for good: its status, the event, the unusable addresses blocked
    for its channel, and a task for the agent."""
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.FAILED,
        last_error=error[:2000],
        status_reason=gettext_noop("Error permanente")
        if permanent
        else gettext_noop("Demasiados intentos"),
    )
    if add_event:
        _add_event(
            message, EventKind.FAILED, at=now, data={"error": error[:500], "permanent": permanent}
        )
    if permanent and bad_addresses:
        field = ADDRESS_FIELD.get(message.channel, "email")
        block_contact_points(
            message,
            contacts=message.contacts.filter(**{f"{field}__in": list(bad_addresses)}),
            reason=error,
        )
    if permanent and fall_back(message, now=now, error=error) is not None:
        return MessageStatus.FAILED  # the next channel takes over: nothing for the agent
    title = _FAILED_TITLE.get(message.channel, _FAILED_TITLE["email"])
    open_agent_task(
        message,
        kind=TaskKind.BOUNCED if permanent else TaskKind.SEND_FAILED,
        title=str(title) % {"customer": message.customer.name},
        notes=error[:2000],
        today=today,
    )
    return MessageStatus.FAILED


_UNKNOWN_TITLE = {
    MessageChannel.EMAIL: gettext_lazy("Confirmar si llegó el correo a %(customer)s"),
    MessageChannel.WHATSAPP: gettext_lazy("Confirmar si llegó el WhatsApp a %(customer)s"),
    MessageChannel.SMS: gettext_lazy("Confirmar si llegó el SMS a %(customer)s"),
}
UNKNOWN_REASON = gettext_noop(
    "El proveedor pudo haberlo recibido sin confirmarlo; no se reintenta solo. "
    "Si no llegó, use «Reenviar»."
)


def mark_unknown(message: Message, *, now: dt.datetime, today: dt.date, error: str) -> str:
    """handing_over → unknown: the provider may have the message. Never retried by
    itself (a retry is how a reminder arrives twice); the agent gets a task and a
    one-click resend (``resend_unknown``)."""
    if not Message.objects.filter(pk=message.pk, status=MessageStatus.HANDING_OVER).update(
        status=MessageStatus.UNKNOWN, status_reason=UNKNOWN_REASON, last_error=error[:2000]
    ):
        return str(Message.objects.get(pk=message.pk).status)
    _add_event(message, EventKind.FAILED, at=now, data={"error": error[:500], "unknown": True})
    title = _UNKNOWN_TITLE.get(message.channel, _UNKNOWN_TITLE["email"])
    open_agent_task(
        message,
        kind=TaskKind.SEND_FAILED,
        title=str(title) % {"customer": message.customer.name},
        notes=error[:2000],
        today=today,
    )
    return MessageStatus.UNKNOWN


def sweep_stale_claims(*, now: dt.datetime, stale_after: dt.timedelta = STALE_CLAIM) -> dict:
    """Rows a worker left behind (it died, or hangs): ``claimed`` ones never reached the
    provider and are queued again at once; ``handing_over`` ones may have, and become
    ``unknown`` (``mark_unknown``). Returns how many of each."""
    before = now - stale_after
    requeued = 0
    for message in Message.objects.filter(status=MessageStatus.CLAIMED, claimed_at__lt=before):
        if _ours(message, MessageStatus.CLAIMED).update(
            status=MessageStatus.QUEUED, next_attempt_at=None
        ):
            requeued += 1
            _add_event(
                message, EventKind.RETRY, at=now, data={"reason": "claimed by a stopped worker"}
            )
    unknown = 0
    for message in Message.objects.filter(
        status=MessageStatus.HANDING_OVER, claimed_at__lt=before
    ).select_related("customer"):
        today = local_today(message.customer.effective_timezone, now=now)
        error = "the worker stopped while handing the message to the provider"
        if mark_unknown(message, now=now, today=today, error=error) == MessageStatus.UNKNOWN:
            unknown += 1
    return {"requeued": requeued, "unknown": unknown}


def _send_batch(messages: list[Message], *, now: dt.datetime) -> dict[str, int]:
    """Claim and send ``messages`` one by one over one connection per channel."""
    counts: dict[str, int] = {}
    transports: dict = {}
    try:
        for channel in sorted({message.channel for message in messages}):
            transport = _transport(channel, transports)
            if transport is not None:
                transport.prepare(messages, now=now)
        for message in messages:
            message_id = message.pk
            # the row as claimed, read by the claim itself (it may have changed since the
            # candidate query): no second query per message
            claimed = claim(message_id, now=now, returning=True)
            if claimed is None:
                continue  # another worker has it
            for name, value in claimed.items():
                setattr(message, name, value)
            message.status = MessageStatus.CLAIMED
            try:
                status = send_message(message, now=now, transports=transports)
            except Exception as exc:  # noqa: BLE001 - a bug must not leave the row stuck
                status = _after_a_bug(message, exc, now=now)
            counts[str(status)] = counts.get(str(status), 0) + 1
    finally:
        for transport in transports.values():
            if transport is not None:
                transport.close()
    return counts


def _after_a_bug(message: Message, exc: Exception, *, now: dt.datetime) -> str:
    """A bug before the hand-over failed the row (nothing left); one during or after it
    may have reached the provider: unknown, as a stopped worker's would be."""
    log.exception("sending message %s failed", message.key)
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if _ours(message, MessageStatus.CLAIMED).update(status=MessageStatus.FAILED, last_error=error):
        return MessageStatus.FAILED
    today = local_today(message.customer.effective_timezone, now=now)
    return mark_unknown(message, now=now, today=today, error=error)


def send_now(message: Message, *, now: dt.datetime) -> str:
    """Claim and send one message created just now (an agent's reply)."""
    counts = _send_batch([message], now=now)
    return next(iter(counts), MessageStatus.QUEUED)


def _send_batch_in_thread(messages: list[Message], *, now: dt.datetime) -> dict[str, int]:
    try:
        return _send_batch(messages, now=now)
    finally:
        connection.close()  # this thread's own database connection


def send_due_messages(
    *,
    now: dt.datetime | None = None,
    limit: int = 500,
    connections: int = 1,
    organization=None,
) -> dict:
    """Claim and send due rows. Safe to run in any number of workers at once.

    ``connections`` > 1 sends over that many SMTP connections at once (one thread and one
    database connection each): while the mail server digests one message the next one is
    built, so the wall time approaches the larger of our CPU time and the server's. Each
    row is still claimed with a conditional update before it is sent, so nothing is sent
    twice. ``organization`` limits the batch to one organisation's rows."""
    now = now or timezone.now()
    due = Message.objects.filter(status=MessageStatus.QUEUED, scheduled_for__lte=now)
    if organization is not None:
        due = due.filter(organization=organization)
    candidates = list(
        due.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .select_related(
            "organization", "customer", "customer__organization", "customer__assigned_agent"
        )
        .order_by("scheduled_for", "id")[:limit]
    )
    if connections <= 1 or len(candidates) < 2:
        return _send_batch(candidates, now=now)
    slices = [candidates[index::connections] for index in range(connections)]
    counts: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=connections) as pool:
        for part in pool.map(lambda batch: _send_batch_in_thread(batch, now=now), slices):
            for status, number in part.items():
                counts[status] = counts.get(status, 0) + number
    return counts
