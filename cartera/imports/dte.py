"""Applying Chilean SII files (read by ``dte_reader`` and ``rcv``): DTE invoices (33, 34)
and debit notes (56), credit notes (61), AEC cesiones (the invoice is factored) and RCV
exports (the buyer's receipt, acceptance and claim: a claim opens a dispute).

The same pipeline as CFDI (``cfdi.CfdiImport``): one result per file, each file's writes
in a savepoint so a bad file never stops the others; invoices first, then notes, then
cesiones, then RCV files, so the order of the files in a batch does not matter. A DTE is
stored under the key ``DTE-<tipo>-<folio>`` (external key and fiscal id) and numbered
``<tipo>-<folio>``."""

import os

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy
from stdnum.cl import rut

from cartera.customers.bulk import create_customers
from cartera.customers.models import Customer
from cartera.followup.reviews import open_dispute
from cartera.invoices.acceptance import record_import_receipt
from cartera.invoices.choices import InvoiceStatus, ReceiptSource
from cartera.invoices.models import CreditNote, Invoice
from cartera.invoices.services import create_credit_note, create_invoice, update_invoice
from cartera.lib.dates import local_today
from cartera.timeline.choices import ActivityKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activities, record_activity

from .batches import create_batch, finish, mark_running, progress_saver
from .cfdi import CfdiImport, file_result, nothing_imported
from .cfdi_reader import CfdiProblem, iter_sources
from .choices import ImportKind
from .dte_reader import (
    CREDIT_NOTE,
    DEBIT_NOTE,
    FMA_PAGO_CREDIT,
    INVOICE_TYPES,
    VOIDS_REFERENCE,
    Cesion,
    Dte,
    parse_sii,
    rut_forms,
)
from .models import ImportBatch
from .pending import resolve_pending
from .problem_text import gettext as _
from .rcv import RcvFile, is_rcv, read_rcv
from .rows import Outcome, Problem

EXTENSIONS = (".xml", ".csv", ".xlsx")
CURRENCY = "CLP"
KIND_NAMES = {"33": "invoice", "34": "invoice", "56": "debit_note", "61": "credit_note"}


class DteImport(CfdiImport):
    def run(self, sources) -> Outcome:
        org = self.organization
        self.org_rut = _org_rut(org.tax_id)
        self.today = local_today(org.timezone)
        registers = [(n, d) for n, d in sources if is_rcv(n)]
        docs = self._parse([(n, d) for n, d in sources if not is_rcv(n)])
        dtes = [d for d in docs if isinstance(d, Dte)]
        with transaction.atomic():
            self.customers = self._customers(dtes)
            for doc in [d for d in dtes if d.tipo in INVOICE_TYPES] + [
                d for d in dtes if d.tipo == DEBIT_NOTE
            ]:
                self.guarded(doc, self._invoice)
            for doc in [d for d in dtes if d.tipo == CREDIT_NOTE]:
                self.guarded(doc, self._credit_note)
            for doc in [d for d in docs if isinstance(d, Cesion)]:
                self.guarded(doc, self._cesion)
            for name, data in registers:
                self._register(name, data)
            self._batch_activity()
        return self.outcome

    def read(self, name: str, data: bytes | None):
        return parse_sii(name, data, org_rut=self.org_rut)

    def result_kind(self, doc) -> str:
        return KIND_NAMES.get(doc.tipo, "") if isinstance(doc, Dte) else "assignment"

    def repeated(self) -> str:
        return _("Documento repetido en esta carga; se tomó una vez.")

    # customers ------------------------------------------------------------------------
    def _customers(self, dtes) -> dict[str, Customer]:
        """The customer of every receptor RUT (compact), created from its first DTE when
        Cartera does not know that RUT yet."""
        org = self.organization
        wanted = {}
        for doc in dtes:
            wanted.setdefault(doc.receptor_rut, doc)
        written = {form: r for r in wanted for form in rut_forms(r)}
        existing = {
            written[c.tax_id.upper()]: c
            for c in Customer.objects.filter(organization=org, tax_id__in=list(written))
        }
        new = [doc for r, doc in wanted.items() if r not in existing]
        created = create_customers(organization=org, rows=[_customer_values(d) for d in new])
        existing.update((doc.receptor_rut, c) for doc, c in zip(new, created, strict=True))
        record_activities(
            [
                self.activity(
                    customer=c,
                    kind=ActivityKind.CUSTOMER_CREATED,
                    summary=sentence(
                        gettext_lazy("Cliente %(name)s creado desde un DTE"), name=c.name
                    ),
                    data={"tax_id": c.tax_id, "batch_id": self.batch.pk},
                )
                for c in created
            ]
        )
        return existing

    # invoices and debit notes ------------------------------------------------------------
    def _invoice(self, doc: Dte) -> None:
        if Invoice.objects.filter(organization=self.organization, fiscal_uuid=doc.key).exists():
            self.outcome.unchanged += 1
            self.mark(doc, "unchanged")
            return
        invoice = create_invoice(
            customer=self.customers[doc.receptor_rut],
            actor=self.actor,
            external_id=doc.key,
            number=doc.number,
            fiscal_uuid=doc.key,
            issue_date=doc.issue_date,
            due_date=self._due_date(doc),
            currency=CURRENCY,
            total=doc.total,
            purchase_order=doc.purchase_order[:64],
        )
        self._attach_xml([doc], [invoice])
        self.outcome.created += 1
        if doc.tipo in INVOICE_TYPES:
            # the buyer's 8 days start at receipt; until the RCV says when, the import date
            record_import_receipt(invoice=invoice, actor=self.actor, received_on=self.today)
        self.outcome.problems.extend(
            resolve_pending(organization=self.organization, uuids=[doc.key], actor=self.actor)
        )

    def _due_date(self, doc: Dte):
        """FchVenc; else at issue for a cash sale (FmaPago 1) or a free one (3); else
        (credit, or no FmaPago) the customer's terms (``None``: create_invoice applies
        them). A debit note is due with the invoice it adds to."""
        if doc.due_date:
            return doc.due_date
        if doc.tipo == DEBIT_NOTE:
            referenced = self._referenced(doc)
            if referenced is not None:
                return max(referenced.due_date, doc.issue_date)
        if doc.payment_form and doc.payment_form != FMA_PAGO_CREDIT:
            return doc.issue_date
        return None

    def _referenced(self, doc: Dte) -> Invoice | None:
        keys = [r.key for r in doc.fiscal_references]
        return Invoice.objects.filter(organization=self.organization, fiscal_uuid__in=keys).first()

    # credit notes ---------------------------------------------------------------------
    def _credit_note(self, doc: Dte) -> None:
        org = self.organization
        if CreditNote.objects.filter(organization=org, fiscal_uuid=doc.key).exists():
            self.outcome.unchanged += 1
            self.mark(doc, "unchanged")
            return
        references = doc.fiscal_references
        note = create_credit_note(
            customer=self.customers[doc.receptor_rut],
            actor=self.actor,
            external_id=doc.key,
            number=doc.number,
            issue_date=doc.issue_date,
            currency=CURRENCY,
            total=doc.total,
            fiscal_uuid=doc.key,
            reason=_("Nota de crédito electrónica (DTE 61)"),
        )
        self.outcome.created += 1
        for reference in references:
            note.refresh_from_db()
            if note.unapplied <= 0:
                break
            self._apply_note(doc, note, reference.key)
            if reference.code == VOIDS_REFERENCE:
                self._check_voided(doc, reference)

    def _check_voided(self, doc: Dte, reference) -> None:
        """CodRef 1 annuls the referenced document: it must end with nothing to collect."""
        invoice = Invoice.objects.filter(
            organization=self.organization, fiscal_uuid=reference.key
        ).first()
        if invoice is not None and invoice.status == InvoiceStatus.OPEN:
            self.problem(
                doc,
                _(
                    "La nota anula la factura %(n)s (CodRef 1), pero a la factura le queda un "
                    "saldo de %(b)s: revísela."
                )
                % {"n": invoice.number, "b": invoice.balance},
                "warning",
            )

    # cesiones (AEC) ---------------------------------------------------------------------
    def _cesion(self, doc: Cesion) -> None:
        invoice = Invoice.objects.filter(
            organization=self.organization, fiscal_uuid=doc.key
        ).first()
        if invoice is None:
            raise CfdiProblem(
                _(
                    "El AEC cede el DTE %(n)s, que no está en Cartera: importe antes el DTE y "
                    "luego el AEC."
                )
                % {"n": f"{doc.tipo}-{doc.folio}"}
            )
        factor = doc.assignee_name[:200]
        if invoice.is_factored and invoice.factor_name == factor:
            self.outcome.unchanged += 1
            self.mark(doc, "unchanged")
            return
        update_invoice(invoice=invoice, actor=self.actor, is_factored=True, factor_name=factor)
        record_activity(
            organization=self.organization,
            actor=self.actor,
            invoice=invoice,
            kind=ActivityKind.INVOICE_UPDATED,
            summary=sentence(
                gettext_lazy(
                    "Factura %(n)s cedida a %(factor)s (AEC, cesión %(seq)s del %(at)s): se "
                    "cobra el factor, no el deudor"
                ),
                n=invoice.number,
                factor=factor,
                seq=doc.sequence,
                at=doc.ceded_at[:10],
            ),
            data={
                "batch_id": self.batch.pk,
                "assignee_rut": rut.format(doc.assignee_rut),
                "amount": str(doc.amount),
                "sequence": doc.sequence,
            },
        )
        self.outcome.updated += 1

    # RCV exports ----------------------------------------------------------------------
    def _register(self, name: str, data: bytes) -> None:
        self.outcome.total_rows += 1
        try:
            register = read_rcv(name, data)
        except CfdiProblem as exc:
            self._unreadable(name, exc.message)
            return
        result = file_result(name, type_="rcv", status="unchanged")
        self.files.append(result)
        for row, message in register.problems:
            self.outcome.problems.append(
                Problem(row, "", "", message, severity="error", file_name=name)
            )
        changed = sum(self._register_row(register, row) for row in register.rows)
        if changed:
            result["status"] = "imported"
        result["message"] = _("%(n)s DTE actualizados, %(e)s fila(s) con error") % {
            "n": changed,
            "e": len(register.problems),
        }

    def _register_row(self, register: RcvFile, row) -> bool:
        """Apply one RCV line; whether it changed anything."""
        if register.register == "compra" and row.counterpart_rut != self.org_rut:
            return False  # another supplier's DTE in the buyer's register
        invoice = (
            Invoice.objects.filter(organization=self.organization, fiscal_uuid=row.key)
            .select_related("customer")
            .first()
        )
        if invoice is None or (
            register.register == "venta"
            and invoice.customer.tax_id.upper() not in rut_forms(row.counterpart_rut)
        ):
            self._row_warning(
                register,
                row,
                _("El DTE %(n)s no está en Cartera.") % {"n": f"{row.tipo}-{row.folio}"},
            )
            return False
        with transaction.atomic():
            receipt, changed = record_import_receipt(
                invoice=invoice,
                actor=self.actor,
                received_on=row.received_on,
                source=ReceiptSource.SII,
                accepted_on=row.accepted_on,
                claimed_on=row.claimed_on,
            )
            if "claimed_on" in changed:
                self._claimed(register, row, invoice, receipt)
        if changed:
            self.outcome.updated += 1
        return bool(changed)

    def _claimed(self, register, row, invoice, receipt) -> None:
        """A claim within the 8 days disputes the invoice (once: the claim date is kept,
        so importing the register again opens nothing new)."""
        if receipt.claim_deadline and receipt.claimed_on > receipt.claim_deadline:
            self._row_warning(
                register,
                row,
                _("El reclamo del DTE %(n)s llegó fuera del plazo de 8 días; no abre disputa.")
                % {"n": invoice.number},
            )
            return
        try:
            with transaction.atomic():
                open_dispute(
                    invoice=invoice,
                    actor=self.actor,
                    today=self.today,
                    reason_code="other",
                    text=_("Reclamo en el SII (Ley 19.983) del %(d)s")
                    % {"d": receipt.claimed_on.strftime("%d/%m/%Y")},
                )
        except ValidationError as exc:
            self._row_warning(register, row, "; ".join(exc.messages))

    def _row_warning(self, register, row, message) -> None:
        self.outcome.problems.append(
            Problem(row.row, "", "", message, severity="warning", file_name=register.name)
        )

    def _batch_activity(self) -> None:
        record_activity(
            organization=self.organization,
            actor=self.actor,
            kind=ActivityKind.IMPORT,
            summary=sentence(
                gettext_lazy(
                    "Importación de DTE del SII: %(c)s nuevos, %(m)s actualizados, "
                    "%(u)s ya importados, %(e)s con error"
                ),
                c=self.outcome.created,
                m=self.outcome.updated,
                u=self.outcome.unchanged,
                e=len(self.outcome.errors),
            ),
            data={
                "batch_id": self.batch.pk,
                "kind": "dte",
                "created": self.outcome.created,
                "updated": self.outcome.updated,
                "unchanged": self.outcome.unchanged,
                "errors": len(self.outcome.errors),
            },
        )


def _org_rut(tax_id: str) -> str:
    try:
        return rut.validate(tax_id or "")
    except Exception:  # no RUT or not a valid one: every file says whose RUT it expected
        return ""


def _customer_values(doc: Dte) -> dict:
    name = doc.receptor_name or rut.format(doc.receptor_rut)
    return {
        "external_id": "",
        "name": name[:200],
        "legal_name": name[:300],
        "tax_id": rut.format(doc.receptor_rut),
        "country": "CL",
        "address_street": doc.street[:200],
        "address_city": doc.comuna[:120],
        "address_country": "CL",
    }


def run_dte_import(*, batch: ImportBatch, sources, progress=None) -> ImportBatch:
    """Run a DTE import to the end (the batch finishes with one result per file)."""
    mark_running(batch)
    sources = list(sources)
    run = DteImport(batch=batch, progress=progress or progress_saver(batch))
    try:
        outcome = run.run(sources)
    except Exception as exc:  # nothing was written (one transaction): say so per file
        outcome, run.files = nothing_imported(sources, exc)
    batch.file_results = run.files
    return finish(batch, outcome, written=True)


def import_dte(*, organization, actor, paths, progress=None) -> ImportBatch:
    names = ", ".join(os.path.basename(str(p).rstrip("/")) for p in paths)
    batch = create_batch(
        organization=organization, actor=actor, kind=ImportKind.DTE, file_name=names or "dte"
    )
    return run_dte_import(batch=batch, sources=iter_sources(paths, EXTENSIONS), progress=progress)
