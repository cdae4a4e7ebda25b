"""CFDI substitution (c_TipoRelacion 04): an imported invoice that replaces an earlier CFDI
voids the replaced invoice, so the receivable is not counted twice. What was applied to the
replaced invoice moves to the replacement (same customer and currency, while it has room);
anything that cannot move stays on the void invoice and is reported for review."""

from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.invoices.services import void_invoice
from cartera.payments.services import move_allocations

from .problem_text import gettext as _


def substitute_invoices(run, doc, invoice: Invoice) -> None:
    """Apply every relation 04 of ``doc`` (the new invoice ``invoice``); ``run`` is the
    ``CfdiImport`` that reports problems."""
    for old_uuid in doc.replaces:
        old = Invoice.objects.filter(organization=run.organization, fiscal_uuid=old_uuid).first()
        if old is None:
            run.problem(
                doc,
                _("El CFDI sustituido %(uuid)s no está en Cartera; no hubo nada que cancelar.")
                % {"uuid": old_uuid},
                "warning",
            )
            continue
        if old.status != InvoiceStatus.VOID:
            _replace(run, doc, old, invoice)


def _replace(run, doc, old: Invoice, new: Invoice) -> None:
    reason = _("sustituida por el CFDI %(uuid)s (factura %(n)s)") % {
        "uuid": new.fiscal_uuid,
        "n": new.number,
    }
    _moved, left = move_allocations(source=old, target=new, actor=run.actor, reason=reason)
    void_invoice(invoice=old, actor=run.actor, reason=reason, keep_allocations=True)
    if left:
        run.problem(
            doc,
            _(
                "La factura %(old)s quedó cancelada por sustitución, pero %(n)s aplicación(es) "
                "no cabían en la nueva factura %(new)s (otro cliente, otra moneda o saldo "
                "insuficiente) y siguen en la cancelada: revíselas."
            )
            % {"old": old.number, "n": len(left), "new": new.number},
            "warning",
        )
