import datetime as dt
import io
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management import call_command

from cartera.customers.models import Contact, Customer
from cartera.dunning.models import Strategy
from cartera.followup.models import PromiseToPay
from cartera.invoices.models import CreditNote, Dispute, Invoice
from cartera.lib.identifiers import normalize_phone, normalize_tax_id
from cartera.lib.money import round_money
from cartera.orgs.models import Membership, Organization
from cartera.payments.ledger import check_ledger
from cartera.payments.models import Payment
from cartera.timeline.integrity import verify_chain
from cartera.timeline.models import Activity

TODAY = "2026-11-22"


def _demo():
    out = io.StringIO()
    call_command("demo", "--no-serve", "--size", "small", "--today", TODAY, stdout=out)
    return out.getvalue()


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (Organization, Customer, Contact, Invoice, Payment, CreditNote, Activity)
    } | {"users": get_user_model().objects.count()}


def test_demo_is_idempotent_and_its_ledger_is_exact(db):
    first = _demo()
    org = Organization.objects.get(slug="demo")
    assert (org.name, org.country, org.default_currency, org.timezone) == (
        "Distribuidora Ejemplo S.A. de C.V.",
        "MX",
        "MXN",
        "America/Mexico_City",
    )
    assert normalize_tax_id(org.tax_id, "MX") == org.tax_id
    assert "Organización demo creada" in first
    assert "usuario demo  contraseña Demo-Cartera-2026" in first
    assert "usuario agente  contraseña Agente-Cartera-2026" in first
    assert "Organización: demo" in first
    assert "Correo enviado (visor): http://127.0.0.1:8000/outreach/mail/" in first
    assert "/dunning/run-now/" in first
    assert "/accounts/login/" in first
    before = _counts()
    assert before["Customer"] == 24 and before["Invoice"] == 240
    second = _demo()
    assert "ya existe; no se creó nada nuevo" in second
    assert _counts() == before
    result = check_ledger(organization=org)
    assert result["ok"] is True, result["mismatches"][:3]
    # The back-dated history and the services' entries form one valid chain.
    chain = verify_chain(organization_id=org.pk)
    assert (chain["ok"], chain["entries"]) == (True, before["Activity"])


def test_demo_data_is_realistic(db):
    _demo()
    org = Organization.objects.get(slug="demo")
    roles = dict(Membership.objects.filter(organization=org).values_list("user__username", "role"))
    assert roles == {"demo": "owner", "agente": "agent"}
    customers = Customer.objects.filter(organization=org)
    assert customers.filter(assigned_agent__username="agente").count() == 12
    for customer in customers:
        assert normalize_tax_id(customer.tax_id, "MX") == customer.tax_id
    for contact in Contact.objects.filter(organization=org):
        assert normalize_phone(contact.mobile_phone, "MX") == contact.mobile_phone
        assert contact.mobile_phone.startswith("+52") and "@" in contact.email
    invoices = Invoice.objects.filter(organization=org)
    assert invoices.filter(issue_date__gt=dt.date(2026, 11, 22)).count() == 0
    assert {(i.due_date - i.issue_date).days for i in invoices} <= {30, 45, 60}
    assert invoices.filter(status="paid").exists() and invoices.filter(status="open").exists()
    # Totals are IVA-inclusive: some whole-cent subtotal × 1.16, rounded half-up, gives them.
    for invoice in invoices:
        subtotal = (invoice.total / Decimal("1.16")).quantize(Decimal("0.01"))
        assert round_money(subtotal * Decimal("1.16"), "MXN") == invoice.total
    kinds = set(Activity.objects.filter(organization=org).values_list("kind", flat=True))
    assert {
        "customer_created",
        "invoice_created",
        "payment_recorded",
        "payment_allocated",
        "invoice_paid",
        "credit_note_applied",
        "dispute",
        "promise",
    } <= kinds
    assert CreditNote.objects.filter(organization=org).count() >= 3
    # The collection engine has real work to show: strategies, disputes, promises, a
    # payment waiting for review.

    assert sorted(Strategy.objects.filter(organization=org).values_list("key", flat=True)) == [
        "estandar",
        "firme",
        "suave",
    ]
    assert Dispute.objects.filter(organization=org, status="open").count() == 6
    assert PromiseToPay.objects.filter(organization=org, status="open").count() == 4
    assert Payment.objects.filter(organization=org, status="reported").count() == 2
