"""The hand-off dossier: one ZIP for the law firm or agency. Reproducible: the same case
on the same as-of date gives the same bytes (entries in a fixed order with the as-of date
as their time, no random ids, the PDF's metadata dates set to the as-of date)."""

import datetime as dt
import hashlib
import io
import json
import zipfile
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import translation

from cartera.agreements.charges import interest_to_date
from cartera.followup.models import PromiseToPay
from cartera.invoices.models import Dispute, InvoiceAttachment
from cartera.outreach.models import Message
from cartera.payments.models import Allocation
from cartera.timeline.choices import ActivityKind
from cartera.timeline.models import Activity

from .services import commission, recovered


def _money(value) -> str:
    return f"{Decimal(value):.2f}"


def _statement(case, as_of: dt.date) -> list[dict]:
    rows = []
    for invoice in case.invoices.order_by("due_date", "id"):
        interest = interest_to_date(invoice, day=as_of)
        rows.append(
            {
                "number": invoice.number,
                "fiscal_uuid": invoice.fiscal_uuid,
                "issue_date": invoice.issue_date.isoformat(),
                "due_date": invoice.due_date.isoformat(),
                "currency": invoice.currency,
                "total": _money(invoice.total),
                "balance": _money(invoice.balance),
                "days_overdue": max((as_of - invoice.due_date).days, 0),
                "interest": _money(interest),
                "owed": _money(invoice.balance + interest),
            }
        )
    return rows


def _messages(invoice_ids) -> list[dict]:
    messages = (
        Message.objects.filter(invoices__in=invoice_ids)
        .distinct()
        .order_by("scheduled_for", "id")
        .prefetch_related("events")
    )
    return [
        {
            "key": m.key,
            "channel": m.channel,
            "status": m.status,
            "subject": m.subject,
            "to": m.to,
            "status_reason": m.status_reason,
            "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            "events": [
                {"kind": e.kind, "at": e.occurred_at.isoformat()}
                for e in sorted(m.events.all(), key=lambda e: (e.occurred_at, e.pk))
            ],
        }
        for m in messages
    ]


def _followup(case, invoice_ids) -> dict:
    promises = PromiseToPay.objects.filter(invoices__in=invoice_ids).distinct().order_by("id")
    return {
        "calls": [
            {"at": c.created_at.isoformat(), "summary": c.summary}
            for c in Activity.objects.filter(
                customer=case.customer, kind=ActivityKind.CALL
            ).order_by("created_at", "id")
        ],
        "promises": [
            {
                "promised_date": p.promised_date.isoformat(),
                "amount": _money(p.amount),
                "status": p.status,
            }
            for p in promises
        ],
        "disputes": [
            {"invoice": d.invoice.number, "status": d.status, "reason": d.reason}
            for d in Dispute.objects.filter(invoice_id__in=invoice_ids).order_by("id")
        ],
        "payments": [
            {
                "invoice": a.invoice.number,
                "date": a.effective_date.isoformat(),
                "amount": _money(a.amount),
            }
            for a in Allocation.objects.filter(invoice_id__in=invoice_ids)
            .select_related("invoice")
            .order_by("effective_date", "id")
        ],
    }


def index_pdf(case, *, as_of: dt.date, statement, followup) -> bytes:
    from weasyprint import HTML  # WeasyPrint takes seconds to load; only the PDF needs it

    context = {
        "case": case,
        "as_of": as_of,
        "statement": statement,
        "followup": followup,
        "recovered": recovered(case),
        "commission": commission(case),
        # WeasyPrint writes these <meta> as the PDF's CreationDate and ModDate; without
        # them the PDF has none, and the document stays the same on every build.
        "pdf_date": f"{as_of.isoformat()}T00:00:00Z",
    }
    with translation.override(case.customer.language or "es"):
        html = render_to_string("cases/dossier_index.html", context)
    return HTML(string=html).write_pdf(uncompressed_pdf=False)


def _files(case, *, as_of: dt.date) -> list[tuple[str, bytes]]:
    invoice_ids = list(case.invoices.values_list("pk", flat=True))
    statement = _statement(case, as_of)
    followup = _followup(case, invoice_ids)
    files = [("index.pdf", index_pdf(case, as_of=as_of, statement=statement, followup=followup))]
    files.append(("statement.json", _json(statement)))
    attachments = (
        InvoiceAttachment.objects.filter(invoice_id__in=invoice_ids, kind__in=["xml", "pdf"])
        .select_related("invoice")
        .order_by("invoice__due_date", "invoice_id", "kind", "id")
    )
    for attachment in attachments:
        with attachment.file.open("rb") as handle:
            name = f"invoices/{attachment.invoice.number}-{attachment.pk}.{attachment.kind}"
            files.append((name, handle.read()))
    files.append(("messages.json", _json(_messages(invoice_ids))))
    for key in ("calls", "promises", "disputes", "payments"):
        files.append((f"{key}.json", _json(followup[key])))
    return files


def _json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode()


def build_dossier(case, *, as_of: dt.date) -> bytes:
    files = _files(case, as_of=as_of)
    manifest = {
        "case": case.number,
        "as_of": as_of.isoformat(),
        "files": [
            {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in files
        ],
    }
    files.append(("manifest.json", _json(manifest)))
    stamp = (as_of.year, as_of.month, as_of.day, 0, 0, 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, data)
    return buffer.getvalue()
