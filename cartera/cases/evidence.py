"""The evidence parts of the hand-off dossier: the chain proof of its timeline entries,
the proof of delivery of each CFDI, and for Chile the "mérito ejecutivo" of each DTE.

Everything here is read as of a date (``as_of``) so the dossier stays the same for the
same case on the same date."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Q

from cartera.invoices.acceptance import acceptance_evidence
from cartera.invoices.models import DteReceipt, InvoiceAttachment
from cartera.outreach.choices import MessagePurpose
from cartera.outreach.models import Message
from cartera.timeline.choices import ActivityKind
from cartera.timeline.integrity import chain_proof
from cartera.timeline.models import Activity

from .selectors import case_timeline_filter


def end_of_day(case, as_of: dt.date) -> dt.datetime:
    """The first instant after ``as_of`` in the organisation's time zone."""
    tz = ZoneInfo(case.organization.timezone or "UTC")
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(0), tzinfo=tz)


# --- 1. the chain proof of the dossier's timeline entries ---------------------------------
def dossier_entry_ids(case, *, as_of: dt.date, links: dict) -> list[int]:
    """The customer's chained timeline entries up to the end of ``as_of`` that the dossier
    is about: the case's own, its invoices', its calls, and those naming one of the
    dossier's messages, promises, disputes or payments (``links``: lists of keys/ids)."""
    about = (
        case_timeline_filter(case)
        | Q(kind=ActivityKind.CALL)
        | Q(invoice_id__in=links["invoices"])
        | Q(data__message__in=links["messages"])
        | Q(data__promise_id__in=links["promises"])
        | Q(data__dispute_id__in=links["disputes"])
        | Q(data__payment_id__in=links["payments"])
    )
    return list(
        Activity.objects.filter(
            organization_id=case.organization_id,
            customer_id=case.customer_id,
            sequence__isnull=False,
            created_at__lt=end_of_day(case, as_of),
        )
        .filter(about)
        .order_by("sequence")
        .values_list("pk", flat=True)
    )


def proof_anchor_day(as_of: dt.date) -> dt.date:
    """The last day whose anchor a dossier of ``as_of`` may carry: the day before. The
    anchor of ``as_of`` itself is signed at 23:55 that day, so carrying it would make a
    rebuild late that evening differ from the dossier built earlier the same day."""
    return as_of - dt.timedelta(days=1)


def timeline_proof(case, *, as_of: dt.date, links: dict) -> dict:
    """What ``cartera timeline proof`` gives for those entries, with the newest anchor
    dated strictly before ``as_of``; ``anchored`` counts the entries it covers (the ones
    written after it, up to the end of ``as_of``, are in the proof but not covered)."""
    ids = dossier_entry_ids(case, as_of=as_of, links=links)
    proof = chain_proof(
        organization_id=case.organization_id,
        entry_ids=ids,
        anchored_by=proof_anchor_day(as_of),
    )
    anchor = proof["anchor"]
    covered = anchor["sequence"] if anchor else 0
    proof["anchored"] = sum(1 for e in proof["entries"] if e["content"]["sequence"] <= covered)
    return proof


# --- 2. the proof of delivery of each CFDI -------------------------------------------------
def _carried(message: Message, kinds: set[str]) -> list[str]:
    """Which of the invoice's files (``kinds``) the message carried."""
    if message.purpose == MessagePurpose.INVOICE_ISSUED:
        return sorted(kinds)
    return sorted(
        k
        for k, on in (("pdf", message.attach_pdf), ("xml", message.attach_xml))
        if on and k in kinds
    )


def _events(message: Message, until: dt.datetime) -> list[dict]:
    return [
        {"kind": e.kind, "at": e.occurred_at.isoformat()}
        for e in sorted(message.events.all(), key=lambda e: (e.occurred_at, e.pk))
        if e.occurred_at < until
    ]


def cfdi_delivery(case, *, as_of: dt.date) -> list[dict]:
    """For each of the case's invoices with a CFDI XML or PDF: the messages that carried
    them (attached, or the "factura emitida" e-mail) with their delivery and read events,
    and the debtor's downloads of them from the portal, up to the end of ``as_of``."""
    until = end_of_day(case, as_of)
    rows = []
    for invoice in case.invoices.order_by("due_date", "id"):
        files = list(
            InvoiceAttachment.objects.filter(invoice=invoice, kind__in=["xml", "pdf"]).order_by(
                "kind", "id"
            )
        )
        if not files:
            continue
        kinds = {f.kind for f in files}
        messages = (
            Message.objects.filter(invoices=invoice, sent_at__isnull=False, sent_at__lt=until)
            .filter(
                Q(purpose=MessagePurpose.INVOICE_ISSUED) | Q(attach_pdf=True) | Q(attach_xml=True)
            )
            .order_by("sent_at", "id")
            .prefetch_related("events")
        )
        downloads = Activity.objects.filter(
            invoice=invoice,
            data__file_event="downloaded",
            data__attachment_id__in=[f.pk for f in files],
            created_at__lt=until,
        ).order_by("created_at", "id")
        rows.append(
            {
                "invoice": invoice.number,
                "fiscal_uuid": invoice.fiscal_uuid,
                "files": [
                    {"kind": f.kind, "name": f.original_name, "sha256": f.sha256} for f in files
                ],
                "messages": [
                    {
                        "key": m.key,
                        "channel": m.channel,
                        "to": m.to,
                        "subject": m.subject,
                        "sent_at": m.sent_at.isoformat(),
                        "carried": _carried(m, kinds),
                        "status": m.status,
                        "events": _events(m, until),
                    }
                    for m in messages
                    if _carried(m, kinds)
                ],
                "downloads": [
                    {"at": d.created_at.isoformat(), "kind": d.data["kind"], "via": d.data["via"]}
                    for d in downloads
                ],
            }
        )
    return rows


# --- 3. Chile: the mérito ejecutivo of each DTE (Ley 19.983) ------------------------------
def is_dte(invoice) -> bool:
    """A Chilean electronic invoice: the customer is in Chile."""
    return invoice.customer.country == "CL"


def merito_ejecutivo(receipt: DteReceipt | None, *, as_of: dt.date) -> dict:
    """The evidence of acceptance of one DTE on ``as_of`` (``invoices.acceptance``)."""
    return acceptance_evidence(receipt, as_of=as_of)


def dte_evidence(case, *, as_of: dt.date) -> list[dict]:
    """For each DTE invoice of the case: the evidence of acceptance that applies."""
    invoices = [
        i for i in case.invoices.select_related("customer").order_by("due_date", "id") if is_dte(i)
    ]
    receipts = {r.invoice_id: r for r in DteReceipt.objects.filter(invoice__in=invoices)}
    return [
        {"invoice": i.number, **merito_ejecutivo(receipts.get(i.pk), as_of=as_of)} for i in invoices
    ]
