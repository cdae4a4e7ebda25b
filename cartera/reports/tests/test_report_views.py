import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import translation
from freezegun import freeze_time
from openpyxl import load_workbook

from cartera.customers.services import create_customer
from cartera.invoices.services import create_invoice
from cartera.lib.exports import pdf_html
from cartera.lib.money import format_money
from cartera.reports import tables
from cartera.reports.forecast import forecast

from .exporting import export_in_background
from .ledger_story import build_story, invoice

D = Decimal


@pytest.fixture
def story(debtor_a):
    return build_story(debtor_a)


def test_aging_page_shows_totals_and_chart_data(login, owner_a, story):
    response = login(owner_a).get("/reports/aging/?as_of=2026-03-31")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-total="MXN">4,500.00' in html
    assert 'data-total="USD">500.00' in html
    assert 'id="chart-aging" type="application/json"' in html
    assert "<script>" not in html.replace("<script src=", "")  # nothing inline (CSP)


def test_aging_xlsx_has_real_numbers(login, owner_a, story):
    response = login(owner_a).get("/reports/aging/?as_of=2026-03-31&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2] == (
        "Moneda",
        "Por vencer",
        "1–30",
        "31–60",
        "61–90",
        "90+",
        "Total",
        "Capital",
        "Intereses",
        "Gastos de cobranza",
    )
    assert rows[3] == ("MXN", 3000, 1500, 0, 0, 0, 4500, 4500, 0, 0)
    assert sheet.cell(row=4, column=2).number_format == "#,##0.00"
    assert isinstance(sheet.cell(row=4, column=2).value, (int, float))


def test_drilldown_csv_and_pdf(login, owner_a, story):
    client = login(owner_a)
    response = client.get(
        "/reports/aging/invoices/?as_of=2026-03-31&bucket=1_30&currency=MXN&format=csv"
    )
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines == [
        "Folio,Cliente,Emisión,Vencimiento,Moneda,Total,Saldo a la fecha,Días vencida",
        "F2,Ferretería La Tuerca,2026-02-01,2026-03-03,MXN,2000.00,1500.00,28",
    ]
    pdf = client.get("/reports/aging/invoices/?as_of=2026-03-31&bucket=1_30&format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_kpis_page_and_xlsx_dates(login, owner_a, story):
    client = login(owner_a)
    html = client.get("/reports/kpis/?from=2026-03-01&to=2026-03-31").content.decode()
    assert 'data-currency="MXN"' in html and "55.8" in html and "28.6" in html
    assert "CEI = (cartera inicial + S" in html
    assert '"mar 2026"]' in html and '"2026-03"' not in html  # the trend chart's last month
    job, content = export_in_background(
        client, f"/reports/customers/{story['F1'].customer_id}/?as_of=2026-03-31&format=xlsx"
    )
    assert (job.source, job.params["as_of"]) == ("customer_statement", "2026-03-31")
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet["B4"].is_date and sheet["B4"].number_format == "dd/mm/yyyy"
    first = list(sheet.iter_rows(min_row=4, max_row=4, values_only=True))[0]
    assert first[:7] == (
        "F1",
        dt.datetime(2026, 1, 1),
        dt.datetime(2026, 1, 31),
        "MXN",
        1000,
        0,
        dt.datetime(2026, 3, 20),
    )
    assert first[7:] == (78, 48, "Capital")


def test_customers_and_invoice_story_pages(login, owner_a, story):
    client = login(owner_a)
    html = client.get("/reports/customers/?as_of=2026-03-31").content.decode()
    assert "Ferretería La Tuerca" in html and 'id="chart-classes"' in html
    html = client.get(f"/reports/invoices/{story['F1'].pk}/").content.decode()
    assert '<span class="kpi-value" data-days-to-pay>78</span>' in html
    assert "48 días de atraso" in html


def test_agent_restricted_sees_only_assigned_customers(login, org_a, agent2_a, story):
    org_a.agents_see_only_assigned = True
    org_a.save()
    mine = create_customer(
        organization=org_a,
        actor=None,
        external_id="CLI-077",
        name="Papelería Alberto",
        assigned_agent=agent2_a,
    )
    invoice(mine, "Z1", dt.date(2026, 3, 1), dt.date(2026, 3, 31), "50.00")
    client = login(agent2_a)
    response = client.get("/reports/aging/?as_of=2026-03-31&format=csv")
    assert response.content.decode("utf-8-sig").splitlines()[1:] == [
        "MXN,50.00,0.00,0.00,0.00,0.00,50.00,50.00,0.00,0.00"
    ]
    assert client.get(f"/reports/invoices/{story['F1'].pk}/").status_code == 404
    assert client.get(f"/reports/customers/{story['F1'].customer_id}/").status_code == 404


def test_other_organisation_cannot_open_reports_of_a(login, owner_b, story):
    client = login(owner_b)
    assert client.get(f"/reports/invoices/{story['F1'].pk}/").status_code == 404
    csv = client.get("/reports/aging/?as_of=2026-03-31&format=csv").content.decode("utf-8-sig")
    assert csv.splitlines() == [
        "Moneda,Por vencer,1–30,31–60,61–90,90+,Total,Capital,Intereses,Gastos de cobranza"
    ]


def test_forecast_and_effectiveness_pages(login, owner_a, story):
    client = login(owner_a)
    html = client.get("/reports/forecast/?as_of=2026-03-31").content.decode()
    assert 'data-weeks="MXN"' in html and 'data-weeks="USD"' in html
    assert 'id="forecast-MXN" type="application/json"' in html
    _job, content = export_in_background(client, "/reports/forecast/?as_of=2026-03-31&format=csv")
    csv = content.decode("utf-8-sig")
    assert sorted(line.split(",")[0] for line in csv.splitlines()[1:]) == ["F2", "F3", "F5"]
    response = client.get("/reports/effectiveness/?from=2026-03-01&to=2026-03-31")
    assert response.status_code == 200
    assert "No se enviaron mensajes en el periodo." in response.content.decode()


def test_forecast_pdf_is_built_in_the_background(login, owner_a, story):
    client = login(owner_a)
    response = client.get("/reports/forecast/?as_of=2026-03-31&format=pdf")
    assert response.status_code == 302 and "/reports/exports/new/" in response["Location"]
    job, content = export_in_background(client, "/reports/forecast/?as_of=2026-03-31&format=pdf")
    assert content.startswith(b"%PDF") and job.filename.startswith("pronostico-")


def test_invoice_story_export_writes_local_times(login, owner_a, debtor_a):
    with freeze_time("2026-11-30 03:30:00"):  # UTC: still the 29th, 21:30, in Monterrey
        created = create_invoice(
            customer=debtor_a,
            actor=None,
            external_id="T-1",
            number="T-1",
            issue_date=dt.date(2026, 11, 1),
            due_date=dt.date(2026, 12, 1),
            total="100.00",
        )
    response = login(owner_a).get(f"/reports/invoices/{created.pk}/?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A3"].value == dt.datetime(2026, 11, 29, 21, 30)


def test_forecast_pdf_carries_the_weekly_chart_and_summary(org_a, story):
    data = forecast(organization=org_a, as_of=dt.date(2026, 3, 31))
    table = tables.forecast_table(data, organization=org_a, scope=None, as_of=dt.date(2026, 3, 31))
    with translation.override("es-mx"):
        html = pdf_html(table)
    first = data["weeks"]["MXN"][0]
    assert first.start == dt.date(2026, 3, 31)
    assert html.count("<svg") == 2  # one chart per currency, drawn on the server
    assert 'aria-label="Cobranza esperada por semana · MXN"' in html
    assert "<h2>Cobranza esperada por semana · USD</h2>" in html
    assert ">31/03/2026</text>" in html  # the chart's first week on its axis
    summary = html[html.index("<h2>Cobranza esperada por semana · MXN</h2>") :]
    assert summary.index("<td>31/03/2026</td>") < summary.index("</table>")
    expected = format_money(first.expected, "MXN")
    assert f'<td>31/03/2026</td><td class="num">{expected}</td>' in summary
    assert "Al 31/03/2026 · 13 semanas" in html and "2026-03-31" not in html


def test_forecast_page_chart_labels_are_short_dates(login, owner_a, story):
    html = login(owner_a).get("/reports/forecast/?as_of=2026-03-31").content.decode()
    assert '"labels": ["31/03/2026", "07/04/2026"' in html
