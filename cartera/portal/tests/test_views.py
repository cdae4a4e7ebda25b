"""Access to the portal (tokens, signed message links, one-time codes) and its pages."""

import datetime as dt
from decimal import Decimal
from io import StringIO

from clabe import validate_clabe
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cartera.followup.models import Task
from cartera.invoices.models import Dispute
from cartera.invoices.services import create_invoice
from cartera.outreach.models import Message, MessageEvent
from cartera.payments.instructions import is_valid_reference, payment_reference, virtual_clabe
from cartera.payments.models import Payment
from cartera.portal import access
from cartera.portal.models import PortalCode, PortalSettings, PortalToken
from cartera.timeline.models import Activity, Notification


def test_token_is_long_stored_hashed_and_rotates(debtor_a):
    raw = access.issue_token(customer=debtor_a, actor=None)
    assert len(raw) >= 43  # 32 random bytes, base64url
    token = PortalToken.objects.get()
    assert token.token_hash != raw and len(token.token_hash) == 64
    second = access.issue_token(customer=debtor_a, actor=None)
    assert PortalToken.objects.filter(revoked_at__isnull=True).count() == 1
    assert access.find_token(raw, now=dt.datetime.now(dt.UTC)) is None
    assert access.find_token(second, now=dt.datetime.now(dt.UTC)).customer == debtor_a


def test_wrong_revoked_and_expired_links_get_a_plain_404(client, debtor_a, invoice_a):
    raw = access.issue_token(customer=debtor_a, actor=None)
    ok = client.get(f"/p/{raw}/")
    assert (ok.status_code, ok["Location"]) == (302, "/p/")
    page = client.get("/p/")
    assert "A-100" in page.content.decode()
    access.revoke_tokens(customer=debtor_a, actor=None)
    assert client.get("/p/").status_code == 404  # the open session dies with the token
    for url in (f"/p/{raw}/", "/p/not-a-token/"):
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 404
        assert "Distribuidora" not in body and "Tuerca" not in body
    expiring = access.issue_token(
        customer=debtor_a, actor=None, expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    )
    assert client.get(f"/p/{expiring}/").status_code == 404


def test_wrong_links_are_rate_limited(client, debtor_a):
    raw = access.issue_token(customer=debtor_a, actor=None)
    for n in range(access.BAD_TOKEN_LIMIT):
        client.get(f"/p/guess-{n}/")
    assert client.get(f"/p/{raw}/").status_code == 404  # even a right one, for a while


def test_per_message_link_records_the_click(client, debtor_a, invoice_a):
    message = Message.objects.create(
        organization=debtor_a.organization,
        key="dun-20261005-email-1",
        customer=debtor_a,
        channel="email",
        as_of=dt.date(2026, 10, 5),
        scheduled_for=dt.datetime.now(dt.UTC),
        status="sent",
    )
    link = access.message_link(organization_id=debtor_a.organization_id, message_key=message.key)
    response = client.get(link.replace("http://127.0.0.1:8000", ""))
    assert (response.status_code, response["Location"]) == (302, "/p/")
    assert list(MessageEvent.objects.values_list("kind", "source")) == [("clicked", "portal")]
    assert client.get("/p/").status_code == 200
    assert client.get("/p/m/forged-token/").status_code == 404


def test_one_time_code_mode(client, debtor_a, invoice_a):
    PortalSettings.objects.create(organization=debtor_a.organization, require_code=True)
    raw = access.issue_token(customer=debtor_a, actor=None)
    client.get(f"/p/{raw}/")
    assert client.get("/p/")["Location"] == "/p/codigo/"
    assert "A-100" not in client.get("/p/codigo/").content.decode()
    client.post("/p/codigo/", {"action": "send"})
    notice = Message.objects.get(purpose="access_code")
    assert notice.to == ["lucia@latuerca.mx"]
    code = notice.body_text.split("es ")[1][:6]
    assert (
        client.post(
            "/p/codigo/", {"action": "verify", "code": "000000" if code != "000000" else "111111"}
        ).status_code
        == 200
    )
    assert client.post("/p/codigo/", {"action": "verify", "code": code})["Location"] == "/p/"
    assert "A-100" in client.get("/p/").content.decode()
    assert PortalCode.objects.get().used_at is not None


def test_report_a_payment_through_the_page(portal_client, invoice_a, pdf_upload):
    client = portal_client(invoice_a.customer)
    form = client.get(f"/p/pago/?invoice={invoice_a.pk}").content.decode()
    assert f'value="{invoice_a.pk}" checked' in form
    response = client.post(
        "/p/pago/",
        {
            "invoices": [invoice_a.pk],
            "date": "2026-10-04",
            "method": "transfer",
            "reference": "SPEI-9",
            "proof": pdf_upload(),
        },
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.status, payment.reference, payment.amount) == (
        "reported",
        "SPEI-9",
        Decimal("11600.00"),
    )
    assert Activity.objects.filter(actor_kind="debtor", kind="payment_recorded").count() == 1


def test_one_reported_payment_is_one_timeline_entry_and_one_notification(
    portal_client, invoice_a, agent_a
):
    client = portal_client(invoice_a.customer)
    before = Activity.objects.order_by("-id").values_list("id", flat=True).first()
    response = client.post(
        "/p/pago/",
        {"invoices": [invoice_a.pk], "date": "2026-10-04", "method": "transfer", "reference": "X"},
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    after = Activity.objects.filter(id__gt=before).order_by("id")
    entries = list(after.values_list("kind", "actor_kind"))
    assert entries == [("payment_recorded", "debtor"), ("task", "system")]
    assert Activity.objects.get(kind="payment_recorded").data["payment_id"] == payment.pk
    notes = list(Notification.objects.values_list("user_id", "kind"))
    assert notes == [(agent_a.pk, "reported_payment")]


def test_accepting_a_reported_payment_closes_its_task_on_the_timeline(
    portal_client, login, invoice_a, manager_a
):
    portal_client(invoice_a.customer).post(
        "/p/pago/",
        {"invoices": [invoice_a.pk], "date": "2026-10-04", "method": "transfer", "reference": "X"},
    )
    payment = Payment.objects.get()
    task = Task.objects.get(key=f"reported-payment:{payment.pk}")
    response = login(manager_a).post(f"/review/payments/{payment.pk}/", {"decision": "accept"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == "done"
    done = Activity.objects.filter(kind="task", data__task_id=task.pk).order_by("id")
    assert [(a.summary, a.actor_user_id) for a in done] == [
        (f"Tarea: {task.title}", None),
        (f"Tarea hecha: {task.title}", manager_a.pk),
    ]
    assert Message.objects.get(key=f"payment-received:{payment.pk}").status == "queued"


def test_agent_may_not_accept_or_reject_a_reported_payment(
    portal_client, login, invoice_a, agent_a
):
    """docs/roles.md: confirming a debtor's payment is for owners and managers; the agent
    gets 403, the review page offers them no buttons, and nothing changes."""
    portal_client(invoice_a.customer).post(
        "/p/pago/",
        {"invoices": [invoice_a.pk], "date": "2026-10-04", "method": "transfer", "reference": "X"},
    )
    payment = Payment.objects.get()
    client = login(agent_a)
    for data in ({"decision": "accept"}, {"decision": "reject", "reason": "No llegó"}):
        response = client.post(f"/review/payments/{payment.pk}/", data)
        assert response.status_code == 403
    payment.refresh_from_db()
    assert (payment.status, payment.allocations.count()) == ("reported", 0)
    assert Task.objects.get(key=f"reported-payment:{payment.pk}").status == "open"
    assert not Message.objects.filter(purpose__in=["payment_received", "payment_rejected"])
    page = client.get("/review/").content.decode()
    assert f'data-payment="{payment.pk}"' in page
    assert 'value="accept"' not in page and 'value="reject"' not in page


def test_review_page_offers_each_role_only_what_it_may_do(login, invoice_a, agent_a, manager_a):
    """Resolving a dispute (a credit note, voiding the invoice or rejecting it) is a
    manager's (docs/roles.md: resolve_disputes)."""
    Dispute.objects.create(organization=invoice_a.organization, invoice=invoice_a, reason="x")
    agent_page = login(agent_a).get("/review/").content.decode()
    for outcome in ("reject", "credit_note", "void"):
        assert f'value="{outcome}"' not in agent_page
    manager_page = login(manager_a).get("/review/").content.decode()
    for outcome in ("reject", "credit_note", "void"):
        assert f'value="{outcome}"' in manager_page


def test_other_customers_invoices_are_invisible(portal_client, invoice_a, invoice_b, debtor_b):
    client = portal_client(debtor_b)
    assert client.get(f"/p/facturas/{invoice_a.pk}/aclaracion/").status_code == 404
    client.post(
        "/p/pago/", {"invoices": [invoice_a.pk], "date": "2026-10-04", "method": "transfer"}
    )
    assert Payment.objects.count() == 0


def test_statement_pdf_and_english(portal_client, invoice_a):
    customer = invoice_a.customer
    customer.language = "en"
    customer.save()
    client = portal_client(customer)
    pdf = client.get("/p/estado-de-cuenta.pdf")
    assert (pdf.status_code, pdf["Content-Type"], pdf.content[:5]) == (
        200,
        "application/pdf",
        b"%PDF-",
    )
    page = client.get("/p/")
    html = page.content.decode()
    assert page.headers["Content-Language"] == "en" and '<html lang="en"' in html
    assert "Statement" in html and "Estado de cuenta" not in html


def test_statement_with_50_invoices_has_flat_queries(portal_client, debtor_a):

    for n in range(50):
        create_invoice(
            customer=debtor_a,
            actor=None,
            external_id=f"X-{n}",
            number=f"X-{n}",
            issue_date=dt.date(2026, 8, 1),
            due_date=dt.date(2026, 9, 1) + dt.timedelta(days=n),
            currency="MXN",
            total=Decimal("100.00"),
        )
    client = portal_client(debtor_a)
    client.get("/p/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/p/")
    assert response.content.decode().count('name="invoice"') == 50
    # Exactly 15 with 50 invoices (timing it is cartera/ops/bench/portal.py's job): session,
    # portal token, customer (3); the open invoices, their disputes, their reported
    # payments, their attachments (4); recent payments, credit notes, portal settings (3);
    # the factoring setting (1); payment plans, discounts offered, plan policy (3); the
    # customer's documents (1).
    assert len(queries) == 15


def test_references():
    reference = payment_reference(organization_id=1, customer_id=42)
    assert (reference, is_valid_reference(reference)) == ("000100000421", True)
    assert not is_valid_reference("000100000422")
    clabe = virtual_clabe(prefix="646180", customer_id=42)

    assert (clabe, len(clabe), validate_clabe(clabe)) == (clabe, 18, True)
    assert clabe.startswith("64618000000000042")
    assert virtual_clabe(prefix="", customer_id=42) is None


def test_portal_link_command(debtor_a):
    out = StringIO()
    call_command("portal", "link", "--org", "norte", "--customer", "CLI-001", stdout=out)
    url = out.getvalue().strip()
    assert url.startswith("http://127.0.0.1:8000/p/")
    raw = url.rsplit("/", 2)[-2]
    assert access.find_token(raw, now=dt.datetime.now(dt.UTC)).customer == debtor_a


def test_a_debtors_proof_is_always_a_download(portal_client, invoice_a, pdf_upload, login, agent_a):
    client = portal_client(invoice_a.customer)
    client.post(
        "/p/pago/",
        {
            "invoices": [invoice_a.pk],
            "date": "2026-10-04",
            "method": "transfer",
            "reference": "SPEI-9",
            "proof": pdf_upload(),
        },
    )
    proof = Payment.objects.get().proofs.get()
    response = login(agent_a).get(f"/review/proofs/{proof.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
