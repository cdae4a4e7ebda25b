"""Mexican CFDI XML (3.3 and 4.0): invoices (ingreso), credit notes (egreso) and payment
complements (pago, Pagos 1.0 and 2.0), parsed with satcfdi.

Files come one by one, in folders or in zips (nested too). Each file is reported on its
own and never stops the batch. Within a batch invoices go first, then credit notes,
then payments, so the order of the files does not matter; across batches a payment or
credit note that names an invoice not in Cartera yet becomes a ``PendingAllocation``,
applied the moment that invoice is imported.
"""

import datetime as dt
import io
import os
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from cartera.customers.models import Customer
from cartera.invoices.choices import AttachmentKind, InvoiceStatus
from cartera.invoices.models import CreditNote, Invoice, InvoiceAttachment, attachment_path
from cartera.lib.identifiers import IdentifierError, normalize_tax_id
from cartera.lib.money import SUPPORTED_CURRENCIES, round_money
from cartera.payments.choices import PaymentMethod, PaymentSource
from cartera.payments.models import Payment
from cartera.timeline.choices import ActivityKind, ActorKind
from cartera.timeline.models import Activity
from cartera.timeline.services import record_activity

from .choices import BatchStatus
from .models import ImportBatch, PendingAllocation
from .rows import Outcome, Problem

COMPROBANTE_TAGS = {
    "{http://www.sat.gob.mx/cfd/4}Comprobante",
    "{http://www.sat.gob.mx/cfd/3}Comprobante",
}
FORMA_TO_METHOD = {
    "01": PaymentMethod.CASH,
    "02": PaymentMethod.CHECK,
    "03": PaymentMethod.TRANSFER,
    "04": PaymentMethod.CARD,
    "28": PaymentMethod.CARD,
}
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True
)
MAX_ZIP_DEPTH = 3


def _code(value) -> str:
    return str(getattr(value, "code", value) or "")


# ------------------------------------------------------------------------------ sources


def _walk_zip(name: str, data: bytes, depth=0):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        yield name, None
        return
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir() or os.path.basename(info.filename).startswith((".", "__MACOSX")):
                continue
            inner = f"{name}/{info.filename}"
            lower = info.filename.lower()
            if lower.endswith(".zip") and depth < MAX_ZIP_DEPTH:
                yield from _walk_zip(inner, archive.read(info), depth + 1)
            elif lower.endswith(".xml"):
                yield inner, archive.read(info)


def iter_sources(paths):
    """Yield (display name, bytes) for every XML in the given files, folders and zips.
    A zip that cannot be opened yields (name, None)."""
    for path in paths:
        path = str(path)
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for file_name in sorted(files):
                    full = os.path.join(root, file_name)
                    if file_name.lower().endswith((".xml", ".zip")):
                        yield from iter_sources([full])
        elif path.lower().endswith(".zip"):
            with open(path, "rb") as handle:
                yield from _walk_zip(os.path.basename(path), handle.read())
        else:
            with open(path, "rb") as handle:
                yield os.path.basename(path), handle.read()


def sources_from_upload(data: bytes):
    """A web upload is stored as one zip of the uploaded files."""
    return list(_walk_zip("", data))


# ------------------------------------------------------------------------------ parsing


@dataclass
class Doc:
    name: str
    data: bytes
    type: str
    uuid: str
    version: str
    receptor_rfc: str
    receptor_name: str
    postal_code: str
    regime: str
    series: str
    folio: str
    date: dt.date
    total: Decimal
    currency: str
    exchange_rate: Decimal | None
    method: str
    form: str
    related: list[str] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)

    @property
    def number(self) -> str:
        return f"{self.series}{self.folio}" if self.folio else self.uuid[:8]


class CfdiProblem(Exception):
    def __init__(self, message, severity="error"):
        super().__init__(message)
        self.message, self.severity = message, severity


def parse_cfdi(name: str, data: bytes | None, *, org_rfc: str) -> Doc:
    from satcfdi.cfdi import CFDI

    if data is None:
        raise CfdiProblem(_("El archivo zip está dañado."))
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise CfdiProblem(_("XML mal formado: %(e)s") % {"e": str(exc)[:200]}) from None
    if root.tag not in COMPROBANTE_TAGS:
        raise CfdiProblem(
            _("No es un CFDI (elemento raíz %(tag)s).") % {"tag": etree.QName(root).localname}
        )
    try:
        cfdi = CFDI.from_xml(root)
    except Exception as exc:
        raise CfdiProblem(_("CFDI ilegible: %(e)s") % {"e": str(exc)[:200]}) from None
    emisor = (cfdi.get("Emisor") or {}).get("Rfc", "").strip().upper()
    receptor = cfdi.get("Receptor") or {}
    receptor_rfc = receptor.get("Rfc", "").strip().upper()
    if emisor != org_rfc:
        if receptor_rfc == org_rfc:
            raise CfdiProblem(
                _(
                    "CFDI recibido por la organización (es la receptora); no es una cuenta por cobrar."
                ),
                severity="warning",
            )
        raise CfdiProblem(_("El emisor %(rfc)s no es la organización.") % {"rfc": emisor})
    uuid = ((cfdi.get("Complemento") or {}).get("TimbreFiscalDigital") or {}).get("UUID", "")
    if not uuid:
        raise CfdiProblem(_("El CFDI no está timbrado (no tiene UUID)."))
    type_ = _code(cfdi.get("TipoDeComprobante"))
    related = []
    for group in cfdi.get("CfdiRelacionados") or []:
        related.extend(u.upper() for u in group.get("CfdiRelacionado") or [])
    payments = []
    pagos = (cfdi.get("Complemento") or {}).get("Pagos")
    if pagos:
        for pago in pagos.get("Pago") or []:
            payments.append(
                {
                    "date": pago["FechaPago"].date(),
                    "form": _code(pago.get("FormaDePagoP")),
                    "currency": _code(pago.get("MonedaP")),
                    "amount": pago.get("Monto"),
                    "reference": pago.get("NumOperacion") or "",
                    "documents": [
                        {
                            "uuid": d["IdDocumento"].upper(),
                            "currency": _code(d.get("MonedaDR")),
                            "paid": d.get("ImpPagado"),
                            "before": d.get("ImpSaldoAnt"),
                            "after": d.get("ImpSaldoInsoluto"),
                            "installment": d.get("NumParcialidad"),
                        }
                        for d in pago.get("DoctoRelacionado") or []
                    ],
                }
            )
    return Doc(
        name=name,
        data=data,
        type=type_,
        uuid=uuid.upper(),
        version=cfdi.get("Version", ""),
        receptor_rfc=receptor_rfc,
        receptor_name=receptor.get("Nombre", "") or receptor_rfc,
        postal_code=receptor.get("DomicilioFiscalReceptor", "") or "",
        regime=_code(receptor.get("RegimenFiscalReceptor")),
        series=cfdi.get("Serie", "") or "",
        folio=cfdi.get("Folio", "") or "",
        date=cfdi["Fecha"].date(),
        total=cfdi.get("Total") or Decimal(0),
        currency=_code(cfdi.get("Moneda")),
        exchange_rate=cfdi.get("TipoCambio"),
        method=_code(cfdi.get("MetodoPago")),
        form=_code(cfdi.get("FormaPago")),
        related=related,
        payments=payments,
    )


# ------------------------------------------------------------------------------ import


class CfdiImport:
    def __init__(self, *, batch: ImportBatch, progress=None):
        self.batch = batch
        self.organization = batch.organization
        self.actor = batch.created_by
        self.outcome = Outcome()
        self.progress = progress or (lambda done, total: None)

    def problem(self, doc_or_name, message, severity="error"):
        name = doc_or_name if isinstance(doc_or_name, str) else doc_or_name.name
        self.outcome.problems.append(
            Problem(None, "", "", message, severity=severity, file_name=name)
        )

    def run(self, sources) -> Outcome:
        from .services import settings_for

        org_rfc = (self.organization.tax_id or "").upper()
        docs, seen = [], set()
        sources = list(sources)
        for done, (name, data) in enumerate(sources, start=1):
            self.outcome.total_rows += 1
            try:
                doc = parse_cfdi(name, data, org_rfc=org_rfc)
            except CfdiProblem as exc:
                self.problem(name, exc.message, exc.severity)
                if exc.severity == "warning":
                    self.outcome.skipped += 1
                continue
            if doc.uuid in seen:
                self.outcome.unchanged += 1
                self.problem(doc, _("UUID repetido en esta carga; se tomó una vez."), "warning")
                continue
            seen.add(doc.uuid)
            docs.append(doc)
            if done % 500 == 0:
                self.progress(done, len(sources))
        self.pue_paid = settings_for(self.organization).pue_paid_at_issue
        with transaction.atomic():
            self.customers = self._customers(docs)
            self._invoices([d for d in docs if d.type == "I"])
            for doc in [d for d in docs if d.type == "E"]:
                self._guarded(doc, self._credit_note)
            for doc in [d for d in docs if d.type == "P"]:
                self._guarded(doc, self._payment)
            for doc in [d for d in docs if d.type not in ("I", "E", "P")]:
                self.problem(
                    doc, _("Tipo de comprobante %(t)s no se importa.") % {"t": doc.type}, "warning"
                )
                self.outcome.skipped += 1
            record_activity(
                organization=self.organization,
                actor=self.actor,
                kind=ActivityKind.IMPORT,
                summary=_("Importación de CFDI: %(c)s nuevos, %(u)s ya importados, %(e)s con error")
                % {
                    "c": self.outcome.created,
                    "u": self.outcome.unchanged,
                    "e": len(self.outcome.errors),
                },
                data={
                    "batch_id": self.batch.pk,
                    "kind": "cfdi",
                    "created": self.outcome.created,
                    "unchanged": self.outcome.unchanged,
                    "errors": len(self.outcome.errors),
                },
            )
        return self.outcome

    def _guarded(self, doc, handler):
        try:
            with transaction.atomic():
                handler(doc)
        except CfdiProblem as exc:
            self.problem(doc, exc.message, exc.severity)
        except Exception as exc:  # a ledger rule refused it: report, keep going
            messages = getattr(exc, "messages", None)
            self.problem(doc, "; ".join(messages) if messages else str(exc))

    # customers ------------------------------------------------------------------------
    def _customers(self, docs) -> dict[str, Customer]:
        org = self.organization
        wanted = {}
        for doc in sorted(docs, key=lambda d: d.type != "I"):  # invoices carry the best data
            wanted.setdefault(doc.receptor_rfc, doc)
        existing = {
            c.tax_id: c for c in Customer.objects.filter(organization=org, tax_id__in=list(wanted))
        }
        taken_ext = set(
            Customer.objects.filter(organization=org, external_id__in=list(wanted)).values_list(
                "external_id", flat=True
            )
        )
        new, updates = [], []
        for rfc, doc in wanted.items():
            customer = existing.get(rfc)
            if customer is None:
                try:
                    tax_id = normalize_tax_id(rfc, "MX")
                except IdentifierError:
                    tax_id = rfc
                customer = Customer(
                    organization=org,
                    external_id=rfc if rfc not in taken_ext else f"RFC-{rfc}"[:64],
                    name=doc.receptor_name[:200],
                    legal_name=doc.receptor_name[:300],
                    tax_id=tax_id,
                    country="MX",
                    fiscal_postal_code=doc.postal_code[:10],
                    tax_regime=doc.regime[:8],
                )
                new.append(customer)
                existing[rfc] = customer
            elif doc.type == "I":
                changed = False
                for attr, value in (
                    ("fiscal_postal_code", doc.postal_code[:10]),
                    ("tax_regime", doc.regime[:8]),
                    ("legal_name", doc.receptor_name[:300]),
                ):
                    if value and getattr(customer, attr) != value:
                        setattr(customer, attr, value)
                        changed = True
                if changed:
                    updates.append(customer)
        Customer.objects.bulk_create(new, batch_size=2000)
        if updates:
            Customer.objects.bulk_update(
                updates, ["fiscal_postal_code", "tax_regime", "legal_name"], batch_size=500
            )
        actor_kind = ActorKind.USER if self.actor else ActorKind.SYSTEM
        Activity.objects.bulk_create(
            [
                Activity(
                    organization=org,
                    customer=c,
                    actor_kind=actor_kind,
                    actor_user=self.actor,
                    kind=ActivityKind.CUSTOMER_CREATED,
                    summary=(_("Cliente %(name)s creado desde un CFDI") % {"name": c.name})[:500],
                    data={"tax_id": c.tax_id, "batch_id": self.batch.pk},
                )
                for c in new
            ],
            batch_size=2000,
        )
        return existing

    # invoices -------------------------------------------------------------------------
    def _invoices(self, docs):
        org = self.organization
        known = set(
            Invoice.objects.filter(
                organization=org, fiscal_uuid__in=[d.uuid for d in docs]
            ).values_list("fiscal_uuid", flat=True)
        )
        taken_ext = set(
            Invoice.objects.filter(
                organization=org, external_id__in=[d.uuid for d in docs]
            ).values_list("external_id", flat=True)
        )
        objs, kept = [], []
        per_customer = {}
        for doc in docs:
            if doc.uuid in known:
                self.outcome.unchanged += 1
                continue
            if doc.currency not in SUPPORTED_CURRENCIES:
                self.problem(doc, _("Moneda %(c)s no soportada.") % {"c": doc.currency})
                continue
            if doc.total < 0:
                self.problem(doc, _("El total no puede ser negativo."))
                continue
            if doc.uuid in taken_ext:
                self.problem(doc, _("Ya existe una factura con la clave %(k)s.") % {"k": doc.uuid})
                continue
            customer = self.customers[doc.receptor_rfc]
            terms = customer.payment_terms_days
            if terms is None:
                terms = org.default_payment_terms_days
            total = round_money(doc.total, doc.currency)
            objs.append(
                Invoice(
                    organization=org,
                    customer=customer,
                    external_id=doc.uuid,
                    number=doc.number[:64],
                    fiscal_uuid=doc.uuid,
                    issue_date=doc.date,
                    due_date=doc.date + dt.timedelta(days=terms),
                    currency=doc.currency,
                    exchange_rate=doc.exchange_rate,
                    total=total,
                    balance=total,
                    status=InvoiceStatus.PAID if total == 0 else InvoiceStatus.OPEN,
                    payment_method=doc.method if doc.method in ("PUE", "PPD") else "",
                    payment_form=doc.form[:2],
                )
            )
            kept.append(doc)
            per_customer[customer.pk] = per_customer.get(customer.pk, 0) + 1
        Invoice.objects.bulk_create(objs, batch_size=2000)
        attachments = []
        for doc, invoice in zip(kept, objs, strict=True):
            attachment = InvoiceAttachment(
                organization=org,
                invoice=invoice,
                kind=AttachmentKind.XML,
                original_name=os.path.basename(doc.name)[:255],
                sha256=_sha256(doc.data),
            )
            attachment.file.name = default_storage.save(
                attachment_path(attachment, f"{doc.uuid}.xml"), ContentFile(doc.data)
            )
            attachments.append(attachment)
        InvoiceAttachment.objects.bulk_create(attachments, batch_size=2000)
        self.outcome.created += len(objs)
        actor_kind = ActorKind.USER if self.actor else ActorKind.SYSTEM
        Activity.objects.bulk_create(
            [
                Activity(
                    organization=org,
                    customer_id=customer_id,
                    actor_kind=actor_kind,
                    actor_user=self.actor,
                    kind=ActivityKind.IMPORT,
                    summary=_("Importación de CFDI: %(n)s factura(s) nueva(s)") % {"n": count},
                    data={"batch_id": self.batch.pk, "created": count},
                )
                for customer_id, count in per_customer.items()
            ],
            batch_size=2000,
        )
        for problem in resolve_pending(
            organization=org, uuids=[o.fiscal_uuid for o in objs], actor=self.actor
        ):
            self.outcome.problems.append(problem)
        if self.pue_paid:
            for doc, invoice in zip(kept, objs, strict=True):
                if invoice.payment_method == "PUE" and invoice.total > 0:
                    self._guarded(doc, lambda d, inv=invoice: self._pue_payment(d, inv))

    def _pue_payment(self, doc, invoice):
        from cartera.payments.services import allocate_payment, record_payment

        payment = record_payment(
            customer=invoice.customer,
            actor=self.actor,
            date=doc.date,
            amount=invoice.total,
            currency=invoice.currency,
            method=FORMA_TO_METHOD.get(doc.form, PaymentMethod.OTHER),
            reference=_("PUE %(n)s") % {"n": invoice.number},
            external_id=f"PUE-{doc.uuid}"[:64],
            source=PaymentSource.IMPORT,
        )
        allocate_payment(payment=payment, invoice=invoice, amount=invoice.total, actor=self.actor)

    # credit notes ---------------------------------------------------------------------
    def _credit_note(self, doc):
        from cartera.invoices.services import create_credit_note
        from cartera.payments.services import apply_credit_note

        org = self.organization
        if CreditNote.objects.filter(organization=org, fiscal_uuid=doc.uuid).exists():
            self.outcome.unchanged += 1
            return
        if doc.currency not in SUPPORTED_CURRENCIES:
            raise CfdiProblem(_("Moneda %(c)s no soportada.") % {"c": doc.currency})
        note = create_credit_note(
            customer=self.customers[doc.receptor_rfc],
            actor=self.actor,
            external_id=doc.uuid,
            number=doc.number,
            issue_date=doc.date,
            currency=doc.currency,
            total=doc.total,
            fiscal_uuid=doc.uuid,
            reason=_("CFDI de egreso"),
        )
        self.outcome.created += 1
        for uuid in doc.related:
            note.refresh_from_db()
            if note.unapplied <= 0:
                break
            invoice = Invoice.objects.filter(organization=org, fiscal_uuid=uuid).first()
            if invoice is None:
                PendingAllocation.objects.create(
                    organization=org,
                    batch=self.batch,
                    credit_note=note,
                    invoice_uuid=uuid,
                    currency=note.currency,
                )
                self.problem(
                    doc,
                    _(
                        "La factura relacionada %(uuid)s aún no está en Cartera; la nota se "
                        "aplicará cuando se importe."
                    )
                    % {"uuid": uuid},
                    "warning",
                )
                continue
            amount = min(note.unapplied, invoice.balance)
            if amount > 0 and invoice.status == InvoiceStatus.OPEN:
                apply_credit_note(
                    credit_note=note, invoice=invoice, amount=amount, actor=self.actor
                )

    # payment complements --------------------------------------------------------------
    def _payment(self, doc):
        from cartera.payments.complements import satisfy_by_import
        from cartera.payments.services import allocate_payment, record_payment

        org = self.organization
        if not doc.payments:
            raise CfdiProblem(_("El CFDI de pago no tiene complemento de pagos."))
        customer = self.customers[doc.receptor_rfc]
        created_any = False
        for index, pago in enumerate(doc.payments, start=1):
            external_id = doc.uuid if len(doc.payments) == 1 else f"{doc.uuid}-{index}"
            if Payment.objects.filter(organization=org, external_id=external_id).exists():
                continue
            # issue 5: the REP of a payment Cartera already has satisfies its obligation
            complement, satisfied = satisfy_by_import(
                organization=org,
                customer=customer,
                fiscal_uuid=doc.uuid,
                date=pago["date"],
                amount=pago["amount"] or Decimal(0),
                currency=pago["currency"],
                documents=pago["documents"],
                actor=self.actor,
            )
            if complement is not None:
                self.outcome.updated += satisfied
                continue
            if pago["currency"] not in SUPPORTED_CURRENCIES:
                raise CfdiProblem(_("Moneda %(c)s no soportada.") % {"c": pago["currency"]})
            payment = record_payment(
                customer=customer,
                actor=self.actor,
                date=pago["date"],
                amount=pago["amount"],
                currency=pago["currency"],
                method=FORMA_TO_METHOD.get(pago["form"], PaymentMethod.OTHER),
                reference=(pago["reference"] or doc.number)[:120],
                external_id=external_id,
                source=PaymentSource.IMPORT,
            )
            created_any = True
            for document in pago["documents"]:
                if document["currency"] != payment.currency:
                    self.problem(
                        doc,
                        _(
                            "El documento %(uuid)s está en %(dr)s y el pago en %(p)s; el importe "
                            "queda como saldo a favor."
                        )
                        % {
                            "uuid": document["uuid"],
                            "dr": document["currency"],
                            "p": payment.currency,
                        },
                        "warning",
                    )
                    continue
                paid = round_money(document["paid"] or Decimal(0), payment.currency)
                invoice = Invoice.objects.filter(
                    organization=org, fiscal_uuid=document["uuid"]
                ).first()
                if invoice is None:
                    PendingAllocation.objects.create(
                        organization=org,
                        batch=self.batch,
                        payment=payment,
                        invoice_uuid=document["uuid"],
                        amount=paid,
                        currency=payment.currency,
                        previous_balance=document["before"],
                        remaining_balance=document["after"],
                        installment=document["installment"],
                    )
                    self.problem(
                        doc,
                        _(
                            "La factura %(uuid)s aún no está en Cartera; el pago queda en espera "
                            "y se aplicará cuando se importe."
                        )
                        % {"uuid": document["uuid"]},
                        "warning",
                    )
                    continue
                for message in _apply_document(
                    payment,
                    invoice,
                    paid,
                    document["before"],
                    document["after"],
                    self.actor,
                    allocate_payment,
                ):
                    self.problem(doc, message, "warning")
        if created_any:
            self.outcome.created += 1
        else:
            self.outcome.unchanged += 1


def _apply_document(payment, invoice, paid, before, after, actor, allocate_payment) -> list[str]:
    """Allocate what a DoctoRelacionado says was paid; return disagreements as messages."""
    messages = []
    invoice.refresh_from_db()
    payment.refresh_from_db()
    if invoice.customer_id != payment.customer_id:
        return [
            _("La factura %(n)s es de otro cliente; el pago no se aplicó.") % {"n": invoice.number}
        ]
    if before is not None and round_money(before, invoice.currency) != invoice.balance:
        messages.append(
            _("Saldo anterior según el CFDI %(cfdi)s; según Cartera %(ours)s (factura %(n)s).")
            % {"cfdi": before, "ours": invoice.balance, "n": invoice.number}
        )
    amount = min(
        paid,
        invoice.balance if invoice.status == InvoiceStatus.OPEN else Decimal(0),
        payment.unallocated,
    )
    if amount < paid:
        messages.append(
            _("Solo se pudieron aplicar %(a)s de %(p)s a la factura %(n)s; el resto queda a favor.")
            % {"a": amount, "p": paid, "n": invoice.number}
        )
    if amount > 0:
        allocate_payment(payment=payment, invoice=invoice, amount=amount, actor=actor)
        invoice.refresh_from_db()
    if after is not None and round_money(after, invoice.currency) != invoice.balance:
        messages.append(
            _("Saldo insoluto según el CFDI %(cfdi)s; según Cartera %(ours)s (factura %(n)s).")
            % {"cfdi": after, "ours": invoice.balance, "n": invoice.number}
        )
    return messages


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def resolve_pending(*, organization, uuids, actor) -> list[Problem]:
    """Apply waiting payments/credit notes to invoices that just arrived."""
    from cartera.payments.services import allocate_payment, apply_credit_note

    uuids = [u.upper() for u in uuids if u]
    problems = []
    if not uuids:
        return problems
    pending = PendingAllocation.objects.filter(
        organization=organization, resolved_at__isnull=True, invoice_uuid__in=uuids
    ).select_related("payment", "credit_note")
    for item in pending:
        invoice = Invoice.objects.get(organization=organization, fiscal_uuid=item.invoice_uuid)
        with transaction.atomic():
            if item.payment_id:
                messages = _apply_document(
                    item.payment,
                    invoice,
                    item.amount,
                    item.previous_balance,
                    item.remaining_balance,
                    actor,
                    allocate_payment,
                )
            else:
                note = item.credit_note
                note.refresh_from_db()
                messages = []
                amount = min(note.unapplied, invoice.balance)
                if note.customer_id != invoice.customer_id:
                    messages.append(_("La nota de crédito es de otro cliente; no se aplicó."))
                elif amount > 0 and invoice.status == InvoiceStatus.OPEN:
                    apply_credit_note(credit_note=note, invoice=invoice, amount=amount, actor=actor)
            item.resolved_at = timezone.now()
            item.allocation = invoice.allocations.order_by("-id").first()
            item.note = "; ".join(messages)[:300]
            item.save(update_fields=["resolved_at", "allocation", "note"])
        for message in messages:
            problems.append(Problem(None, "", invoice.fiscal_uuid, message, severity="warning"))
    return problems


def run_cfdi_import(*, batch: ImportBatch, sources, progress=None) -> ImportBatch:
    from .services import _finish, _progress_saver

    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING)
    outcome = CfdiImport(batch=batch, progress=progress or _progress_saver(batch)).run(sources)
    return _finish(batch, outcome, written=True)


def import_cfdi(*, organization, actor, paths, progress=None) -> ImportBatch:
    from .services import create_batch

    names = ", ".join(os.path.basename(str(p).rstrip("/")) for p in paths)
    batch = create_batch(
        organization=organization, actor=actor, kind="cfdi", file_name=names or "cfdi"
    )
    return run_cfdi_import(batch=batch, sources=iter_sources(paths), progress=progress)
