"""The SAT's Descarga Masiva against the local fake SAT (real SOAP shapes; the e.firma's
WS-Security and XML signatures verified): request → verify (in progress, finished, no
data, rejected) → download → the CFDI importer; a repeat imports nothing new; the SAT
down or a tampered request writes nothing."""

import datetime as dt
import io
import json
import zipfile
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from cartera.fiscal.csd import fiel_signer_for
from cartera.fiscal.models import FiscalProfile
from cartera.fiscal.services import save_sat_download_settings
from cartera.imports.models import SatDownload
from cartera.imports.sat_download import SatDownloadAt, request_again, run_sat_download
from cartera.invoices.models import Invoice
from cartera.orgs.models import Membership
from cartera.testing.csd import make_csd
from cartera.testing.fake_sat_download import running_fake_sat_download

from .test_cfdi import herreria, make_invoice  # noqa: F401

RFC = "H&E951128469"
TODAY = dt.date(2026, 12, 7)
UUIDS = ("5FB2822E-396D-4725-8521-CDC4BDD20C01", "5FB2822E-396D-4725-8521-CDC4BDD20C02")


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _package(*uuids, folio_from=7) -> bytes:
    return _zip(
        {
            f"{uuid}.xml": make_invoice(uuid, folio=str(folio_from + i))
            for i, uuid in enumerate(uuids)
        }
    )


@pytest.fixture
def sat(settings):
    with running_fake_sat_download() as (url, state):
        settings.CARTERA_SAT_DOWNLOAD_URL = url
        state.rfcs.add(RFC)
        yield state


@pytest.fixture
def profile(herreria):  # noqa: F811
    FiscalProfile.objects.create(
        organization=herreria,
        rfc=RFC,
        legal_name="HERRERIA & ELECTRICOS",
        tax_regime="601",
        postal_code="56820",
    )
    fiel = make_csd(RFC, fiel=True)
    return save_sat_download_settings(
        organization=herreria,
        actor=None,
        today=TODAY,
        sat_download_from=dt.date(2026, 11, 1),
        fiel_certificate=fiel.cer,
        fiel_key=fiel.key,
        fiel_password=fiel.password,
    )


def _run(organization, **kwargs):
    return run_sat_download(organization=organization, today=TODAY, **kwargs)


def test_request_wait_download_import_then_the_next_period(herreria, profile, sat):  # noqa: F811
    sat.packages = [_package(*UUIDS)]
    first = _run(herreria)
    assert first["status"] == "ok", first
    download = SatDownload.objects.get()
    assert (download.period_start, download.period_end, download.status) == (
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 1),  # 31 days at most
        "requested",
    )
    requested = sat.requests[download.request_id]
    assert (requested.rfc, requested.start, requested.end, requested.kind) == (
        RFC,
        "2026-11-01T00:00:00",
        "2026-12-01T23:59:59",
        "CFDI",
    )
    assert _run(herreria)["downloads"][0]["status"] == "in_progress"
    assert not Invoice.objects.exists()

    third = _run(herreria)
    download.refresh_from_db()
    assert download.status == "imported"
    assert download.imported_packages == [f"{download.request_id.upper()}_01"]
    assert sorted(Invoice.objects.values_list("fiscal_uuid", flat=True)) == list(UUIDS)
    batch = download.batches.get()
    assert (batch.kind, batch.status, batch.file_name) == (
        "cfdi",
        "done",
        f"SAT {download.request_id.upper()}_01.zip",
    )
    assert [r["status"] for r in batch.file_results] == ["imported", "imported"]
    # Up to date through yesterday: the rest of the days is the next request.
    newest = SatDownload.objects.order_by("-pk").first()
    assert (newest.period_start, newest.period_end, newest.status) == (
        dt.date(2026, 12, 2),
        dt.date(2026, 12, 6),
        "requested",
    )
    assert [row["status"] for row in third["downloads"]] == ["imported", "requested"]
    _run(herreria)  # in progress
    _run(herreria)
    newest.refresh_from_db()
    assert (newest.status, newest.sat_code) == ("no_data", "5004")
    assert _run(herreria)["downloads"] == []  # nothing left to ask for today


def test_a_package_with_cfdi_already_imported_writes_nothing_new(
    herreria,  # noqa: F811
    profile,
    sat,
):
    sat.packages = [_package(*UUIDS)]
    sat.pending_checks = 0
    _run(herreria)
    _run(herreria)
    invoices = list(Invoice.objects.order_by("pk").values_list("pk", "fiscal_uuid", "balance"))
    sat.packages = [_package(*UUIDS)]  # the next period's package holds the same CFDI
    _run(herreria)
    _run(herreria)
    latest = SatDownload.objects.order_by("-pk").first()
    assert latest.status == "imported"
    assert [r["status"] for r in latest.batches.get().file_results] == ["unchanged"] * 2
    assert list(Invoice.objects.order_by("pk").values_list("pk", "fiscal_uuid", "balance")) == (
        invoices
    )


def test_a_refused_request_is_kept_with_the_sats_message_and_can_be_asked_again(
    herreria,  # noqa: F811
    profile,
    sat,
):
    sat.request_code = "5002"
    _run(herreria)
    refused = SatDownload.objects.get()
    assert (refused.status, refused.sat_code, refused.request_id) == ("rejected", "5002", "")
    assert refused.message == "Se han agotado las solicitudes de por vida"
    sat.request_code = "5000"
    _run(herreria)  # the next period goes ahead
    assert list(SatDownload.objects.order_by("pk").values_list("period_start", "status")) == [
        (dt.date(2026, 11, 1), "rejected"),
        (dt.date(2026, 12, 2), "requested"),
    ]
    again = request_again(download=refused, actor=None)
    assert (again.period_start, again.period_end, again.status) == (
        refused.period_start,
        refused.period_end,
        "requested",
    )
    with pytest.raises(ValidationError):
        request_again(download=again, actor=None)  # still open


def test_a_request_the_sat_rejects_while_processing(herreria, profile, sat):  # noqa: F811
    sat.outcome = "rejected"
    sat.pending_checks = 0
    _run(herreria)
    _run(herreria)
    download = SatDownload.objects.order_by("pk").first()
    assert (download.status, download.sat_code) == ("rejected", "5003")
    assert download.message == "Tope máximo de elementos de la consulta"
    assert not Invoice.objects.exists()


def test_the_sat_down_or_refusing_the_signature_writes_nothing(herreria, profile, sat):  # noqa: F811
    sat.down = True
    assert _run(herreria)["status"] == "unavailable"
    sat.down = False
    sat.rfcs.clear()  # the SAT does not know this e.firma: authentication fault
    assert _run(herreria)["status"] == "unavailable"
    assert not SatDownload.objects.exists() and sat.calls == []


class _Tampering(SatDownloadAt):
    """Changes the requested period after the e.firma signed it."""

    def _request(self, soap_url, data, soap_action, needs_token_fn, verify=True):
        data = data.replace(b'FechaInicial="2026-11-01', b'FechaInicial="2026-10-01')
        return super()._request(soap_url, data, soap_action, needs_token_fn, verify)


def test_a_request_changed_after_signing_is_refused(herreria, profile, sat, settings):  # noqa: F811
    client = _Tampering(signer=fiel_signer_for(profile), base_url=settings.CARTERA_SAT_DOWNLOAD_URL)
    result = _run(herreria, client=client)
    assert result["status"] == "unavailable" and "500" in result["detail"]
    assert not SatDownload.objects.exists() and sat.calls == ["Autentica"]


def test_an_agent_cannot_run_it_and_nothing_is_asked(herreria, profile, sat, django_user_model):  # noqa: F811
    agent = django_user_model.objects.create_user("agente@herreria.mx", password="x")
    Membership.objects.create(organization=herreria, user=agent, role="agent")
    with pytest.raises(PermissionDenied):
        _run(herreria, actor=agent)
    assert not SatDownload.objects.exists() and sat.calls == []


def test_off_without_an_efirma_or_a_start_date(herreria, sat):  # noqa: F811
    assert _run(herreria)["status"] == "off"
    assert sat.calls == []


def test_off_once_the_efirma_expired(herreria, profile, sat):  # noqa: F811
    result = run_sat_download(organization=herreria, today=dt.date(2031, 1, 2))
    assert (result["status"], result["detail"]) == (
        "off",
        "La e.firma venció el 01/01/2031; cargue la vigente.",
    )
    assert sat.calls == [] and not SatDownload.objects.exists()


def test_settings_refuse_a_csd_a_wrong_password_and_another_rfc(herreria, profile):  # noqa: F811
    csd = make_csd(RFC)
    other = make_csd("KIJ0906199R1", fiel=True)
    fiel = make_csd(RFC, fiel=True)
    cases = [
        (
            {"fiel_certificate": csd.cer, "fiel_key": csd.key, "fiel_password": csd.password},
            "fiel_certificate",
            "Es un certificado de sello digital (CSD); para descargar del SAT se usa la e.firma (FIEL).",
        ),
        (
            {"fiel_certificate": fiel.cer, "fiel_key": fiel.key, "fiel_password": "otra"},
            "fiel_password",
            "La contraseña no abre la llave privada (.key).",
        ),
        (
            {"fiel_certificate": other.cer, "fiel_key": other.key, "fiel_password": other.password},
            "fiel_certificate",
            f"El certificado es del RFC KIJ0906199R1, no de {RFC}.",
        ),
        ({"fiel_certificate": fiel.cer}, "fiel_key", "Cargue el .cer y el .key juntos."),
        ({"sat_download_from": TODAY}, "sat_download_from", "Elija un día anterior a hoy."),
    ]
    before = FiscalProfile.objects.values().get(pk=profile.pk)
    for fields, field, message in cases:
        values = {"sat_download_from": dt.date(2026, 11, 1)} | fields
        with pytest.raises(ValidationError) as caught:
            save_sat_download_settings(organization=herreria, actor=None, today=TODAY, **values)
        assert caught.value.message_dict == {field: [message]}, fields
    assert FiscalProfile.objects.values().get(pk=profile.pk) == before


def test_the_command_prints_the_run(herreria, profile, sat):  # noqa: F811
    out = StringIO()
    call_command(
        "sat", "download", "--org", "herreria", "--date", "2026-12-07", "--json", stdout=out
    )
    result = json.loads(out.getvalue())
    assert result["status"] == "ok"
    assert [(row["period"], row["status"]) for row in result["downloads"]] == [
        (["2026-11-01", "2026-12-01"], "requested")
    ]
