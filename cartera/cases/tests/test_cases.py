"""Cases: opening stops dunning at once, the planner skips while open, collaborators see
only their cases, the dossier is exact and reproducible, every write checks permission."""

import datetime as dt
import hashlib
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from cartera.cases.dossier import build_dossier
from cartera.cases.models import Assignee, Case
from cartera.cases.selectors import case_promises, case_timeline
from cartera.cases.services import (
    change_state,
    commission,
    confirm_case_payment,
    make_case_promise,
    open_case,
    pending_payments,
    record_case_payment,
    recovered,
    reject_case_payment,
    save_assignee,
)
from cartera.dunning.services import run_planner
from cartera.followup.models import PromiseToPay, Task
from cartera.invoices.models import Invoice
from cartera.orgs.services import create_member
from cartera.outreach.models import Message
from cartera.payments.models import Allocation, Payment
from cartera.testing.fixtures import planner_reasons
from cartera.timeline.models import Activity

D = dt.date
NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
TODAY = D(2026, 10, 6)  # invoice_a is 5 days overdue: its first overdue reminder


@pytest.fixture
def agency(org_a, owner_a):
    return save_assignee(
        organization=org_a,
        actor=owner_a,
        name="Cobranza Legal del Norte",
        kind="agency",
        contact_name="Lic. Ruiz",
        contact_email="ruiz@cln.mx",
        commission_rate=Decimal("15"),
    )


@pytest.fixture
def collaborator(org_a, agency):
    user, membership = create_member(
        organization=org_a,
        username="rita_agency",
        email="rita@cln.mx",
        role="collaborator",
        password="x-Secret-123",
    )
    agency.members.add(membership)
    return user


def _open(invoice, assignee, actor):
    return open_case(
        customer=invoice.customer,
        invoices=[invoice],
        assignee=assignee,
        actor=actor,
        today=TODAY,
        now=NOW,
    )


def test_opening_a_case_cancels_queued_reminders_at_once(
    strategies_a, invoice_a, agency, manager_a
):
    run_planner(organization=invoice_a.organization, as_of=TODAY, dry_run=False, now=NOW)
    message = Message.objects.get(purpose="dunning")
    assert message.status == "queued"
    case = _open(invoice_a, agency, manager_a)
    message.refresh_from_db()
    assert message.status == "cancelled"
    assert message.status_reason == (
        "Factura turnada a cobranza externa o judicial: la cobranza automática se detuvo."
    )
    assert Invoice.objects.get(pk=invoice_a.pk).in_case is True
    assert (case.number, case.state, case.opened_on) == ("CASO-00001", "preparing", TODAY)
    assert Activity.objects.filter(kind="case", data__case_id=case.pk).count() == 1


def test_planner_skips_while_open_and_resumes_after_returned(
    strategies_a, invoice_a, agency, manager_a
):
    org = invoice_a.organization
    case = _open(invoice_a, agency, manager_a)
    assert planner_reasons(org, TODAY, now=NOW) == [("F-100", "skip", "in_case")]
    change_state(case=case, state="sent", actor=manager_a, day=TODAY)
    assert planner_reasons(org, TODAY, now=NOW) == [("F-100", "skip", "in_case")]
    change_state(case=case, state="returned", actor=manager_a, day=TODAY, note="sin avance")
    assert planner_reasons(org, TODAY, now=NOW) == [("F-100", "send", None)]
    assert list(case.changes.values_list("state", flat=True)) == ["preparing", "sent", "returned"]


def test_settled_and_written_off_keep_invoices_out_of_dunning(
    strategies_a, invoice_a, agency, manager_a
):
    case = _open(invoice_a, agency, manager_a)
    change_state(case=case, state="written_off", actor=manager_a, day=TODAY)
    assert planner_reasons(invoice_a.organization, TODAY, now=NOW) == [("F-100", "skip", "in_case")]
    entry = Activity.objects.get(data__written_off="11600.00")
    assert entry.data["currency"] == "MXN"
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("11600.00")  # ledger untouched
    with pytest.raises(ValidationError):
        change_state(case=case, state="sent", actor=manager_a, day=TODAY)


def test_invoice_cannot_be_in_two_cases(invoice_a, agency, manager_a):
    _open(invoice_a, agency, manager_a)
    with pytest.raises(ValidationError) as exc:
        _open(Invoice.objects.get(pk=invoice_a.pk), agency, manager_a)
    assert list(exc.value.message_dict) == ["invoices"]
    assert Case.objects.count() == 1


@pytest.mark.parametrize("who", ["agent_a", "viewer_a", "collaborator"])
def test_only_managers_open_cases_and_change_state(request, invoice_a, agency, manager_a, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        _open(invoice_a, agency, user)
    assert Case.objects.count() == 0
    case = _open(invoice_a, agency, manager_a)
    with pytest.raises(PermissionDenied):
        change_state(case=case, state="sent", actor=user, day=TODAY)
    with pytest.raises(PermissionDenied):
        save_assignee(organization=invoice_a.organization, actor=user, name="X", kind="agency")
    case.refresh_from_db()
    assert case.state == "preparing" and Assignee.objects.count() == 1


def test_viewer_cannot_log_payments(invoice_a, agency, manager_a, viewer_a):
    case = _open(invoice_a, agency, manager_a)
    with pytest.raises(PermissionDenied):
        record_case_payment(case=case, actor=viewer_a, date=TODAY, amount=Decimal("1"), today=TODAY)
    assert Payment.objects.count() == 0


def test_manager_payment_is_applied_at_once(invoice_a, agency, manager_a):
    case = _open(invoice_a, agency, manager_a)
    payment = record_case_payment(
        case=case, actor=manager_a, date=TODAY, amount=Decimal("1000.00"), today=TODAY
    )
    assert payment.status == "confirmed"
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("10600.00")
    assert commission(case) == {"MXN": Decimal("150.00")}
    assert list(pending_payments(case)) == []


def test_collaborator_payment_waits_for_review_and_then_feeds_commission(
    invoice_a, agency, manager_a, collaborator
):
    case = _open(invoice_a, agency, manager_a)
    payment = record_case_payment(
        case=case, actor=collaborator, date=TODAY, amount=Decimal("1000.00"), today=TODAY
    )
    assert payment.status == "reported" and payment.allocations.count() == 0
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("11600.00")
    assert (recovered(case), commission(case)) == ({}, {})
    assert list(pending_payments(case)) == [payment]
    assert Task.objects.get(key=f"reported-payment:{payment.pk}").status == "open"
    with pytest.raises(ValidationError):
        record_case_payment(
            case=case, actor=collaborator, date=TODAY, amount=Decimal("20000"), today=TODAY
        )
    with pytest.raises(ValidationError):
        record_case_payment(
            case=case, actor=collaborator, date=D(2026, 10, 7), amount=Decimal("1"), today=TODAY
        )
    assert Payment.objects.count() == 1

    confirm_case_payment(case=case, payment_id=payment.pk, actor=manager_a)
    payment.refresh_from_db()
    assert payment.status == "confirmed"
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("10600.00")
    assert recovered(case) == {"MXN": Decimal("1000.00")}
    assert commission(case) == {"MXN": Decimal("150.00")}
    assert list(pending_payments(case)) == []
    assert Task.objects.get(key=f"reported-payment:{payment.pk}").status == "done"
    with pytest.raises(ValidationError):  # confirmed once only
        confirm_case_payment(case=case, payment_id=payment.pk, actor=manager_a)
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("10600.00")


def test_only_confirmed_collaborator_payments_count(invoice_a, agency, manager_a, collaborator):
    case = _open(invoice_a, agency, manager_a)
    first, second, third = (
        record_case_payment(case=case, actor=collaborator, date=TODAY, amount=amount, today=TODAY)
        for amount in (Decimal("1000.00"), Decimal("333.33"), Decimal("2500.00"))
    )
    confirm_case_payment(case=case, payment_id=first.pk, actor=manager_a)
    confirm_case_payment(case=case, payment_id=third.pk, actor=manager_a)
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("8100.00")
    assert recovered(case) == {"MXN": Decimal("3500.00")}
    assert commission(case) == {"MXN": Decimal("525.00")}
    assert list(pending_payments(case)) == [second]


def test_rejected_collaborator_payment_changes_no_balance(
    invoice_a, agency, manager_a, collaborator
):
    case = _open(invoice_a, agency, manager_a)
    payment = record_case_payment(
        case=case, actor=collaborator, date=TODAY, amount=Decimal("1000.00"), today=TODAY
    )
    with pytest.raises(ValidationError):
        reject_case_payment(case=case, payment_id=payment.pk, actor=manager_a, reason=" ")
    reject_case_payment(
        case=case, payment_id=payment.pk, actor=manager_a, reason="No aparece en el banco"
    )
    payment.refresh_from_db()
    assert (payment.status, payment.rejection_reason) == ("rejected", "No aparece en el banco")
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("11600.00")
    assert Allocation.objects.count() == 0
    assert (recovered(case), commission(case)) == ({}, {})
    assert list(pending_payments(case)) == []
    with pytest.raises(ValidationError):
        confirm_case_payment(case=case, payment_id=payment.pk, actor=manager_a)
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("11600.00")


@pytest.mark.parametrize("who", ["agent_a", "viewer_a", "collaborator"])
def test_only_owners_and_managers_review_collaborator_payments(
    request, invoice_a, agency, manager_a, collaborator, who
):
    case = _open(invoice_a, agency, manager_a)
    payment = record_case_payment(
        case=case, actor=collaborator, date=TODAY, amount=Decimal("1000.00"), today=TODAY
    )
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        confirm_case_payment(case=case, payment_id=payment.pk, actor=user)
    with pytest.raises(PermissionDenied):
        reject_case_payment(case=case, payment_id=payment.pk, actor=user, reason="no")
    payment.refresh_from_db()
    assert payment.status == "reported"
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("11600.00")


def test_collaborator_cannot_log_on_another_assignees_case(
    invoice_a, org_a, owner_a, manager_a, collaborator
):
    other = save_assignee(organization=org_a, actor=owner_a, name="Otro Despacho", kind="law_firm")
    case = _open(invoice_a, other, manager_a)
    with pytest.raises(PermissionDenied):
        record_case_payment(
            case=case, actor=collaborator, date=TODAY, amount=Decimal("1"), today=TODAY
        )
    assert Payment.objects.count() == 0


def test_manager_reviews_on_the_case_page(login, invoice_a, agency, manager_a, collaborator):
    case = _open(invoice_a, agency, manager_a)
    payment = record_case_payment(
        case=case, actor=collaborator, date=TODAY, amount=Decimal("1000.00"), today=TODAY
    )
    client = login(manager_a)
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert f'data-pending-payment="{payment.pk}"'.encode() in page.content
    url = reverse("cases:payment_review", args=[case.pk, payment.pk])
    answer = client.post(url, {"decision": "reject", "reason": ""})
    assert answer.status_code == 400
    assert answer.context["review_form"].errors == {"reason": ["Indique el motivo del rechazo."]}
    assert Payment.objects.get(pk=payment.pk).status == "reported"
    answer = client.post(url, {"decision": "confirm"})
    assert answer.status_code == 302
    assert Payment.objects.get(pk=payment.pk).status == "confirmed"
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("10600.00")


def test_collaborator_sees_only_its_cases(
    login, invoice_a, second_invoice_a, agency, manager_a, collaborator, org_a, owner_a
):
    other = save_assignee(organization=org_a, actor=owner_a, name="Otro Despacho", kind="law_firm")
    mine = _open(invoice_a, agency, manager_a)
    theirs = _open(second_invoice_a, other, manager_a)
    client = login(collaborator)
    page = client.get(reverse("cases:list"))
    assert page.status_code == 200
    assert mine.number.encode() in page.content and theirs.number.encode() not in page.content
    assert client.get(reverse("cases:detail", args=[theirs.pk])).status_code == 404
    before = Payment.objects.count()
    answer = client.post(
        reverse("cases:payment", args=[theirs.pk]), {"date": "2026-10-06", "amount": "5"}
    )
    assert answer.status_code == 404 and Payment.objects.count() == before
    assert client.get(reverse("customers:list")).status_code == 403
    assert client.get(reverse("cases:dossier", args=[mine.pk])).status_code == 403
    answer = client.post(
        reverse("cases:payment", args=[mine.pk]), {"date": "2026-10-06", "amount": "5"}
    )
    assert answer.status_code == 302 and Payment.objects.count() == before + 1


def test_manager_opens_a_case_from_the_page(login, invoice_a, agency, manager_a):
    client = login(manager_a)
    url = reverse("cases:open", args=[invoice_a.customer_id])
    answer = client.post(url, {"assignee": agency.pk})
    assert answer.status_code == 200 and Case.objects.count() == 0
    assert "invoices" in answer.context["form"].errors
    answer = client.post(url, {"assignee": agency.pk, "invoices": [invoice_a.pk]})
    case = Case.objects.get()
    assert answer.status_code == 302 and list(case.invoices.all()) == [invoice_a]


def test_dossier_has_the_expected_files_and_is_reproducible(invoice_a, agency, manager_a):
    case = _open(invoice_a, agency, manager_a)
    first = build_dossier(case, as_of=TODAY)
    second = build_dossier(Case.objects.get(pk=case.pk), as_of=TODAY)
    assert first == second
    archive = zipfile.ZipFile(io.BytesIO(first))
    names = archive.namelist()
    assert names == [
        "index.pdf",
        "statement.json",
        "messages.json",
        "calls.json",
        "promises.json",
        "disputes.json",
        "payments.json",
        "cfdi-delivery.json",
        "timeline-proof.json",
        "manifest.json",
    ]
    manifest = json.loads(archive.read("manifest.json"))
    assert [f["name"] for f in manifest["files"]] == names[:-1]
    for entry in manifest["files"]:
        assert entry["sha256"] == hashlib.sha256(archive.read(entry["name"])).hexdigest()
    assert archive.getinfo("index.pdf").date_time == (2026, 10, 6, 0, 0, 0)
    statement = json.loads(archive.read("statement.json"))
    assert [(r["number"], r["balance"], r["days_overdue"]) for r in statement] == [
        ("A-100", "11600.00", 5)
    ]
    assert build_dossier(case, as_of=D(2026, 10, 7)) != first


def test_dossier_command_writes_the_same_zip(tmp_path, invoice_a, agency, manager_a):
    case = _open(invoice_a, agency, manager_a)
    out = tmp_path / "caso.zip"
    call_command("cases", "dossier", str(case.pk), "--out", str(out), "--as-of", "2026-10-06")
    assert out.read_bytes() == build_dossier(case, as_of=TODAY)


@pytest.mark.parametrize("who", ["manager_a", "agent_a", "collaborator"])
def test_promise_from_the_case_page(request, monkeypatch, login, invoice_a, agency, manager_a, who):
    monkeypatch.setattr("cartera.cases.views._today", lambda request: TODAY)
    case = _open(invoice_a, agency, manager_a)
    user = request.getfixturevalue(who)
    client = login(user)
    url = reverse("cases:promise", args=[case.pk])
    answer = client.post(url, {"promised_date": "2026-10-20", "amount": "99999"})
    assert answer.status_code == 400 and PromiseToPay.objects.count() == 0
    assert list(answer.context["promise_form"].errors) == ["amount"]
    answer = client.post(
        url, {"promised_date": "2026-10-20", "amount": "4000.00", "notes": "con el despacho"}
    )
    assert answer.status_code == 302
    promise = PromiseToPay.objects.get()
    assert (promise.promised_date, promise.amount, promise.currency, promise.source) == (
        D(2026, 10, 20),
        Decimal("4000.00"),
        "MXN",
        "agent",
    )
    assert list(promise.invoices.all()) == [invoice_a] and promise.created_by == user
    entry = Activity.objects.get(kind="promise", data__promise_id=promise.pk)
    assert entry.customer_id == invoice_a.customer_id  # the customer's timeline
    assert entry.summary == "Promesa de pago de 4,000.00 MXN para el 20/10/2026 (A-100)"
    assert list(case_timeline(case).filter(kind="promise")) == [entry]  # and the case's
    assert list(case_promises(case)) == [promise]
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert f'data-promise="{promise.pk}"'.encode() in page.content


def test_collaborator_promises_only_on_its_cases(
    login, invoice_a, org_a, owner_a, manager_a, collaborator
):
    other = save_assignee(organization=org_a, actor=owner_a, name="Otro Despacho", kind="law_firm")
    case = _open(invoice_a, other, manager_a)
    client = login(collaborator)
    answer = client.post(
        reverse("cases:promise", args=[case.pk]),
        {"promised_date": "2026-10-20", "amount": "100.00"},
    )
    assert answer.status_code == 404
    with pytest.raises(PermissionDenied):
        make_case_promise(
            case=case,
            actor=collaborator,
            promised_date=D(2026, 10, 20),
            amount=Decimal("100.00"),
            today=TODAY,
        )
    assert PromiseToPay.objects.count() == 0


def test_viewer_cannot_promise(invoice_a, agency, manager_a, viewer_a):
    case = _open(invoice_a, agency, manager_a)
    with pytest.raises(PermissionDenied):
        make_case_promise(
            case=case,
            actor=viewer_a,
            promised_date=D(2026, 10, 20),
            amount=Decimal("1"),
            today=TODAY,
        )
    assert PromiseToPay.objects.count() == 0
