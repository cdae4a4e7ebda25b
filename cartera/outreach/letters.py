"""Printed letters: the day's letters of an organisation form one print batch; the batch is
marked posted (its letters become ``sent`` that day) and each letter may get a
registered-mail tracking number. The PDF is rendered by the portal app, which owns the
organisation's logo and the statement (``cartera/portal/letters.py``)."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.orgs.access import Action, require_member
from cartera.timeline import events as timeline_events
from cartera.timeline.choices import ActivityKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activity

from .choices import EventKind, MessageStatus
from .events import add_event
from .models import Letter, LetterBatch, Message

# The columns of the mailing house's CSV, in order.
CSV_COLUMNS = (
    "reference",
    "name",
    "attention",
    "line_1",
    "line_2",
    "line_3",
    "line_4",
    "postal_code",
)


def add_letter(*, message: Message, contact, place, day: dt.date) -> Letter:
    """Put ``message`` in the organisation's batch of ``day``, addressed to ``place`` (the
    contact or the customer holding the postal address)."""
    customer = message.customer
    with transaction.atomic():
        batch, _created = LetterBatch.objects.get_or_create(
            organization=message.organization, day=day
        )
        letter, _created = Letter.objects.update_or_create(
            message=message,
            defaults={
                "organization": message.organization,
                "batch": batch,
                "recipient": customer.legal_name or customer.name,
                "attention": contact.name if contact is not None else "",
                "address_lines": place.address_lines(),
                "postal_code": place.address_postal_code,
            },
        )
    return letter


def _posted_moment(batch: LetterBatch, posted_on: dt.date) -> dt.datetime:
    """Noon of the posting day in the organisation's time zone: letters have no send time."""
    zone = ZoneInfo(batch.organization.timezone)
    return dt.datetime.combine(posted_on, dt.time(12), tzinfo=zone)


def post_letter_batch(*, batch: LetterBatch, posted_on: dt.date, actor) -> int:
    """Mark the batch posted on ``posted_on``: its printed letters become ``sent`` (so they
    count as contacts for the policy). Returns how many letters went out."""
    require_member(actor, batch.organization, Action.MANAGE_STRATEGIES)
    if batch.posted_on is not None:
        raise ValidationError({"posted_on": _("Este lote ya se marcó como enviado.")})
    if posted_on < batch.day:
        raise ValidationError(
            {"posted_on": _("La fecha de envío no puede ser anterior al día del lote.")}
        )
    at = _posted_moment(batch, posted_on)
    with transaction.atomic():
        batch.posted_on = posted_on
        batch.save(update_fields=["posted_on"])
        messages = list(
            Message.objects.filter(letter__batch=batch, status=MessageStatus.PRINTED)
            .select_related("customer", "organization")
            .order_by("id")
        )
        Message.objects.filter(pk__in=[m.pk for m in messages]).update(
            status=MessageStatus.SENT, sent_at=at, status_reason=""
        )
        for message in messages:
            add_event(message, EventKind.SENT, at=at, data={"transport": message.transport})
            record_activity(
                organization=message.organization,
                customer=message.customer,
                kind=ActivityKind.MESSAGE,
                summary=sentence(
                    gettext_lazy("Carta enviada por correo postal: %(subject)s"),
                    subject=message.subject or message.letter.reference,
                ),
                data={"message": message.key, "channel": message.channel},
            )
        timeline_events.config_changed(
            batch.organization,
            actor=actor,
            summary=sentence(
                gettext_lazy("Lote de cartas del %(day)s enviado por correo el %(posted)s"),
                day=batch.day,
                posted=posted_on,
            ),
            letters=len(messages),
        )
    return len(messages)


def set_letter_tracking(*, letter: Letter, tracking_number: str, actor) -> Letter:
    """Record the registered-mail tracking number of one letter (empty clears it)."""
    require_member(actor, letter.organization, Action.MANAGE_STRATEGIES)
    number = tracking_number.strip()
    if len(number) > 60:
        raise ValidationError({"tracking_number": _("El número de guía es demasiado largo.")})
    with transaction.atomic():
        letter.tracking_number = number
        letter.save(update_fields=["tracking_number"])
        message = letter.message
        record_activity(
            organization=letter.organization,
            customer=message.customer,
            kind=ActivityKind.MESSAGE,
            summary=sentence(
                gettext_lazy("Carta %(reference)s: número de guía %(number)s"),
                reference=letter.reference,
                number=number or "—",
            ),
            data={"message": message.key, "channel": message.channel, "tracking": number},
        )
    return letter


def letter_batches(organization):
    """The organisation's batches, newest first, with their letter counts."""
    return LetterBatch.objects.filter(organization=organization).annotate(
        letter_count=Count("letters"),
        tracked_count=Count("letters", filter=~Q(letters__tracking_number="")),
    )


def get_batch(organization, pk: int) -> LetterBatch:
    return LetterBatch.objects.get(organization=organization, pk=pk)


def batch_letters(batch: LetterBatch):
    return batch.letters.select_related("message", "message__customer").order_by("id")


def csv_rows(batch: LetterBatch) -> list[dict]:
    """One row per letter for the mailing house (four address lines, padded)."""
    rows = []
    for letter in batch_letters(batch):
        lines = [*letter.address_lines, "", "", "", ""]
        rows.append(
            {
                "reference": letter.reference,
                "name": letter.recipient,
                "attention": letter.attention,
                "line_1": lines[0],
                "line_2": lines[1],
                "line_3": lines[2],
                "line_4": lines[3],
                "postal_code": letter.postal_code,
            }
        )
    return rows
