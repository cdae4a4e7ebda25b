"""Descarga Masiva: the CFDI the organisation issued, downloaded from the SAT with its
e.firma (satcfdi's ``SAT`` client) and fed to the CFDI importer, so that an invoice issued
outside Cartera (the ERP, the PAC's portal) still reaches the ledger.

The SAT's four steps, one ``SatDownload`` per period (at most ``WINDOW_DAYS`` days of issue
dates, from the organisation's ``sat_download_from`` up to yesterday):

1. authenticate (WS-Security signed with the e.firma) — satcfdi does it per client;
2. ``SolicitaDescargaEmitidos`` for the period → a request id (``CodEstatus`` 5000), or a
   refusal (5002 lifetime limit, 5005 duplicate…): the row is ``rejected`` with the SAT's
   message and the next period follows (a manager may ask for that period again);
3. ``VerificaSolicitudDescarga`` on every run until ``EstadoSolicitud`` 3 (finished) with
   package ids, 3 with ``CodigoEstadoSolicitud`` 5004 (no CFDI in the period: ``no_data``), or
   4/5/6 (error, rejected, expired: ``rejected``);
4. ``Descargar`` each package (a base64 zip of XML) and import it through the CFDI importer
   as one batch; a CFDI already in Cartera is ``unchanged`` there, so a package imported
   twice writes nothing new.

The SAT unreachable, or answering HTTP errors or a malformed envelope: nothing is written
and the next run asks again."""

import base64
import binascii
import datetime as dt
from urllib.parse import urlparse

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from lxml import etree
from satcfdi.exceptions import ResponseError
from satcfdi.pacs.sat import SAT, TipoDescargaMasivaTerceros

from cartera.fiscal.csd import fiel_signer_for
from cartera.fiscal.selectors import fiscal_profile
from cartera.orgs.access import Action, require_member_unless_system

from .batches import create_batch
from .cfdi import run_cfdi_import
from .cfdi_reader import sources_from_upload
from .choices import ImportKind
from .models import SatDownload, SatDownloadStatus

WINDOW_DAYS = 31
TIMEOUT = 60  # seconds; the SAT's download service is slow
ACCEPTED = "5000"
NO_DATA = "5004"
IN_PROGRESS_STATES = {1, 2}  # accepted, in progress
FINISHED_STATE = 3
MAX_PACKAGE_BYTES = 200 * 1024 * 1024  # a package holds up to 200,000 XML


class SatUnavailable(Exception):
    """The SAT did not answer usefully; the next run asks again."""


class SatDownloadAt(SAT):
    """satcfdi's SAT client at a configured address (the local fake in the tests; empty:
    the SAT's own), with a timeout (satcfdi posts without one)."""

    def __init__(self, *, signer, base_url: str = ""):
        super().__init__(signer=signer)
        self.base_url = base_url.rstrip("/")

    def _request(self, soap_url, data, soap_action, needs_token_fn, verify=True):
        if self.base_url:
            soap_url = self.base_url + urlparse(soap_url).path
        response = requests.post(
            url=soap_url,
            data=data,
            headers=self._get_headers(soap_action, needs_token_fn=needs_token_fn),
            verify=verify,
            timeout=TIMEOUT,
        )
        if not response.ok:
            raise ResponseError(response)
        return etree.fromstring(
            response.content, parser=etree.XMLParser(resolve_entities=False, no_network=True)
        )


def client_for(profile) -> SatDownloadAt:
    """Raises ``ValidationError`` when there is no e.firma to authenticate with."""
    if profile is None:
        raise ValidationError(_("Cargue la e.firma de la organización para descargar del SAT."))
    return SatDownloadAt(
        signer=fiel_signer_for(profile), base_url=settings.CARTERA_SAT_DOWNLOAD_URL
    )


def _ask(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except (requests.RequestException, ResponseError, etree.XMLSyntaxError) as exc:
        raise SatUnavailable(str(exc)[:300]) from exc
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # an answer not in shape
        raise SatUnavailable(_("Respuesta del SAT ilegible: %(e)s") % {"e": exc}) from exc


# --- the periods --------------------------------------------------------------------------
def next_period(organization, *, start_from: dt.date, today: dt.date):
    """(first day, last day) of the next period to ask for, or None when up to date."""
    latest = (
        SatDownload.objects.filter(organization=organization, period_end__gte=start_from)
        .order_by("-period_end")
        .first()
    )
    start = max(start_from, latest.period_end + dt.timedelta(days=1)) if latest else start_from
    end = min(start + dt.timedelta(days=WINDOW_DAYS - 1), today - dt.timedelta(days=1))
    return (start, end) if start <= end else None


def request_period(
    *, organization, client, start: dt.date, end: dt.date, actor=None
) -> SatDownload:
    """Ask the SAT for the CFDI issued from ``start`` to ``end`` (whole days); the row is
    ``requested`` or ``rejected`` with the SAT's answer. Raises ``SatUnavailable``, having
    written nothing, when the SAT does not answer."""
    answer = _ask(
        client.recover_comprobante_emitted_request,
        fecha_inicial=dt.datetime.combine(start, dt.time()),
        fecha_final=dt.datetime.combine(end, dt.time(23, 59, 59)),
        tipo_solicitud=TipoDescargaMasivaTerceros.CFDI,
    )
    code = str(answer.get("CodEstatus", ""))
    accepted = code == ACCEPTED and answer.get("IdSolicitud")
    return SatDownload.objects.create(
        organization=organization,
        period_start=start,
        period_end=end,
        request_id=answer.get("IdSolicitud", "") if accepted else "",
        status=SatDownloadStatus.REQUESTED if accepted else SatDownloadStatus.REJECTED,
        sat_code=code[:8],
        message=str(answer.get("Mensaje", ""))[:500],
        created_by=actor if getattr(actor, "pk", None) else None,
    )


# --- following a request ------------------------------------------------------------------
def _finished(download: SatDownload, status: str, *, code: str, message: str) -> str:
    download.status, download.sat_code, download.message = status, code[:8], message[:500]
    download.save(update_fields=["status", "sat_code", "message", "checks", "updated_at"])
    return status


def _zip_of(header: dict, package: str) -> bytes:
    if str(header.get("CodEstatus", "")) != ACCEPTED or not package:
        raise SatUnavailable(
            _("El SAT no entregó el paquete: %(m)s") % {"m": header.get("Mensaje", "")}
        )
    if len(package) > MAX_PACKAGE_BYTES * 4 // 3:
        raise SatUnavailable(_("El paquete del SAT excede el tamaño que Cartera importa."))
    try:
        return base64.b64decode(package, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise SatUnavailable(_("El paquete del SAT no es base64 válido.")) from exc


def _import_package(download: SatDownload, client, package_id: str, actor) -> None:
    header, package = _ask(client.recover_comprobante_download, package_id)
    data = _zip_of(header, package)
    batch = create_batch(
        organization=download.organization,
        actor=actor,
        kind=ImportKind.CFDI,
        file_name=f"SAT {package_id}.zip",
    )
    run_cfdi_import(batch=batch, sources=sources_from_upload(data))
    download.batches.add(batch)
    download.imported_packages = [*download.imported_packages, package_id]
    download.save(update_fields=["imported_packages", "updated_at"])


def advance(download: SatDownload, *, client, actor=None) -> str:
    """Ask the SAT how the request stands and import what it is ready to give; returns the
    download's status. ``SatUnavailable`` leaves everything as it was."""
    with transaction.atomic():
        download = SatDownload.objects.select_for_update().get(pk=download.pk)
        if not download.is_open:
            return download.status
        answer = _ask(client.recover_comprobante_status, download.request_id)
        download.checks += 1
        state = int(answer.get("EstadoSolicitud", 0))
        code = str(answer.get("CodigoEstadoSolicitud") or answer.get("CodEstatus") or "")
        message = str(answer.get("Mensaje", ""))
        if state in IN_PROGRESS_STATES:
            return _finished(download, SatDownloadStatus.IN_PROGRESS, code=code, message=message)
        if state != FINISHED_STATE:
            return _finished(download, SatDownloadStatus.REJECTED, code=code, message=message)
        packages = list(answer.get("IdsPaquetes") or [])
        if code == NO_DATA or not packages:
            return _finished(download, SatDownloadStatus.NO_DATA, code=code, message=message)
        download.packages = packages
        download.save(update_fields=["packages", "checks", "updated_at"])
    for package_id in packages:
        if package_id not in download.imported_packages:
            _import_package(download, client, package_id, actor)
    return _finished(download, SatDownloadStatus.IMPORTED, code=code, message=message)


# --- the scheduled run --------------------------------------------------------------------
def _row(download: SatDownload) -> dict:
    return {
        "id": download.pk,
        "period": [download.period_start.isoformat(), download.period_end.isoformat()],
        "status": download.status,
        "sat_code": download.sat_code,
        "message": download.message,
        "packages": len(download.packages),
        "imported": len(download.imported_packages),
    }


def _advance_open(organization, client, actor, result) -> None:
    for download in SatDownload.objects.filter(
        organization=organization,
        status__in=[SatDownloadStatus.REQUESTED, SatDownloadStatus.IN_PROGRESS],
    ).order_by("period_start"):
        advance(download, client=client, actor=actor)
        download.refresh_from_db()
        result["downloads"].append(_row(download))


def run_sat_download(*, organization, today: dt.date, actor=None, client=None) -> dict:
    """One run for ``organization``: follow the open requests, then ask for the next period
    when none is open. ``status``: ``off`` (no e.firma or no start date), ``unavailable``
    (the SAT did not answer; asked again next run) or ``ok``."""
    require_member_unless_system(actor, organization, Action.MANAGE_FISCAL)
    result = {"organization": organization.slug, "status": "ok", "downloads": []}
    profile = fiscal_profile(organization)
    if profile is None or not (profile.has_fiel and profile.sat_download_from):
        return result | {"status": "off"}
    if profile.fiel_valid_until and profile.fiel_valid_until < today:
        detail = _("La e.firma venció el %(d)s; cargue la vigente.") % {
            "d": profile.fiel_valid_until.strftime("%d/%m/%Y")
        }
        return result | {"status": "off", "detail": detail}
    try:
        client = client or client_for(profile)
        _advance_open(organization, client, actor, result)
        still_open = SatDownload.objects.filter(
            organization=organization,
            status__in=[SatDownloadStatus.REQUESTED, SatDownloadStatus.IN_PROGRESS],
        ).exists()
        period = next_period(organization, start_from=profile.sat_download_from, today=today)
        if period and not still_open:
            created = request_period(
                organization=organization,
                client=client,
                start=period[0],
                end=period[1],
                actor=actor,
            )
            result["downloads"].append(_row(created))
    except SatUnavailable as exc:
        return result | {"status": "unavailable", "detail": str(exc)}
    except ValidationError as exc:  # the stored e.firma does not open any more
        return result | {"status": "off", "detail": " ".join(exc.messages)}
    return result


def request_again(*, download: SatDownload, actor, client=None) -> SatDownload:
    """A manager asks again for a period the SAT refused (a new row; the old one stays)."""
    require_member_unless_system(actor, download.organization, Action.MANAGE_FISCAL)
    if download.is_open or download.status == SatDownloadStatus.IMPORTED:
        raise ValidationError(_("Esta descarga no se puede solicitar de nuevo."))
    profile = fiscal_profile(download.organization)
    client = client or client_for(profile)
    return request_period(
        organization=download.organization,
        client=client,
        start=download.period_start,
        end=download.period_end,
        actor=actor,
    )
