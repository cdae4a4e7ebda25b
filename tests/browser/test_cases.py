"""A manager opens a case from the customer page and downloads the dossier; the agency's
user signs in, sees the case and logs a payment on it; the payment waits for review until
the manager confirms it on the case page, and only then counts for the commission."""

import io
import zipfile
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from cartera.cases.models import Case
from cartera.cases.services import save_assignee
from cartera.invoices.models import Invoice
from cartera.orgs.models import Membership
from cartera.payments.models import Payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_opens_a_case_and_the_agency_logs_a_payment(
    page, log_in, org_a, owner_a, manager_a, collaborator_a, debtor_a, invoice_a
):
    agency = save_assignee(
        organization=org_a,
        actor=owner_a,
        name="Cobranza Legal del Norte",
        kind="agency",
        commission_rate=Decimal("10"),
    )
    agency.members.add(Membership.objects.get(user=collaborator_a))

    log_in("mario_manager")
    page.goto(f"/customers/{debtor_a.pk}/")
    page.get_by_role("link", name="Abrir caso").click()
    page.select_option('select[name="assignee"]', str(agency.pk))
    page.get_by_label("A-100").check()
    page.get_by_role("button", name="Abrir caso").click()
    expect(page.locator("h1")).to_contain_text("CASO-00001")
    case = Case.objects.get()
    assert Invoice.objects.get(pk=invoice_a.pk).in_case is True
    with page.expect_download() as info:
        page.locator("[data-dossier]").click()
    download = info.value
    assert download.suggested_filename == "CASO-00001.zip"
    names = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read())).namelist()
    assert names[0] == "index.pdf" and names[-1] == "manifest.json"

    page.context.clear_cookies()
    log_in("rita_collaborator")
    expect(page.locator(f'[data-case="{case.pk}"]')).to_contain_text("CASO-00001")
    page.get_by_role("link", name="CASO-00001").click()
    form = page.locator("[data-payment-form]")
    form.locator('input[name="amount"]').fill("1000.00")
    form.get_by_role("button", name="Registrar pago").click()
    payment = Payment.objects.get(case_link__case=case)
    pending = page.locator(f'[data-pending-payment="{payment.pk}"]')
    expect(pending).to_contain_text("1,000.00")
    expect(pending).to_contain_text("Pendiente de revisión por la empresa.")
    expect(page.locator(f'[data-balance="{invoice_a.pk}"]')).to_contain_text("11,600.00")
    expect(page.locator("[data-commission]")).to_have_count(0)
    assert payment.status == "reported"
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("11600.00")

    page.context.clear_cookies()
    log_in("mario_manager")
    page.goto(f"/cases/{case.pk}/")
    pending = page.locator(f'[data-pending-payment="{payment.pk}"]')
    pending.get_by_role("button", name="Confirmar pago").click()
    expect(page.locator(f'[data-balance="{invoice_a.pk}"]')).to_contain_text("10,600.00")
    expect(page.locator("[data-commission]")).to_contain_text("100.00")
    expect(page.locator("[data-pending-payment]")).to_have_count(0)
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("10600.00")
    assert Payment.objects.get(pk=payment.pk).status == "confirmed"
