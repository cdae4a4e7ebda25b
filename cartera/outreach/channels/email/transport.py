"""Email through Django's email backends (SMTP by default, django-anymail by settings).

"Sent" means the configured backend accepted the message. Without ``EMAIL_HOST`` (and
no explicit ``EMAIL_BACKEND``) Cartera's default backend only writes ``.eml`` files in
the data directory: the row is then marked ``sent`` with transport ``outbox`` and the
back-office outbox viewer shows it with "no salió del servidor" — nothing is dropped and
nothing pretends to have reached the debtor.
"""

import smtplib
from email.charset import BASE64, Charset
from email.header import Header
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import make_msgid

from cartera.outreach.branding import inline_logo
from cartera.outreach.choices import MessageChannel

from ..base import (
    PermanentSendError,
    SendResult,
    TransientSendError,
    Transport,
    UnknownOutcomeError,
)

try:  # anymail is installed, but keep the transport importable without it
    from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
except ImportError:  # pragma: no cover
    AnymailAPIError = AnymailRecipientsRefused = ()


_UTF8_BASE64 = Charset("utf-8")
_UTF8_BASE64.header_encoding = BASE64


# Everything a send may raise that says something about the message or the server.
SEND_ERRORS = _SEND_ERRORS = (
    TimeoutError,
    OSError,
    smtplib.SMTPException,
    AnymailRecipientsRefused,
    AnymailAPIError,
)


def send_error(exc: Exception, message) -> Exception:
    """The channel error for what the backend raised: permanent (5xx, refused by the
    provider) or transient (try again later)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TransientSendError(f"SMTPServerDisconnected: {exc}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = {code for code, _ in exc.recipients.values()}
        if all(code >= 500 for code in codes):
            return PermanentSendError(str(exc.recipients), list(exc.recipients))
        return TransientSendError(str(exc.recipients))
    if isinstance(exc, smtplib.SMTPResponseException):
        error = f"{exc.smtp_code} {exc.smtp_error!r}"
        return PermanentSendError(error) if exc.smtp_code >= 500 else TransientSendError(error)
    if isinstance(exc, AnymailRecipientsRefused):
        return PermanentSendError(str(exc), list(message.to))
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        if status and 400 <= status < 500 and status != 429:
            return PermanentSendError(str(exc))
        return TransientSendError(str(exc))
    return TransientSendError(f"{type(exc).__name__}: {exc}")


_DATA_END = b"\r\n.\r\n"  # what ends the message body after DATA (RFC 5321 §4.1.1.4)
_CONNECTION_LOST = (smtplib.SMTPServerDisconnected, TimeoutError, OSError)


def _watch_body(smtp) -> None:
    """Let the smtplib connection say when the message body has gone out: from the moment
    its final ``CRLF . CRLF`` is written, the server may have accepted the message even if
    we never read its answer."""
    if getattr(smtp, "cartera_watched", False):
        return
    write = smtp.send

    def send(data):
        if isinstance(data, bytes) and data.endswith(_DATA_END):
            smtp.cartera_body_sent = True
        return write(data)

    smtp.send = send
    smtp.cartera_watched = True


def _smtp_of(connection):
    """The open smtplib connection of Django's SMTP backend (None for other backends)."""
    smtp = getattr(connection, "connection", None) if isinstance(connection, SMTPBackend) else None
    return smtp if hasattr(smtp, "send") else None


def _lost_after_handover(exc: Exception, smtp) -> bool:
    """A dropped connection or a timeout once the server had the whole message."""
    return isinstance(exc, _CONNECTION_LOST) and bool(getattr(smtp, "cartera_body_sent", False))


def _api_request_sent(exc: Exception) -> bool:
    """An e-mail API (anymail) that took the request but never answered: a read timeout or
    a connection dropped while waiting for the response, not a refused connection."""
    if not isinstance(exc, AnymailAPIError) or getattr(exc, "status_code", None):
        return False
    cause = exc.__cause__ or exc.__context__
    name = type(cause).__name__ if cause is not None else ""
    return name in {"ReadTimeout", "RemoteDisconnected"} or "RemoteDisconnected" in str(cause)


_FILE_BACKENDS = (
    "cartera.outreach.channels.email.files.EmlFileBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)


def outbox_only() -> bool:
    """Messages are only written to files here: nothing leaves the server."""
    return not settings.EMAIL_HOST and settings.EMAIL_BACKEND in _FILE_BACKENDS


def sender_for(organization) -> str:
    default_name, default_addr = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr(
        (
            organization.sender_name or organization.name or default_name,
            organization.sender_email or default_addr,
        )
    )


class EmailTransport(Transport):
    channel = MessageChannel.EMAIL

    def __init__(self):
        # One connection for a whole batch of sends (reopened by Django if it drops).
        self.connection = None

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
            self.connection = None

    def _watched_smtp(self):
        """The SMTP connection with its body flag down for this message (opened here if
        Django's backend would open it inside ``send_messages``)."""
        if isinstance(self.connection, SMTPBackend) and self.connection.connection is None:
            self.connection.open()
        smtp = _smtp_of(self.connection)
        if smtp is not None:
            _watch_body(smtp)
            smtp.cartera_body_sent = False
        return smtp

    def build(self, message, *, attachments, headers: dict) -> EmailMultiAlternatives:
        subject = message.subject
        if isinstance(self.connection, SMTPBackend) and not subject.isascii():
            # RFC 2047 base64 encoded-word, as Python would write it, without its
            # quadratic "shortest encoding" search (≈ 1 ms per email). Only for SMTP:
            # provider APIs (anymail) take the subject as plain text.
            subject = Header(subject, _UTF8_BASE64, header_name="Subject").encode(linesep=" ")
        email = EmailMultiAlternatives(
            subject=subject,
            body=message.body_text,
            from_email=sender_for(message.organization),
            to=list(message.to),
            cc=list(message.cc),
            reply_to=[message.reply_to] if message.reply_to else None,
            headers=headers,
        )
        if message.body_html:
            email.attach_alternative(message.body_html, "text/html")
        logo = inline_logo(message.organization, message.body_html)
        if logo is not None:
            email.attach(logo)
        for name, content, mimetype in attachments:
            email.attach(name, content, mimetype)
        return email

    def send(self, message, *, attachments, headers=None, now=None) -> SendResult:
        domain = (message.organization.sender_email or "cartera.local").rsplit("@", 1)[-1]
        message_id = make_msgid(idstring=message.key[:40], domain=domain)
        smtp = None
        try:
            if self.connection is None:
                self.connection = get_connection(fail_silently=False)
                self.connection.open()
            email = self.build(
                message,
                attachments=attachments,
                headers={"Message-ID": message_id, **(headers or {})},
            )
            smtp = self._watched_smtp()
            sent = self.connection.send_messages([email])
        except _SEND_ERRORS as exc:
            if isinstance(exc, _CONNECTION_LOST):
                self.close()
            if _lost_after_handover(exc, smtp) or _api_request_sent(exc):
                raise UnknownOutcomeError(
                    f"{type(exc).__name__} after the message went out: {exc}"
                ) from None
            raise send_error(exc, message) from None
        if not sent:
            raise TransientSendError("the email backend reported 0 messages sent")
        status = getattr(email, "anymail_status", None)
        provider_id = (getattr(status, "message_id", None) or message_id) if status else message_id
        return SendResult(
            provider_id=str(provider_id),
            transport="outbox" if outbox_only() else settings.EMAIL_BACKEND.rsplit(".", 2)[-2],
            stored_only=outbox_only(),
        )
