"""Applying CFDI documents (read by ``cfdi_reader``): invoices (ingreso), credit notes
(egreso) and payment complements (pago, Pagos 1.0 and 2.0).

Each file is reported on its own and never stops the batch. Within a batch invoices go
first, then credit notes, then payments, so the order of the files does not matter;
across batches a payment or credit note that names an invoice not in Cartera yet becomes
a ``PendingAllocation`` (``cartera.imports.pending``), applied when that invoice arrives.
"""

import hashlib
import os

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext_lazy

from cartera.customers.bulk import create_customers, update_customers
from cartera.customers.models import Customer
from cartera.invoices.bulk import create_invoices
from cartera.invoices.choices import AttachmentKind, InvoiceStatus
from cartera.invoices.models import CreditNote, Invoice, InvoiceAttachment, attachment_path
from cartera.invoices.services import create_credit_note, due_after_terms
from cartera.lib.identifiers import IdentifierError, normalize_tax_id
from cartera.lib.money import SUPPORTED_CURRENCIES
from cartera.payments.choices import PaymentMethod, PaymentSource
from cartera.payments.services import allocate_payment, apply_credit_note, record_payment
from cartera.timeline.choices import ActivityKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import new_activity, record_activities

from .batches import create_batch, finish, mark_running, progress_saver, record_cfdi_batch_activity
from .cfdi_payments import FORMA_TO_METHOD, PaymentComplements
from .cfdi_reader import CfdiProblem, SourceProblem, iter_sources, parse_cfdi
from .cfdi_substitution import substitute_invoices
from .choices import ImportKind
from .models import ImportBatch, PendingAllocation
from .pending import resolve_pending
from .problem_text import gettext as _
from .rows import Outcome, Problem
from .selectors import settings_for

PROGRESS_EVERY = 500
CUSTOMER_DATA = ("fiscal_postal_code", "tax_regime", "legal_name")


KINDS = {"I": "invoice", "E": "credit_note", "P": "payment", "T": "transfer", "N": "payroll"}


def file_result(name: str, *, uuid="", type_="", status="rejected", message="") -> dict:
    """One line of the per-file report (``cartera import cfdi --json`` → ``files``)."""
    return {
        "file": name,
        "status": status,
        "uuid": uuid,
        "kind": KINDS.get(type_, type_.lower()),
        "message": message,
    }


class CfdiImport:
    def __init__(self, *, batch: ImportBatch, progress=None):
        self.batch = batch
        self.organization = batch.organization
        self.actor = batch.created_by
        self.outcome = Outcome()
        self.progress = progress or (lambda done, total: None)
        self.files: list[dict] = []
        self.results: dict[int, dict] = {}  # id(doc) → its line in ``files``

    def problem(self, doc_or_name, message, severity="error"):
        name = doc_or_name if isinstance(doc_or_name, str) else doc_or_name.name
        self.outcome.problems.append(
            Problem(None, "", "", message, severity=severity, file_name=name)
        )
        if not isinstance(doc_or_name, str):
            result = self.results[id(doc_or_name)]
            result["message"] = "; ".join(filter(None, [result["message"], message]))
            if severity == "error":
                result["status"] = "rejected"

    def mark(self, doc, status: str) -> None:
        """A file's outcome, unless a problem already rejected it."""
        result = self.results[id(doc)]
        if result["status"] != "rejected":
            result["status"] = status

    def activity(self, **fields):
        return new_activity(organization=self.organization, actor=self.actor, **fields)

    def run(self, sources) -> Outcome:
        docs = self._parse(list(sources))
        self.pue_paid = settings_for(self.organization).pue_paid_at_issue
        with transaction.atomic():
            self.customers = self._customers(docs)
            self._invoices([d for d in docs if d.type == "I"])
            for doc in [d for d in docs if d.type == "E"]:
                self.guarded(doc, self._credit_note)
            complements = PaymentComplements(self)
            for doc in [d for d in docs if d.type == "P"]:
                self.guarded(doc, complements.apply)
            for doc in [d for d in docs if d.type not in ("I", "E", "P")]:
                self.problem(
                    doc,
                    _(
                        "Comprobante de tipo %(t)s (traslado o nómina): no es una cuenta por "
                        "cobrar; no se importa."
                    )
                    % {"t": doc.type},
                    "warning",
                )
                self.results[id(doc)]["status"] = "rejected"
                self.outcome.skipped += 1
            record_cfdi_batch_activity(self.batch, self.outcome)
        return self.outcome

    def read(self, name: str, data: bytes | None):
        """One file's document, or ``CfdiProblem`` (a sibling import reads another kind)."""
        return parse_cfdi(name, data, org_rfc=self.org_rfc)

    def result_kind(self, doc) -> str:
        return doc.type

    def repeated(self) -> str:
        return _("UUID repetido en esta carga; se tomó una vez.")

    def _parse(self, sources) -> list:
        self.org_rfc = (self.organization.tax_id or "").upper()
        docs, seen = [], set()
        for done, (name, data) in enumerate(sources, start=1):
            self.outcome.total_rows += 1
            if isinstance(data, SourceProblem):  # not read: too large
                self._unreadable(name, str(data))
                continue
            try:
                doc = self.read(name, data)
            except CfdiProblem as exc:
                self._unreadable(name, exc.message, exc.severity)
                continue
            except Exception as exc:  # whatever satcfdi trips on: this file only
                self._unreadable(name, _("CFDI ilegible: %(e)s") % {"e": str(exc)[:200]})
                continue
            kind = self.result_kind(doc)
            result = file_result(name, uuid=doc.uuid, type_=kind, status="imported")
            self.files.append(result)
            self.results[id(doc)] = result
            if (kind, doc.uuid) in seen:
                self.outcome.unchanged += 1
                result["status"] = "unchanged"
                self.problem(doc, self.repeated(), "warning")
                continue
            seen.add((kind, doc.uuid))
            docs.append(doc)
            if done % PROGRESS_EVERY == 0:
                self.progress(done, len(sources))
        return docs

    def _unreadable(self, name, message, severity="error") -> None:
        self.problem(name, message, severity)
        self.files.append(file_result(name, message=message))
        if severity == "warning":
            self.outcome.skipped += 1

    def guarded(self, doc, handler):
        """Run one file's writes in a savepoint: a refusal undoes that file only."""
        counts = (self.outcome.created, self.outcome.updated, self.outcome.unchanged)
        problems = len(self.outcome.problems)
        result = self.results[id(doc)]
        before = dict(result)
        try:
            with transaction.atomic():
                handler(doc)
        except Exception as exc:  # a ledger rule refused it: report, keep going
            self.outcome.created, self.outcome.updated, self.outcome.unchanged = counts
            del self.outcome.problems[problems:]  # its warnings described undone writes
            result.update(before)
            if isinstance(exc, CfdiProblem):
                self.problem(doc, exc.message, exc.severity)
            else:
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
        new_docs = [(rfc, doc) for rfc, doc in wanted.items() if rfc not in existing]
        created = create_customers(
            organization=org,
            rows=[_customer_values(rfc, doc, taken_ext) for rfc, doc in new_docs],
        )
        existing.update((rfc, c) for (rfc, _doc), c in zip(new_docs, created, strict=True))
        self._update_customers(wanted, existing, created)
        record_activities(
            [
                self.activity(
                    customer=c,
                    kind=ActivityKind.CUSTOMER_CREATED,
                    summary=sentence(
                        gettext_lazy("Cliente %(name)s creado desde un CFDI"), name=c.name
                    ),
                    data={"tax_id": c.tax_id, "batch_id": self.batch.pk},
                )
                for c in created
            ]
        )
        return existing

    def _update_customers(self, wanted, existing, created) -> None:
        """An invoice's receptor data (postal code, regime, legal name) refreshes ours."""
        new_pks = {c.pk for c in created}
        changes = []
        for rfc, doc in wanted.items():
            customer = existing[rfc]
            if doc.type != "I" or customer.pk in new_pks:
                continue
            fresh = {
                "fiscal_postal_code": doc.postal_code[:10],
                "tax_regime": doc.regime[:8],
                "legal_name": doc.receptor_name[:300],
            }
            values = {k: v if v else getattr(customer, k) for k, v in fresh.items()}
            if any(getattr(customer, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(customer, k, v)
                changes.append((customer.pk, values))
        update_customers(organization=self.organization, changes=changes, fields=CUSTOMER_DATA)

    # invoices -------------------------------------------------------------------------
    def _invoices(self, docs):
        org = self.organization
        uuids = [d.uuid for d in docs]
        known = set(
            Invoice.objects.filter(organization=org, fiscal_uuid__in=uuids).values_list(
                "fiscal_uuid", flat=True
            )
        )
        taken_ext = set(
            Invoice.objects.filter(organization=org, external_id__in=uuids).values_list(
                "external_id", flat=True
            )
        )
        kept = [doc for doc in docs if self._invoice_wanted(doc, known, taken_ext)]
        invoices = create_invoices(
            organization=org, rows=[self._invoice_values(doc) for doc in kept]
        )
        self._attach_xml(kept, invoices)
        self.outcome.created += len(invoices)
        self._summarize_invoices(invoices)
        self.outcome.problems.extend(
            resolve_pending(
                organization=org, uuids=[i.fiscal_uuid for i in invoices], actor=self.actor
            )
        )
        for doc, invoice in zip(kept, invoices, strict=True):
            if doc.replaces:
                self.guarded(doc, lambda d, inv=invoice: substitute_invoices(self, d, inv))
        if self.pue_paid:
            for doc, invoice in zip(kept, invoices, strict=True):
                if invoice.payment_method == "PUE" and invoice.total > 0:
                    self.guarded(doc, lambda d, inv=invoice: self._pue_payment(d, inv))

    def _invoice_wanted(self, doc, known, taken_ext) -> bool:
        if doc.uuid in known:
            self.outcome.unchanged += 1
            self.mark(doc, "unchanged")
            return False
        if doc.currency not in SUPPORTED_CURRENCIES:
            self.problem(doc, _("Moneda %(c)s no soportada.") % {"c": doc.currency})
            return False
        if doc.total < 0:
            self.problem(doc, _("El total no puede ser negativo."))
            return False
        if doc.uuid in taken_ext:
            self.problem(doc, _("Ya existe una factura con la clave %(k)s.") % {"k": doc.uuid})
            return False
        return True

    def _invoice_values(self, doc) -> dict:
        customer = self.customers[doc.receptor_rfc]
        return {
            "customer": customer,
            "external_id": doc.uuid,
            "number": doc.number[:64],
            "fiscal_uuid": doc.uuid,
            "issue_date": doc.date,
            "due_date": due_after_terms(
                doc.date,
                customer.payment_terms_days,
                self.organization.default_payment_terms_days,
            ),
            "currency": doc.currency,
            "exchange_rate": doc.exchange_rate,
            "total": doc.total,
            "payment_method": doc.method if doc.method in ("PUE", "PPD") else "",
            "payment_form": doc.form[:2],
        }

    def _attach_xml(self, docs, invoices) -> None:
        attachments = []
        for doc, invoice in zip(docs, invoices, strict=True):
            attachment = InvoiceAttachment(
                organization=self.organization,
                invoice=invoice,
                kind=AttachmentKind.XML,
                original_name=os.path.basename(doc.name)[:255],
                sha256=hashlib.sha256(doc.data).hexdigest(),
            )
            attachment.file.name = default_storage.save(
                attachment_path(attachment, f"{doc.uuid}.xml"), ContentFile(doc.data)
            )
            attachments.append(attachment)
        InvoiceAttachment.objects.bulk_create(attachments, batch_size=2000)

    def _summarize_invoices(self, invoices) -> None:
        per_customer = {}
        for invoice in invoices:
            per_customer[invoice.customer_id] = per_customer.get(invoice.customer_id, 0) + 1
        record_activities(
            [
                self.activity(
                    customer_id=customer_id,
                    kind=ActivityKind.IMPORT,
                    summary=sentence(
                        gettext_lazy("Importación de CFDI: %(n)s factura(s) nueva(s)"), n=count
                    ),
                    data={"batch_id": self.batch.pk, "created": count},
                )
                for customer_id, count in per_customer.items()
            ]
        )

    def _pue_payment(self, doc, invoice):
        payment = record_payment(
            customer=invoice.customer,
            actor=self.actor,
            date=doc.date,
            amount=invoice.total,
            currency=invoice.currency,
            method=FORMA_TO_METHOD.get(doc.form, PaymentMethod.OTHER),
            reference=_("PUE %(n)s") % {"n": invoice.number},
            external_id=f"PUE-{doc.uuid}"[:64],
            source=PaymentSource.CFDI,
        )
        allocate_payment(payment=payment, invoice=invoice, amount=invoice.total, actor=self.actor)

    # credit notes ---------------------------------------------------------------------
    def _credit_note(self, doc):
        org = self.organization
        if CreditNote.objects.filter(organization=org, fiscal_uuid=doc.uuid).exists():
            self.outcome.unchanged += 1
            self.mark(doc, "unchanged")
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
            self._apply_note(doc, note, uuid)

    def _apply_note(self, doc, note, uuid) -> None:
        invoice = Invoice.objects.filter(organization=self.organization, fiscal_uuid=uuid).first()
        if invoice is None:
            PendingAllocation.objects.create(
                organization=self.organization,
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
            return
        if invoice.customer_id != note.customer_id:
            self.problem(
                doc,
                _(
                    "La nota de crédito se registró para %(note)s, pero la factura relacionada "
                    "%(n)s es de otro cliente (%(other)s); no se aplicó: revísela."
                )
                % {"note": note.customer.name, "n": invoice.number, "other": invoice.customer.name},
                "warning",
            )
            return
        amount = min(note.unapplied, invoice.balance)
        if amount > 0 and invoice.status == InvoiceStatus.OPEN:
            apply_credit_note(credit_note=note, invoice=invoice, amount=amount, actor=self.actor)
        elif amount <= 0 or invoice.status != InvoiceStatus.OPEN:
            self.problem(
                doc,
                _("La factura relacionada %(n)s no tiene saldo abierto; la nota queda por aplicar.")
                % {"n": invoice.number},
                "warning",
            )


def _customer_values(rfc: str, doc, taken_ext) -> dict:
    try:
        tax_id = normalize_tax_id(rfc, "MX")
    except IdentifierError:
        tax_id = rfc
    return {
        "external_id": rfc if rfc not in taken_ext else f"RFC-{rfc}"[:64],
        "name": doc.receptor_name[:200],
        "legal_name": doc.receptor_name[:300],
        "tax_id": tax_id,
        "country": "MX",
        "fiscal_postal_code": doc.postal_code[:10],
        "tax_regime": doc.regime[:8],
    }


def run_cfdi_import(*, batch: ImportBatch, sources, progress=None) -> ImportBatch:
    """Run an import to the end: the batch finishes (done or with errors) with one result
    per file, whatever a file contains."""
    mark_running(batch)
    sources = list(sources)
    run = CfdiImport(batch=batch, progress=progress or progress_saver(batch))
    try:
        outcome = run.run(sources)
    except Exception as exc:  # nothing was written (one transaction): say so per file
        outcome, run.files = nothing_imported(sources, exc)
    batch.file_results = run.files
    return finish(batch, outcome, written=True)


def nothing_imported(sources, exc) -> tuple[Outcome, list[dict]]:
    message = _("No se importó ningún archivo de esta carga: %(e)s") % {"e": str(exc)[:300]}
    outcome = Outcome(total_rows=len(sources))
    outcome.problems.append(Problem(None, "", "", message))
    return outcome, [file_result(name, message=message) for name, _data in sources]


def import_cfdi(*, organization, actor, paths, progress=None) -> ImportBatch:
    names = ", ".join(os.path.basename(str(p).rstrip("/")) for p in paths)
    batch = create_batch(
        organization=organization, actor=actor, kind=ImportKind.CFDI, file_name=names or "cfdi"
    )
    return run_cfdi_import(batch=batch, sources=iter_sources(paths), progress=progress)
