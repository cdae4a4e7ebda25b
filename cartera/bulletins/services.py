"""The bulletin workflow: select overdue invoices, send the legal notice, wait, export the
file (publications and removals), and mark a removal due once a published invoice is paid.

Eligibility is the contact policy's one rule (``outreach.eligibility.invoice_holds``): an
invoice with any hold (paid, disputed, factored, payment reported, in a case, paused, in a
payment plan, promised, do-not-contact, cancellation requested) is neither selected nor
exported. Role limits (owners and managers: ``manage_cases``) are checked by the callers:
the views with ``require`` and the command, which runs as the operator."""

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from cartera.invoices.models import Invoice
from cartera.lib.dates import short_date
from cartera.outreach.choices import MessageChannel, MessagePurpose, MessageStatus
from cartera.outreach.eligibility import invoice_holds, open_with_balance_q
from cartera.outreach.notices import choose_channel, notify_debtor
from cartera.timeline import events

from . import layouts
from .models import COUNTRIES, BulletinEntry, BulletinFile, BulletinSettings, Publication

SENT_STATUSES = (
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.OPENED,
    MessageStatus.CLICKED,
)


def settings_of(organization) -> BulletinSettings:
    found = BulletinSettings.objects.filter(organization=organization).first()
    return found or BulletinSettings(organization=organization)


def save_settings(*, organization, wait_days: int, member_code: str) -> BulletinSettings:
    row, _created = BulletinSettings.objects.update_or_create(
        organization=organization, defaults={"wait_days": wait_days, "member_code": member_code}
    )
    return row


def check_country(organization) -> str:
    if organization.country not in COUNTRIES:
        raise ValidationError(
            _("Los boletines de crédito solo están disponibles para México y Chile.")
        )
    return organization.country


def refusal(invoice: Invoice, *, hold, today: dt.date) -> str:
    """Why ``invoice`` may not be published on ``today`` ('' : it may)."""
    if hold is not None:
        return _("Factura %(number)s: %(reason)s") % {
            "number": invoice.number,
            "reason": hold.label,
        }
    if invoice.due_date >= today:
        return _("La factura %(number)s no está vencida.") % {"number": invoice.number}
    if invoice.organization.country == "MX" and invoice.currency not in layouts.MX_CURRENCY:
        return _("La factura %(number)s no está en pesos: el archivo de México solo lleva MXN.") % {
            "number": invoice.number
        }
    return ""


def candidates(organization, *, today: dt.date, invoices=None):
    """Overdue invoices without a hold and not yet selected (``invoices``: a narrower set)."""
    pool = (invoices if invoices is not None else Invoice.objects.all()).filter(
        open_with_balance_q(),
        organization=organization,
        due_date__lt=today,
        bulletin_entry__isnull=True,
    )
    if organization.country == "MX":
        pool = pool.filter(currency__in=list(layouts.MX_CURRENCY))
    holds = invoice_holds(pool, on=today)
    return pool.filter(pk__in=[pk for pk, hold in holds.items() if hold is None])


@transaction.atomic
def select_invoices(*, organization, invoices, actor, today: dt.date) -> list[BulletinEntry]:
    """Select ``invoices`` for publication: all or none (the first refusal is raised)."""
    check_country(organization)
    invoices = list(invoices)
    if not invoices:
        raise ValidationError(_("Elija al menos una factura."))
    holds = invoice_holds(Invoice.objects.filter(pk__in=[i.pk for i in invoices]), on=today)
    for invoice in invoices:
        if invoice.organization_id != organization.pk:
            raise ValidationError(_("Factura desconocida."))
        if BulletinEntry.objects.filter(invoice=invoice).exists():
            raise ValidationError(
                _("La factura %(number)s ya está seleccionada.") % {"number": invoice.number}
            )
        problem = refusal(invoice, hold=holds.get(invoice.pk), today=today)
        if problem:
            raise ValidationError(problem)
    entries = BulletinEntry.objects.bulk_create(
        BulletinEntry(
            organization=organization,
            customer_id=invoice.customer_id,
            invoice=invoice,
            selected_on=today,
            selected_by=actor,
        )
        for invoice in invoices
    )
    for customer, chosen in _by_customer(invoices).items():
        events.bulletin_selected(
            organization=organization, customer=customer, actor=actor, invoices=chosen
        )
    return entries


def _by_customer(invoices) -> dict:
    grouped = defaultdict(list)
    for invoice in sorted(invoices, key=lambda i: (i.customer_id, i.due_date, i.pk)):
        grouped[invoice.customer].append(invoice)
    return grouped


def _notice_text(customer, invoices, wait_days: int) -> tuple[str, str]:
    lines = [
        _("- Factura %(number)s, vencida el %(due)s, saldo %(balance)s")
        % {
            "number": invoice.number,
            "due": short_date(invoice.due_date, customer.language),
            "balance": invoice.balance_money,
        }
        for invoice in invoices
    ]
    subject = _("Aviso previo a su registro en el boletín de crédito")
    body = _(
        "Le informamos que las siguientes facturas siguen sin pagarse:\n%(lines)s\n\n"
        "Si no se pagan dentro de %(days)s días a partir de este aviso, el adeudo podrá "
        "reportarse a una sociedad de información crediticia o boletín comercial. Si ya "
        "pagó o no reconoce el adeudo, comuníquese con nosotros."
    ) % {"lines": "\n".join(lines), "days": wait_days}
    return subject, body


# How the notice goes (the notice form's choice): by e-mail, or by printed letter when the
# customer has no usable e-mail but a postal address; e-mail only; letter only.
NOTICE_CHANNELS = {
    "auto": (MessageChannel.EMAIL, MessageChannel.LETTER),
    "email": (MessageChannel.EMAIL,),
    "letter": (MessageChannel.LETTER,),
}


@dataclass
class NoticeResult:
    noticed: int = 0  # customers whose notice was queued
    letters: int = 0  # of them, by printed letter
    without_contact: list[str] = field(default_factory=list)  # customers who got none


def notice_channel(customer, choice: str) -> str:
    """The channel ``customer``'s notice goes by ('' : none is usable). Chosen here, once:
    the notice gets no fallback channel, so the entry's notice is the message that goes."""
    channel, _contacts, _rest, _passed = choose_channel(customer, list(NOTICE_CHANNELS[choice]))
    return channel


@transaction.atomic
def send_legal_notices(
    *, organization, entries, actor, today: dt.date, channel: str = "auto"
) -> NoticeResult:
    """Queue one notice per customer for its selected, not yet noticed invoices; the wait
    runs from the day the outbox sends it — for a letter, the day its print batch is
    marked posted. ``channel`` (``NOTICE_CHANNELS``) says how. A customer it cannot reach
    (no usable e-mail and, where letters are allowed, no postal address) gets none: its
    invoices stay selected without a notice (so they are never exported) and it is named
    in the result, the others' notices go."""
    if channel not in NOTICE_CHANNELS:
        raise ValidationError(_("Canal de aviso desconocido."))
    wait_days = settings_of(organization).wait_days
    pending = [e for e in entries if e.notice_id is None]
    if not pending:
        raise ValidationError(_("No hay facturas seleccionadas sin aviso."))
    grouped = defaultdict(list)
    for entry in pending:
        grouped[entry.customer].append(entry)
    result = NoticeResult()
    for customer, customer_entries in sorted(grouped.items(), key=lambda kv: kv[0].pk):
        invoices = sorted((e.invoice for e in customer_entries), key=lambda i: (i.due_date, i.pk))
        by = notice_channel(customer, channel)
        if not by:
            result.without_contact.append(customer.name)
            continue
        with translation.override(customer.language):
            subject, body = _notice_text(customer, invoices, wait_days)
        message = notify_debtor(
            customer=customer,
            key=f"bulletin-notice:{customer.pk}:" + ",".join(str(e.pk) for e in customer_entries),
            purpose=MessagePurpose.PORTAL_NOTICE,
            subject=subject,
            body=body,
            channels=(by,),
        )
        if message is None:  # defensive: the channel was usable a moment ago
            result.without_contact.append(customer.name)
            continue
        message.invoices.add(*invoices)
        BulletinEntry.objects.filter(pk__in=[e.pk for e in customer_entries]).update(
            notice=message, noticed_on=today
        )
        events.bulletin_notice_queued(
            organization=organization,
            customer=customer,
            actor=actor,
            invoices=invoices,
            message=message,
        )
        result.noticed += 1
        result.letters += message.channel == MessageChannel.LETTER
    return result


def notice_sent_on(entry: BulletinEntry, tz_name: str) -> dt.date | None:
    """The organisation's local day the notice left (None: not sent, failed, cancelled)."""
    notice = entry.notice
    if notice is None or notice.status not in SENT_STATUSES or notice.sent_at is None:
        return None
    return notice.sent_at.astimezone(ZoneInfo(tz_name)).date()


def exportable_from(entry: BulletinEntry, *, wait_days: int, tz_name: str) -> dt.date | None:
    """The first day ``entry`` may be exported: ``wait_days`` after the notice was sent."""
    sent = notice_sent_on(entry, tz_name)
    return None if sent is None else sent + dt.timedelta(days=wait_days)


def exportable_entries(organization, *, today: dt.date) -> list[BulletinEntry]:
    """Noticed entries whose wait is over and whose invoice still has no hold."""
    wait_days = settings_of(organization).wait_days
    entries = (
        BulletinEntry.objects.filter(
            organization=organization, notice__isnull=False, publication__isnull=True
        )
        .select_related("invoice", "customer", "notice")
        .order_by("customer_id", "invoice__due_date", "invoice_id")
    )
    ready = [
        e
        for e in entries
        if (start := exportable_from(e, wait_days=wait_days, tz_name=organization.timezone))
        and start <= today
    ]
    holds = invoice_holds(Invoice.objects.filter(pk__in=[e.invoice_id for e in ready]), on=today)
    return [e for e in ready if holds.get(e.invoice_id) is None]


def record_removals_due(*, organization_id: int, on: dt.date, invoice_ids=None) -> int:
    """Published invoices that no longer owe anything get their removal due (once)."""
    published = Publication.objects.filter(
        organization_id=organization_id, removal_due_on__isnull=True
    ).exclude(entry__invoice__in=Invoice.objects.filter(open_with_balance_q()))
    if invoice_ids is not None:
        published = published.filter(entry__invoice_id__in=invoice_ids)
    return published.update(removal_due_on=on)


def _row(entry: BulletinEntry, *, today: dt.date, removal: bool, paid_on=None) -> layouts.Row:
    invoice, customer = entry.invoice, entry.customer
    street = " ".join(p for p in (customer.address_street, customer.address_exterior) if p)
    return layouts.Row(
        tax_id=customer.tax_id,
        name=customer.legal_name or customer.name,
        street=street,
        colonia=customer.address_colonia,
        city=customer.address_city,
        state=customer.address_state,
        postal_code=customer.address_postal_code,
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        total=invoice.total,
        balance=invoice.balance,
        days_overdue=max((today - invoice.due_date).days, 0),
        removal=removal,
        paid_on=paid_on,
    )


def export_bulletin(*, organization, day: dt.date, actor) -> tuple[BulletinFile, bool]:
    """The file of ``day``: the entries whose wait is over (published now) and the removals
    due. Once a day: a second export of the same day returns that day's file and publishes
    nothing again (``created`` False). Nothing to publish or remove: ValidationError."""
    country = check_country(organization)
    existing = BulletinFile.objects.filter(organization=organization, country=country, day=day)
    if existing.exists():
        return existing.get(), False
    try:
        return _write_file(organization=organization, country=country, day=day, actor=actor), True
    except IntegrityError:  # a concurrent export of the same day won
        return existing.get(), False


@transaction.atomic
def _write_file(*, organization, country: str, day: dt.date, actor) -> BulletinFile:
    record_removals_due(organization_id=organization.pk, on=day)
    to_publish = exportable_entries(organization, today=day)
    to_remove = list(
        Publication.objects.filter(
            organization=organization, removal_due_on__isnull=False, removal_file__isnull=True
        )
        .select_related("entry__invoice", "entry__customer")
        .order_by("entry__customer_id", "entry__invoice__due_date", "entry__invoice_id")
    )
    if not to_publish and not to_remove:
        raise ValidationError(_("No hay facturas por publicar ni aclaraciones pendientes hoy."))
    rows = [_row(e, today=day, removal=False) for e in to_publish] + [
        _row(p.entry, today=day, removal=True, paid_on=p.entry.invoice.paid_at or p.removal_due_on)
        for p in to_remove
    ]
    content = layouts.build(
        country, rows, member_code=settings_of(organization).member_code, day=day
    )
    with transaction.atomic():  # the unique day constraint fails here, not the outer block
        file = BulletinFile.objects.create(
            organization=organization,
            country=country,
            day=day,
            filename=layouts.file_name(country, day),
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            created_by=actor,
        )
    Publication.objects.bulk_create(
        Publication(
            organization=organization,
            entry=entry,
            file=file,
            published_on=day,
            published_by=actor,
            amount=entry.invoice.balance,
            currency=entry.invoice.currency,
            days_overdue=max((day - entry.invoice.due_date).days, 0),
        )
        for entry in to_publish
    )
    Publication.objects.filter(pk__in=[p.pk for p in to_remove]).update(
        removal_file=file, removed_on=day
    )
    _record_on_timeline(organization, file, actor, to_publish, to_remove)
    return file


def _record_on_timeline(organization, file, actor, to_publish, to_remove) -> None:
    published, removed = defaultdict(list), defaultdict(list)
    for entry in to_publish:
        published[entry.customer].append(entry.invoice)
    for publication in to_remove:
        removed[publication.entry.customer].append(publication.entry.invoice)
    for customer in sorted(set(published) | set(removed), key=lambda c: c.pk):
        events.bulletin_exported(
            organization=organization,
            customer=customer,
            actor=actor,
            file=file,
            published=published.get(customer, []),
            removed=removed.get(customer, []),
        )
