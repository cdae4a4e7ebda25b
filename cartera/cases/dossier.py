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

from .evidence import cfdi_delivery, dte_evidence, timeline_proof
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


def _links(case, invoice_ids, messages) -> dict:
    """Ids of what the dossier lists, to find the timeline entries about them."""
    return {
        "invoices": invoice_ids,
        "messages": [m["key"] for m in messages],
        "promises": list(
            PromiseToPay.objects.filter(invoices__in=invoice_ids).values_list("pk", flat=True)
        ),
        "disputes": list(
            Dispute.objects.filter(invoice_id__in=invoice_ids).values_list("pk", flat=True)
        ),
        "payments": list(
            Allocation.objects.filter(invoice_id__in=invoice_ids, payment__isnull=False)
            .values_list("payment_id", flat=True)
            .distinct()
        ),
    }


def _delivery_summary(delivery) -> list[dict]:
    """Per invoice: how many messages carried its CFDI, were delivered, were opened, and
    how many times the debtor downloaded it (shown in the index and the manifest)."""

    def reached(row, kinds):
        return sum(1 for m in row["messages"] if any(e["kind"] in kinds for e in m["events"]))

    return [
        {
            "invoice": row["invoice"],
            "messages": len(row["messages"]),
            "delivered": reached(row, {"delivered", "opened", "clicked"}),
            "opened": reached(row, {"opened", "clicked"}),
            "downloads": len(row["downloads"]),
        }
        for row in delivery
    ]


def index_pdf(case, *, as_of: dt.date, statement, followup, evidence) -> bytes:
    from weasyprint import HTML  # WeasyPrint takes seconds to load; only the PDF needs it

    context = {
        "case": case,
        "as_of": as_of,
        "statement": statement,
        "followup": followup,
        "recovered": recovered(case),
        "commission": commission(case),
        **evidence,
        # WeasyPrint writes these <meta> as the PDF's CreationDate and ModDate; without
        # them the PDF has none, and the document stays the same on every build.
        "pdf_date": f"{as_of.isoformat()}T00:00:00Z",
    }
    with translation.override(case.customer.language or "es"):
        html = render_to_string("cases/dossier_index.html", context)
    return HTML(string=html).write_pdf(uncompressed_pdf=False)


def _evidence(case, *, as_of: dt.date, links: dict) -> dict:
    delivery = cfdi_delivery(case, as_of=as_of)
    return {
        "proof": timeline_proof(case, as_of=as_of, links=links),
        "delivery": delivery,
        "delivery_summary": _delivery_summary(delivery),
        "dte": dte_evidence(case, as_of=as_of),
    }


def _files(case, *, as_of: dt.date) -> tuple[list[tuple[str, bytes]], dict]:
    invoice_ids = list(case.invoices.values_list("pk", flat=True))
    statement = _statement(case, as_of)
    followup = _followup(case, invoice_ids)
    messages = _messages(invoice_ids)
    evidence = _evidence(case, as_of=as_of, links=_links(case, invoice_ids, messages))
    index = index_pdf(case, as_of=as_of, statement=statement, followup=followup, evidence=evidence)
    files = [("index.pdf", index), ("statement.json", _json(statement))]
    attachments = (
        InvoiceAttachment.objects.filter(invoice_id__in=invoice_ids, kind__in=["xml", "pdf"])
        .select_related("invoice")
        .order_by("invoice__due_date", "invoice_id", "kind", "id")
    )
    for attachment in attachments:
        with attachment.file.open("rb") as handle:
            name = f"invoices/{attachment.invoice.number}-{attachment.pk}.{attachment.kind}"
            files.append((name, handle.read()))
    files.append(("messages.json", _json(messages)))
    for key in ("calls", "promises", "disputes", "payments"):
        files.append((f"{key}.json", _json(followup[key])))
    files.append(("cfdi-delivery.json", _json(evidence["delivery"])))
    if evidence["dte"]:
        files.append(("dte-acceptance.json", _json(evidence["dte"])))
    files.append(("timeline-proof.json", _json(evidence["proof"])))
    return files, evidence


def _json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode()


def build_dossier(case, *, as_of: dt.date) -> bytes:
    files, evidence = _files(case, as_of=as_of)
    manifest = {
        "case": case.number,
        "as_of": as_of.isoformat(),
        "cfdi_delivery": evidence["delivery_summary"],
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
