"""Sending ``MemberMail`` rows (internal e-mails with an attachment) through the outbox's
e-mail transport: claim a queued row (one worker wins), send, mark sent or retry."""

import datetime as dt
import logging

from django.db.models import F

from cartera.outreach.channels.base import PermanentSendError, TransientSendError
from cartera.outreach.channels.email.transport import EmailTransport

from .models import MemberMail, MemberMailStatus

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "pdf": "application/pdf",
}


def _attachments(mail: MemberMail) -> list[tuple[str, bytes, str]]:
    delivery = mail.delivery
    if delivery is None or not delivery.file:
        return []
    with delivery.file.open("rb") as handle:
        content = handle.read()
    extension = delivery.filename.rsplit(".", 1)[-1]
    return [(delivery.filename, content, MIMETYPES.get(extension, "application/octet-stream"))]


def _claim(mail: MemberMail) -> bool:
    return bool(
        MemberMail.objects.filter(pk=mail.pk, status=MemberMailStatus.QUEUED).update(
            status=MemberMailStatus.SENDING, attempts=F("attempts") + 1
        )
    )


def send_member_mail(mail: MemberMail, *, transport, now: dt.datetime) -> str:
    try:
        transport.send(mail, attachments=_attachments(mail), headers={}, now=now)
    except (TransientSendError, PermanentSendError) as exc:
        mail.refresh_from_db(fields=["attempts"])
        permanent = isinstance(exc, PermanentSendError) or mail.attempts >= MAX_ATTEMPTS
        status = MemberMailStatus.FAILED if permanent else MemberMailStatus.QUEUED
        MemberMail.objects.filter(pk=mail.pk).update(status=status, last_error=str(exc)[:2000])
        return status
    MemberMail.objects.filter(pk=mail.pk).update(status=MemberMailStatus.SENT, sent_at=now)
    return MemberMailStatus.SENT


def send_queued_member_mails(*, now: dt.datetime, limit: int = 200) -> dict:
    transport = EmailTransport()
    counts = {}
    queued = MemberMail.objects.filter(status=MemberMailStatus.QUEUED).select_related(
        "organization", "delivery"
    )
    try:
        for mail in queued.order_by("pk")[:limit]:
            if _claim(mail):
                status = send_member_mail(mail, transport=transport, now=now)
                counts[status] = counts.get(status, 0) + 1
    finally:
        transport.close()
    return counts
