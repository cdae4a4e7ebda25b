"""The SAT status of each open invoice's CFDI, from the SAT's public status service
(``ConsultaCFDIService.svc``, SOAP operation ``Consulta`` with the ``expresionImpresa``
``?re=<issuer RFC>&rr=<receiver RFC>&tt=<total>&id=<UUID>``), through satcfdi's
``SAT.status``.

What each answer does:

- ``Cancelado``: the invoice becomes void through ``invoices.services.void_invoice`` (what
  is applied to it stays there for review), so it is no longer chased; its timeline says
  the SAT cancelled it.
- ``Vigente`` with ``EstatusCancelacion`` "En proceso": recorded (and on the timeline the
  first time); nothing else changes — the receiver may still reject the cancellation.
- ``Vigente`` / ``No Encontrado``: recorded.
- The service cannot be reached or answers an error: nothing changes; the next run asks
  again.
"""

import datetime as dt
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from lxml import etree
from satcfdi.cfdi import CFDI
from satcfdi.exceptions import ResponseError
from satcfdi.pacs import Environment
from satcfdi.pacs.sat import SAT

from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.invoices.services import void_invoice
from cartera.timeline import events

from .complements import _invoice_xml
from .invoicing import cancellation_rejected, finish_cancellation
from .models import CfdiStatus, IssuedCfdi, SatState, SatStatusCheck
from .selectors import fiscal_profile

TIMEOUT = 20  # seconds; the SAT's service is slow at month end
SERVICE_PATH = "/ConsultaCFDIService.svc"
IN_PROGRESS = "En proceso"
STATES = {
    "vigente": SatState.VALID,
    "cancelado": SatState.CANCELLED,
    "no encontrado": SatState.NOT_FOUND,
}
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class ServiceDown(Exception):
    """The status service did not answer usefully; try again on the next run."""


class ServiceUnreachable(ServiceDown):
    """No connection or no answer in time: asking about the next invoice would only wait
    as long again (on a closed network every CFDI held the task worker for its timeout)."""


class SatStatusAt(SAT):
    """satcfdi's SAT client for the status service at a configured address, with a
    timeout (satcfdi posts without one)."""

    def __init__(self, base_url: str = ""):
        super().__init__(environment=Environment.PRODUCTION)
        self.base_url = base_url.rstrip("/")

    def _request(self, soap_url, data, soap_action, needs_token_fn, verify=True):
        if self.base_url:
            soap_url = self.base_url + SERVICE_PATH
        response = requests.post(
            url=soap_url,
            data=data.encode(),
            headers=self._get_headers(soap_action, needs_token_fn=needs_token_fn),
            verify=verify,
            timeout=TIMEOUT,
        )
        if not response.ok:
            raise ResponseError(response)
        return etree.fromstring(response.content, parser=SAFE_PARSER)


@dataclass(frozen=True)
class SatAnswer:
    state: str
    cancellation_status: str
    cancellable: str
    code: str


def _query_values(invoice: Invoice) -> dict:
    """The expresionImpresa's values: from the invoice's stamped XML when there is one
    (exactly what was stamped), else the issuer's fiscal data and the invoice's own."""
    xml = _invoice_xml(invoice)
    if xml:
        try:
            cfdi = CFDI.from_string(xml)
            return {"re": cfdi["Emisor"]["Rfc"], "rr": cfdi["Receptor"]["Rfc"], "tt": cfdi["Total"]}
        except Exception:  # an unreadable attachment: fall back to the recorded values
            pass
    profile = fiscal_profile(invoice.organization)
    return {
        "re": profile.rfc if profile else "",
        "rr": invoice.customer.tax_id,
        "tt": invoice.total,
    }


def ask_sat(client: SatStatusAt, invoice: Invoice) -> SatAnswer:
    values = _query_values(invoice)
    document = {
        "Emisor": {"Rfc": values["re"]},
        "Receptor": {"Rfc": values["rr"]},
        "Total": values["tt"],
        "Complemento": {"TimbreFiscalDigital": {"UUID": invoice.fiscal_uuid.upper()}},
    }
    try:
        result = client.status(document)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise ServiceUnreachable(str(exc)[:200]) from exc
    except (requests.RequestException, ResponseError, etree.XMLSyntaxError, TypeError) as exc:
        raise ServiceDown(str(exc)[:200]) from exc
    state = STATES.get((result.get("Estado") or "").strip().lower())
    if state is None:
        raise ServiceDown(f"Estado {result.get('Estado')!r}")
    return SatAnswer(
        state=state,
        cancellation_status=(result.get("EstatusCancelacion") or "").strip(),
        cancellable=(result.get("EsCancelable") or "").strip(),
        code=(result.get("CodigoEstatus") or "").strip(),
    )


def _void_reason(invoice: Invoice, answer: SatAnswer) -> str:
    detail = answer.cancellation_status or answer.code
    return _("el SAT reporta el CFDI %(uuid)s como cancelado (%(detail)s); ya no se cobra") % {
        "uuid": invoice.fiscal_uuid.upper(),
        "detail": detail,
    }


@transaction.atomic
def record_sat_status(*, invoice: Invoice, answer: SatAnswer, today: dt.date) -> str:
    """Keep the SAT's answer for ``invoice`` and act on it; returns what happened:
    ``voided``, ``in_progress``, ``valid`` or ``not_found``."""
    previous = SatStatusCheck.objects.filter(invoice=invoice).first()
    check, _created = SatStatusCheck.objects.update_or_create(
        invoice=invoice,
        defaults={
            "organization": invoice.organization,
            "state": answer.state,
            "cancellation_status": answer.cancellation_status[:80],
            "cancellable": answer.cancellable[:80],
            "code": answer.code[:200],
            "checked_on": today,
        },
    )
    issued = IssuedCfdi.objects.filter(invoice=invoice).first()
    if answer.state == SatState.CANCELLED:
        if issued is not None:  # issued here: its substitute takes over what was paid
            finish_cancellation(cfdi=issued)
            return "voided"
        void_invoice(
            invoice=invoice, actor=None, reason=_void_reason(invoice, answer), keep_allocations=True
        )
        return "voided"
    if (
        issued is not None
        and issued.status == CfdiStatus.CANCEL_REQUESTED
        and not check.cancellation_in_progress
        and answer.state == SatState.VALID
        and answer.cancellation_status  # "Solicitud rechazada": the receiver said no
    ):
        cancellation_rejected(cfdi=issued)
        return "valid"
    if check.cancellation_in_progress:
        if previous is None or not previous.cancellation_in_progress:
            events.cfdi_cancellation_pending(invoice, status=answer.cancellation_status)
        return "in_progress"
    return "valid" if answer.state == SatState.VALID else "not_found"


def invoices_to_check(organization):
    """Open invoices with a CFDI UUID: the ones whose cancellation would matter."""
    requested = Q(issued_cfdi__status=CfdiStatus.CANCEL_REQUESTED)
    return (
        Invoice.objects.filter(Q(status=InvoiceStatus.OPEN) | requested, organization=organization)
        .exclude(fiscal_uuid="")
        .select_related("customer", "organization")
        .order_by("id")
    )


def check_sat_statuses(*, organization, today: dt.date, client: SatStatusAt | None = None) -> dict:
    """Ask the SAT about every open invoice's CFDI (Mexican organisations only)."""
    result = {
        "organization": organization.slug,
        "checked": 0,
        "valid": 0,
        "in_progress": 0,
        "voided": 0,
        "not_found": 0,
        "unavailable": 0,
        "invoices": [],
    }
    if organization.country != "MX":
        return result
    client = client or SatStatusAt(settings.CARTERA_SAT_STATUS_URL)
    unreachable = False
    for invoice in invoices_to_check(organization):
        row = {"invoice": invoice.number, "uuid": invoice.fiscal_uuid.upper()}
        if unreachable:  # the rest waits for the next run instead of timing out one by one
            row.update(outcome="unavailable", detail=_("No se preguntó: el SAT no respondió."))
            result["unavailable"] += 1
            result["checked"] += 1
            result["invoices"].append(row)
            continue
        try:
            answer = ask_sat(client, invoice)
            outcome = record_sat_status(invoice=invoice, answer=answer, today=today)
            row.update(outcome=outcome, state=answer.state, detail=answer.cancellation_status)
        except ServiceDown as exc:
            outcome = "unavailable"
            row.update(outcome=outcome, detail=str(exc))
            unreachable = isinstance(exc, ServiceUnreachable)
        except ValidationError as exc:  # void refused (e.g. voided meanwhile): leave it
            outcome = "unavailable"
            row.update(outcome=outcome, detail=" ".join(exc.messages))
        result[outcome] += 1
        result["checked"] += 1
        result["invoices"].append(row)
    return result


def check_issued_status(
    *, cfdi: IssuedCfdi, today: dt.date, client: SatStatusAt | None = None
) -> str:
    """Ask the SAT about one CFDI issued here right after its cancellation was requested
    (``unavailable`` when the service does not answer: the daily check asks again)."""
    if cfdi.invoice is None:
        return "not_found"
    client = client or SatStatusAt(settings.CARTERA_SAT_STATUS_URL)
    try:
        answer = ask_sat(client, cfdi.invoice)
    except ServiceDown:
        return "unavailable"
    return record_sat_status(invoice=cfdi.invoice, answer=answer, today=today)
