"""The in-app mail viewer's reads: the e-mails an organisation sent (collection and other
messages, and members' test sends), each as the mail client would show it.

Scoped like the outbox: a member sees only their organisation's rows, and an agent of an
organisation that restricts agents sees only their customers' messages and their own
tests. The content comes from the row itself; when the local outbox wrote the message's
``.eml`` (no ``EMAIL_HOST``), that file — found by the row's own ``Message-ID``, never by
listing the folder — supplies the exact headers, parts and attachments.
"""

import datetime as dt
import email
import email.policy
from dataclasses import dataclass, field
from email.utils import format_datetime

from django.http import Http404

from cartera.orgs.access import restricted_to_assigned, scope_to_member

from .branding import data_uri, with_logo_data
from .channels.email.files import eml_path_for
from .channels.email.transport import sender_for
from .choices import MessageChannel, MessageStatus
from .models import Message, TestSend

SENT_STATUSES = [
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.OPENED,
    MessageStatus.CLICKED,
    MessageStatus.BOUNCED,
]
KINDS = ("message", "test")


@dataclass
class MailRow:
    kind: str
    pk: int
    subject: str
    to: str
    sent_at: dt.datetime
    about: str  # the customer's name, or "" for a test with sample data
    is_test: bool
    stored_only: bool


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ParsedMail:
    headers: list[tuple[str, str]]
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)
    from_file: bool = False


def sent_messages_visible_to(membership):
    return scope_to_member(
        Message.objects.filter(channel=MessageChannel.EMAIL, status__in=SENT_STATUSES),
        membership,
    )


def test_sends_visible_to(membership):
    if membership is None:
        return TestSend.objects.none()
    rows = TestSend.objects.filter(organization_id=membership.organization_id)
    if restricted_to_assigned(membership):
        rows = rows.filter(user_id=membership.user_id)
    return rows


def sent_mail(membership, *, limit: int = 500) -> list[MailRow]:
    """The newest ``limit`` sent e-mails and test sends together, newest first."""
    messages = sent_messages_visible_to(membership).select_related("customer")
    rows = [
        MailRow(
            "message",
            m.pk,
            m.subject or m.key,
            ", ".join(m.to),
            m.sent_at,
            m.customer.name,
            False,
            m.transport == "outbox",
        )
        for m in messages.order_by("-sent_at", "-id")[:limit]
    ]
    tests = test_sends_visible_to(membership).select_related("customer")
    rows += [
        MailRow(
            "test",
            t.pk,
            t.subject,
            t.to,
            t.sent_at,
            t.customer.name if t.customer else "",
            True,
            t.transport == "outbox",
        )
        for t in tests.order_by("-sent_at", "-id")[:limit]
    ]
    rows.sort(key=lambda row: (row.sent_at, row.pk), reverse=True)
    return rows[:limit]


def get_mail_for_user(request, kind: str, pk: int):
    """The Message or TestSend ``pk`` this member may see, else 404."""
    membership = getattr(request, "membership", None)
    if kind == "message":
        row = sent_messages_visible_to(membership).filter(pk=pk).first()
    elif kind == "test":
        row = test_sends_visible_to(membership).filter(pk=pk).first()
    else:
        row = None
    if row is None:
        raise Http404
    return row


def _message_id(row) -> str:
    return row.message_id if isinstance(row, TestSend) else row.provider_id


def read_mail(row) -> ParsedMail:
    """The e-mail as sent: its ``.eml`` when the local outbox kept one, else the row."""
    path = eml_path_for(_message_id(row))
    if path is not None:
        return parse_eml(path.read_bytes())
    return _from_row(row)


def parse_eml(content: bytes) -> ParsedMail:
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    text_part = parsed.get_body(("plain",))
    html_part = parsed.get_body(("html",))
    html = html_part.get_content() if html_part is not None else ""
    attachments = []
    for part in parsed.iter_attachments():
        data = part.get_payload(decode=True) or b""
        cid = (part.get("Content-ID") or "").strip("<> ")
        if cid and f"cid:{cid}" in html:
            # An inline image of the HTML (the logo): shown in place, not listed.
            html = html.replace(f"cid:{cid}", data_uri(data, part.get_content_type()))
            continue
        attachments.append(
            Attachment(part.get_filename() or "adjunto", part.get_content_type(), data)
        )
    return ParsedMail(
        headers=[(name, str(value)) for name, value in parsed.items()],
        text=text_part.get_content() if text_part is not None else "",
        html=html,
        attachments=attachments,
        from_file=True,
    )


def _from_row(row) -> ParsedMail:
    """Headers rebuilt from the row (sent through a mail server, or the demo's history)."""
    if isinstance(row, TestSend):
        to, cc, reply_to = row.to, "", row.organization.reply_to_email
    else:
        to, cc, reply_to = ", ".join(row.to), ", ".join(row.cc), row.reply_to
    headers = [
        ("From", sender_for(row.organization)),
        ("To", to),
        ("Cc", cc),
        ("Reply-To", reply_to),
        ("Subject", row.subject),
        ("Date", format_datetime(row.sent_at) if row.sent_at else ""),
        ("Message-ID", _message_id(row)),
    ]
    return ParsedMail(
        headers=[(name, value) for name, value in headers if value],
        text=row.body_text,
        html=with_logo_data(row.body_html, row.organization),
    )
