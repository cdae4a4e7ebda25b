"""The SAT status of open invoices' CFDI against the local fake status service
(cartera.testing.fake_sat_status): vigente, cancelado, cancelación en proceso, no
encontrado, service down; the daily job and ``cartera fiscal check-status``."""

import datetime as dt
import io
import json
import socket
from decimal import Decimal

import pytest
import requests
from django.core.management import call_command

from cartera.dunning.services import load_builtin_strategies
from cartera.fiscal import sat_status
from cartera.fiscal.models import SatStatusCheck
from cartera.fiscal.sat_status import SatStatusAt, check_sat_statuses
from cartera.fiscal.tasks import check_cfdi_statuses
from cartera.invoices.models import Invoice
from cartera.invoices.services import create_invoice
from cartera.ops.jobs import JOBS
from cartera.testing import fake_sat_status
from cartera.testing.fixtures import planner_reasons
from cartera.timeline.models import Activity

from .conftest import UUID

TODAY = dt.date(2026, 10, 21)
ISSUER, RECEIVER = "DNO990101AB1", "FTU010203AB4"


@pytest.fixture
def sat(settings):
    with fake_sat_status.running_fake_sat_status() as (url, state):
        settings.CARTERA_SAT_STATUS_URL = url
        yield state


def _register(state, answer, uuid=UUID, total="11600.00"):
    state.register(uuid, answer, issuer=ISSUER, receiver=RECEIVER, total=total)


def _check(org):
    return check_sat_statuses(organization=org, today=TODAY)


def test_the_request_carries_the_stamped_xmls_expression(stamped_invoice, sat):
    _register(sat, "vigente")
    result = _check(stamped_invoice.organization)
    assert sat.queries == [{"re": ISSUER, "rr": RECEIVER, "tt": "11600.00", "id": UUID}]
    assert (result["checked"], result["valid"]) == (1, 1)
    check = SatStatusCheck.objects.get()
    assert (check.invoice, check.state, check.cancellation_status, check.checked_on) == (
        stamped_invoice,
        "vigente",
        "",
        TODAY,
    )
    assert check.cancellable == "Cancelable con aceptación"
    assert check.code == "S - Comprobante obtenido satisfactoriamente."


def test_without_xml_the_fiscal_profile_and_invoice_values_are_asked(invoice_a, profile, sat):
    Invoice.objects.filter(pk=invoice_a.pk).update(fiscal_uuid=UUID.lower())
    _register(sat, "vigente")
    result = _check(invoice_a.organization)
    assert sat.queries == [{"re": ISSUER, "rr": RECEIVER, "tt": "11600.00", "id": UUID}]
    assert result["valid"] == 1


def test_a_cancelled_cfdi_voids_the_invoice_and_stops_the_chase(stamped_invoice, sat):
    org = stamped_invoice.organization
    load_builtin_strategies(organization=org)
    now = dt.datetime(2026, 10, 21, 14, tzinfo=dt.UTC)
    assert any(
        row[0] == stamped_invoice.external_id for row in planner_reasons(org, TODAY, now=now)
    )
    _register(sat, "cancelado")
    result = _check(org)
    assert (result["voided"], result["invoices"][0]["detail"]) == (1, "Cancelado con aceptación")
    invoice = Invoice.objects.get(pk=stamped_invoice.pk)
    assert (invoice.status, invoice.balance) == ("void", Decimal("0"))
    entry = Activity.objects.filter(invoice=invoice, kind="invoice_voided").get()
    assert entry.summary == (
        f"Factura A-100 cancelada: el SAT reporta el CFDI {UUID} como cancelado "
        "(Cancelado con aceptación); ya no se cobra"
    )
    assert not any(row[0] == invoice.external_id for row in planner_reasons(org, TODAY, now=now))
    # next run: a void invoice is no longer asked about
    assert _check(org)["checked"] == 0 and len(sat.queries) == 1


def test_cancellation_in_progress_is_recorded_once_and_changes_nothing(stamped_invoice, sat):
    _register(sat, "en_proceso")
    before = Activity.objects.count()
    assert _check(stamped_invoice.organization)["in_progress"] == 1
    assert _check(stamped_invoice.organization)["in_progress"] == 1
    invoice = Invoice.objects.get(pk=stamped_invoice.pk)
    assert (invoice.status, invoice.balance) == ("open", Decimal("11600.00"))
    check = SatStatusCheck.objects.get()
    assert (check.state, check.cancellation_status) == ("vigente", "En proceso")
    entries = Activity.objects.order_by("id")[before:]
    assert [e.summary for e in entries] == [
        "El SAT reporta la cancelación del CFDI de la factura A-100: En proceso"
    ]


def test_not_found_is_recorded_and_changes_nothing(stamped_invoice, sat):
    _register(sat, "vigente", total="99.00")  # the SAT knows the UUID with another total
    before = Activity.objects.count()
    result = _check(stamped_invoice.organization)
    assert result["not_found"] == 1
    check = SatStatusCheck.objects.get()
    assert (check.state, check.code) == ("no_encontrado", "N - 602: Comprobante no encontrado.")
    assert Invoice.objects.get(pk=stamped_invoice.pk).status == "open"
    assert Activity.objects.count() == before


def test_service_down_changes_nothing_and_the_next_run_asks_again(stamped_invoice, sat):
    sat.down = True
    _register(sat, "cancelado")
    before = Activity.objects.count()
    result = _check(stamped_invoice.organization)
    assert (result["unavailable"], result["voided"]) == (1, 0)
    assert not SatStatusCheck.objects.exists()
    assert Invoice.objects.get(pk=stamped_invoice.pk).status == "open"
    assert Activity.objects.count() == before
    sat.down = False
    assert _check(stamped_invoice.organization)["voided"] == 1


def test_unreachable_service_is_unavailable(stamped_invoice):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = SatStatusAt(f"http://127.0.0.1:{port}")
    result = check_sat_statuses(
        organization=stamped_invoice.organization, today=TODAY, client=client
    )
    assert result["unavailable"] == 1
    assert not SatStatusCheck.objects.exists()


def test_an_unreachable_service_is_asked_once_per_run(stamped_invoice, monkeypatch):
    """Without a connection the rest of the run is not asked (each would wait for the
    timeout); every invoice is unavailable, nothing is recorded, the next run asks again."""
    second = create_invoice(
        customer=stamped_invoice.customer,
        actor=None,
        external_id="F-101",
        number="A-101",
        issue_date=dt.date(2026, 9, 2),
        due_date=dt.date(2026, 10, 2),
        currency="MXN",
        total=Decimal("1160.00"),
    )
    Invoice.objects.filter(pk=second.pk).update(fiscal_uuid="0f3c2b1a-5d4e-4c3b-9a8f-7e6d5c4b3a21")
    posts = []

    def refuse(**kwargs):
        posts.append(kwargs["url"])
        raise requests.ConnectionError("no route to host")

    monkeypatch.setattr(sat_status.requests, "post", refuse)
    before = Activity.objects.count()
    result = _check(stamped_invoice.organization)
    assert len(posts) == 1
    assert (result["checked"], result["unavailable"]) == (2, 2)
    assert [row["outcome"] for row in result["invoices"]] == ["unavailable", "unavailable"]
    assert result["invoices"][1]["detail"] == "No se preguntó: el SAT no respondió."
    assert not SatStatusCheck.objects.exists()
    assert Activity.objects.count() == before


def test_other_countries_and_other_organisations_are_not_asked(stamped_invoice, org_b, sat):
    _register(sat, "cancelado")
    assert _check(org_b)["checked"] == 0
    assert sat.queries == []


def test_daily_job_and_command(stamped_invoice, sat):
    assert JOBS["cfdi-status"].target == "cartera.fiscal.tasks.check_cfdi_statuses"
    _register(sat, "en_proceso")
    org = stamped_invoice.organization
    result = check_cfdi_statuses.call(organization_id=org.pk, slot="2026-10-21T08:00:00+00:00")
    assert result["in_progress"] == 1
    assert SatStatusCheck.objects.get().checked_on == TODAY
    _register(sat, "cancelado")
    out = io.StringIO()
    call_command(
        "fiscal", "check-status", "--org", org.slug, "--date", "2026-10-22", "--json", stdout=out
    )
    assert json.loads(out.getvalue()) == {
        "organization": "norte",
        "checked": 1,
        "valid": 0,
        "in_progress": 0,
        "voided": 1,
        "not_found": 0,
        "unavailable": 0,
        "invoices": [
            {
                "invoice": "A-100",
                "uuid": UUID,
                "outcome": "voided",
                "state": "cancelado",
                "detail": "Cancelado con aceptación",
            }
        ],
    }
