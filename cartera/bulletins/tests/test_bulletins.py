"""Credit bulletins: who may act, the waiting period after the notice (exact), the file's
exact bytes per country, once a day, the removal after payment, and the pages."""

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from cartera.bulletins.models import BulletinEntry, BulletinFile, BulletinSettings, Publication
from cartera.bulletins.services import (
    candidates,
    export_bulletin,
    exportable_entries,
    select_invoices,
    send_legal_notices,
)
from cartera.customers.services import create_customer, save_contact
from cartera.invoices.models import Dispute
from cartera.invoices.services import create_invoice
from cartera.outreach.choices import MessageStatus
from cartera.outreach.models import Message
from cartera.payments.services import allocate_payment, record_payment
from cartera.timeline.models import Activity

D = dt.date
SELECT_DAY = D(2026, 10, 20)
# 12:00 in Monterrey: the notice left on the organisation's local 20/10/2026.
SENT_AT = dt.datetime(2026, 10, 20, 18, 0, tzinfo=dt.UTC)
FIRST_DAY = D(2026, 10, 30)  # 10 days (the default wait) after the notice was sent


def _select_and_notice(org, invoices, actor, *, sent_at=SENT_AT):
    entries = select_invoices(organization=org, invoices=invoices, actor=actor, today=SELECT_DAY)
    entries = list(BulletinEntry.objects.filter(pk__in=[e.pk for e in entries]))
    send_legal_notices(organization=org, entries=entries, actor=actor, today=SELECT_DAY)
    if sent_at is not None:  # what the outbox does when it sends
        Message.objects.filter(key__startswith="bulletin-notice:").update(
            status=MessageStatus.SENT, sent_at=sent_at
        )


def test_candidates_are_overdue_invoices_without_a_hold(
    org_a, invoice_a, second_invoice_a, debtor_a
):
    Dispute.objects.create(organization=org_a, invoice=second_invoice_a, reason="Monto equivocado")
    not_due = create_invoice(
        customer=debtor_a,
        actor=None,
        external_id="F-102",
        number="A-102",
        issue_date=D(2026, 10, 1),
        due_date=D(2026, 10, 20),
        currency="MXN",
        total=Decimal("100.00"),
    )
    assert list(candidates(org_a, today=SELECT_DAY)) == [invoice_a]
    with pytest.raises(ValidationError) as error:
        select_invoices(organization=org_a, invoices=[not_due], actor=None, today=SELECT_DAY)
    assert error.value.messages == ["La factura A-102 no está vencida."]
    with pytest.raises(ValidationError):
        select_invoices(
            organization=org_a, invoices=[invoice_a, second_invoice_a], actor=None, today=SELECT_DAY
        )
    assert BulletinEntry.objects.count() == 0  # all or none


def test_the_notice_goes_to_the_outbox_once_per_customer(
    org_a, invoice_a, second_invoice_a, manager_a
):
    _select_and_notice(org_a, [invoice_a, second_invoice_a], manager_a, sent_at=None)
    message = Message.objects.get()
    assert message.to == ["lucia@latuerca.mx"]
    assert message.status == MessageStatus.QUEUED
    assert message.subject == "Aviso previo a su registro en el boletín de crédito"
    assert "- Factura A-100, vencida el 01/10/2026, saldo 11,600.00 MXN" in message.body_text
    assert "dentro de 10 días" in message.body_text
    assert sorted(message.invoices.values_list("number", flat=True)) == ["A-100", "A-101"]
    assert set(BulletinEntry.objects.values_list("notice_id", "noticed_on")) == {
        (message.pk, SELECT_DAY)
    }
    # an unsent notice starts no wait: nothing is ever exportable from it
    assert exportable_entries(org_a, today=D(2027, 1, 1)) == []
    entries = list(BulletinEntry.objects.all())
    with pytest.raises(ValidationError):  # already noticed: nothing sent twice
        send_legal_notices(organization=org_a, entries=entries, actor=None, today=SELECT_DAY)
    assert Message.objects.count() == 1


def test_nothing_is_exportable_before_the_wait_ends(org_a, invoice_a, manager_a):
    _select_and_notice(org_a, [invoice_a], manager_a)
    assert exportable_entries(org_a, today=FIRST_DAY - dt.timedelta(days=1)) == []
    with pytest.raises(ValidationError) as error:
        export_bulletin(organization=org_a, day=FIRST_DAY - dt.timedelta(days=1), actor=None)
    assert error.value.messages == ["No hay facturas por publicar ni aclaraciones pendientes hoy."]
    assert BulletinFile.objects.count() == Publication.objects.count() == 0
    assert [e.invoice for e in exportable_entries(org_a, today=FIRST_DAY)] == [invoice_a]


def test_the_wait_is_the_organisations_setting(org_a, invoice_a, manager_a):
    BulletinSettings.objects.create(organization=org_a, wait_days=3, member_code="1234")
    _select_and_notice(org_a, [invoice_a], manager_a)
    assert exportable_entries(org_a, today=D(2026, 10, 22)) == []
    assert len(exportable_entries(org_a, today=D(2026, 10, 23))) == 1


def test_a_hold_after_the_notice_keeps_the_invoice_out(org_a, invoice_a, manager_a):
    _select_and_notice(org_a, [invoice_a], manager_a)
    Dispute.objects.create(organization=org_a, invoice=invoice_a, reason="Otro")
    assert exportable_entries(org_a, today=FIRST_DAY) == []


def _mx_em():
    return (
        "EMEM00FTU010203AB4 "
        + "01"
        + " " * 18
        + "02"
        + " " * 10
        + "03"
        + "FERRETERIA LA TUERCA S.A. DE C.V.".ljust(75)
        + "04"
        + " " * 75
        + "05"
        + " " * 75
        + "06"
        + " " * 25
        + "07"
        + " " * 25
        + "08MX"
        + "09  "
        + "10"
        + " " * 11
        + "11"
        + " " * 11
        + "12"
        + " " * 11
        + "13"
        + " " * 40
        + "14"
        + " " * 40
        + "15"
        + " " * 60
        + "16"
        + " " * 40
        + "17"
        + " " * 40
        + "18"
        + " " * 4
        + "19"
        + " " * 10
        + "20"
        + " " * 11
        + "21"
        + " " * 8
        + "22"
        + " " * 11
        + "23 "
        + "24"
        + " " * 40
        + "25MX"
    )


def _mx_cr(number, opened, term, total, balance, *, paid="00000000", key="    "):
    return (
        "CRCR00FTU010203AB4 "
        + "01"
        + " " * 6
        + "02"
        + number.ljust(25)
        + "03"
        + " " * 25
        + "04"
        + opened
        + "05"
        + f"{term:05d}"
        + "060000"
        + "07"
        + f"{total:020d}"
        + "08001"
        + "090001"
        + "10"
        + f"{term:03d}"
        + "11"
        + f"{balance:020d}"
        + "12"
        + paid
        + "1300000000"
        + "14"
        + "0" * 20
        + "15"
        + paid
        + "16"
        + "0" * 20
        + "17"
        + "0" * 20
        + "18"
        + "0" * 20
        + "19"
        + key
        + "20 "
    )


def _mx_de(number, days, amount):
    return (
        "DEDE00FTU010203AB4 "
        + "01"
        + number.ljust(25)
        + "02"
        + f"{days:03d}"
        + "03"
        + f"{amount:020d}"
        + "04"
        + " " * 75
    )


def test_mexico_file_exact_content_once_a_day_and_the_removal_after_payment(
    org_a,
    debtor_a,
    invoice_a,
    second_invoice_a,
    manager_a,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    BulletinSettings.objects.create(organization=org_a, member_code="1082")
    _select_and_notice(org_a, [invoice_a, second_invoice_a], manager_a)
    file, created = export_bulletin(organization=org_a, day=FIRST_DAY, actor=manager_a)
    assert created is True
    expected = (
        "\n".join(
            [
                "HDBNCPM001082010000020050310430102026051020260" + "6" + " " * 53,
                _mx_em(),
                _mx_cr("A-100", "01092026", 30, 11600, 11600),
                _mx_de("A-100", 29, 11600),
                _mx_cr("A-101", "10092026", 30, 5000, 5000),
                _mx_de("A-101", 20, 5000),
                "TSTS00" + "0000001" + "01" + f"{16600:030d}" + "02" + " " * 53,
            ]
        )
        + "\n"
    )
    assert bytes(file.content).decode("ascii") == expected
    assert file.filename == "boletin-mx-2026-10-30.txt"
    assert file.sha256 == hashlib.sha256(expected.encode()).hexdigest()
    assert sorted(
        Publication.objects.values_list("entry__invoice__number", "amount", "days_overdue")
    ) == [("A-100", Decimal("11600.00"), 29), ("A-101", Decimal("5000.00"), 20)]
    entry = Activity.objects.get(data__bulletin="exported")
    assert entry.data["sha256"] == file.sha256
    assert entry.summary == (
        "Boletín de crédito boletin-mx-2026-10-30.txt: publicadas: facturas A-100, A-101"
    )

    again, created = export_bulletin(organization=org_a, day=FIRST_DAY, actor=manager_a)
    assert (again.pk, created) == (file.pk, False)
    assert Publication.objects.count() == 2 and BulletinFile.objects.count() == 1

    payment = record_payment(
        customer=debtor_a,
        actor=None,
        date=D(2026, 10, 31),
        amount=Decimal("11600.00"),
        currency="MXN",
    )
    with django_capture_on_commit_callbacks(execute=True):
        allocate_payment(payment=payment, invoice=invoice_a, amount=Decimal("11600"), actor=None)
    published = Publication.objects.get(entry__invoice=invoice_a)
    assert (published.removal_due_on, published.removed_on) == (D(2026, 10, 31), None)
    assert Publication.objects.get(entry__invoice=second_invoice_a).removal_due_on is None

    removal, created = export_bulletin(organization=org_a, day=D(2026, 11, 2), actor=manager_a)
    assert created is True
    assert bytes(removal.content).decode("ascii").splitlines() == [
        "HDBNCPM001082010000020050310402112026051120260" + "6" + " " * 53,
        _mx_em(),
        _mx_cr("A-100", "01092026", 30, 11600, 0, paid="31102026", key="CC  "),
        _mx_de("A-100", 0, 0),
        "TSTS00" + "0000001" + "01" + "0" * 30 + "02" + " " * 53,
    ]
    published.refresh_from_db()
    assert (published.removal_file_id, published.removed_on) == (removal.pk, D(2026, 11, 2))


def test_chile_file_exact_content(org_b, debtor_b, invoice_b, owner_b):
    save_contact(customer=debtor_b, actor=None, name="Pagos", email="pagos@andes.cl")
    debtor_b.legal_name = "Minera Los Andes SpA"
    debtor_b.save()
    _select_and_notice(
        org_b, [invoice_b], owner_b, sent_at=dt.datetime(2026, 10, 20, 15, 0, tzinfo=dt.UTC)
    )
    file, _created = export_bulletin(organization=org_b, day=FIRST_DAY, actor=owner_b)
    assert file.filename == "boletin-cl-2026-10-30.csv"
    assert bytes(file.content).decode("utf-8") == (
        "tipo_registro;rut_deudor;razon_social;tipo_documento;numero_documento;fecha_emision;"
        "fecha_vencimiento;moneda;monto_impago;fecha_pago\n"
        "PUBLICACION;96.670.340-7;Minera Los Andes SpA;FACTURA;170;01-09-2026;01-10-2026;CLP;"
        "250000;\n"
    )


def test_a_customer_without_email_gets_no_notice_and_nothing_changes(org_b, invoice_b):
    entries = select_invoices(
        organization=org_b, invoices=[invoice_b], actor=None, today=SELECT_DAY
    )
    result = send_legal_notices(organization=org_b, entries=entries, actor=None, today=SELECT_DAY)
    assert (result.noticed, result.without_contact) == (0, ["Minera Los Andes"])
    assert Message.objects.count() == 0
    assert BulletinEntry.objects.get().notice_id is None


def test_command_exports_with_json(org_a, invoice_a, manager_a, tmp_path, capsys):
    _select_and_notice(org_a, [invoice_a], manager_a)
    out = tmp_path / "mx.txt"
    call_command(
        "bulletins",
        "export",
        "--org",
        "norte",
        "--country",
        "MX",
        "--date",
        "2026-10-30",
        "--out",
        str(out),
        "--json",
    )
    summary = json.loads(capsys.readouterr().out)
    file = BulletinFile.objects.get()
    assert summary == {
        "bytes": len(out.read_bytes()),
        "created": True,
        "file": "boletin-mx-2026-10-30.txt",
        "published": 1,
        "removed": 0,
        "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
    }
    assert file.sha256 == summary["sha256"]


# --- pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_only_owners_and_managers_act(org_a, invoice_a, login, role, agent_a, viewer_a):
    user = {"agent": agent_a, "viewer": viewer_a}[role]
    client = login(user)
    for name in ("bulletins:select", "bulletins:notice", "bulletins:export", "bulletins:settings"):
        response = client.post(reverse(name), {"invoice": [invoice_a.pk], "wait_days": "1"})
        assert response.status_code == 403, name
    assert BulletinEntry.objects.count() == BulletinSettings.objects.count() == 0
    page = client.get(reverse("bulletins:list"))
    assert page.status_code == 200
    assert b'name="invoice"' not in page.content  # no checkboxes without the right


def test_manager_selects_notices_and_downloads_from_the_pages(org_a, invoice_a, manager_a, login):
    client = login(manager_a)
    empty = client.get(reverse("bulletins:list") + "?state=selected")
    assert "No hay facturas en este estado." in empty.content.decode()
    page = client.get(reverse("bulletins:list"))
    assert f'data-invoice="{invoice_a.pk}"'.encode() in page.content
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("cartera.bulletins.views._today", lambda request: SELECT_DAY)
        client.post(reverse("bulletins:select"), {"invoice": [invoice_a.pk]})
        entry = BulletinEntry.objects.get()
        client.post(reverse("bulletins:notice"), {"entry": [entry.pk]})
    Message.objects.update(status=MessageStatus.SENT, sent_at=SENT_AT)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("cartera.bulletins.views._today", lambda request: FIRST_DAY)
        waiting = client.get(reverse("bulletins:list") + "?state=ready")
        assert f'data-entry="{entry.pk}"'.encode() in waiting.content
        client.post(reverse("bulletins:export"))
    file = BulletinFile.objects.get()
    download = client.get(reverse("bulletins:file", args=[file.pk]))
    assert download["Content-Disposition"] == 'attachment; filename="boletin-mx-2026-10-30.txt"'
    assert download.content == bytes(file.content)
    assert client.get(reverse("bulletins:file", args=[file.pk + 1])).status_code == 404


def test_settings_errors_next_to_the_field(org_a, manager_a, login):
    response = login(manager_a).post(
        reverse("bulletins:settings"), {"wait_days": "5", "member_code": "12a"}
    )
    assert response.status_code == 200
    assert "Escriba solo dígitos." in response.content.decode()
    assert BulletinSettings.objects.count() == 0


def test_other_organisations_see_nothing(org_a, org_b, invoice_a, manager_a, owner_b, login):
    _select_and_notice(org_a, [invoice_a], manager_a)
    file, _ = export_bulletin(organization=org_a, day=FIRST_DAY, actor=manager_a)
    client = login(owner_b)
    assert client.get(reverse("bulletins:file", args=[file.pk])).status_code == 404
    for state in ("candidates", "selected", "noticed", "published"):
        page = client.get(reverse("bulletins:list") + f"?state={state}").content.decode()
        assert "A-100" not in page and "La Tuerca" not in page and "boletin-mx" not in page
    entry = BulletinEntry.objects.get()
    client.post(reverse("bulletins:notice"), {"entry": [entry.pk]})
    client.post(reverse("bulletins:select"), {"invoice": [invoice_a.pk]})
    assert BulletinEntry.objects.count() == 1 and Message.objects.count() == 1


def _customer_without_email(org):
    customer = create_customer(organization=org, actor=None, external_id="CLI-9", name="Sin Correo")
    return create_invoice(
        customer=customer,
        actor=None,
        number="Z-1",
        issue_date=D(2026, 9, 1),
        due_date=D(2026, 10, 1),
        currency="MXN",
        total=Decimal("900.00"),
    )


def test_a_customer_without_email_gets_no_notice_and_the_others_do(org_a, invoice_a, manager_a):
    silent = _customer_without_email(org_a)
    selected = select_invoices(
        organization=org_a, invoices=[invoice_a, silent], actor=manager_a, today=SELECT_DAY
    )
    entries = list(BulletinEntry.objects.filter(pk__in=[e.pk for e in selected]))
    result = send_legal_notices(organization=org_a, entries=entries, actor=None, today=SELECT_DAY)
    assert (result.noticed, result.without_contact) == (1, ["Sin Correo"])
    message = Message.objects.get()
    assert message.customer_id == invoice_a.customer_id
    noticed = dict(BulletinEntry.objects.values_list("invoice__number", "notice_id"))
    assert noticed == {"A-100": message.pk, "Z-1": None}  # never exported without a notice


def test_the_notice_page_names_the_customers_left_without_notice(
    org_a, invoice_a, manager_a, login
):
    silent = _customer_without_email(org_a)
    client = login(manager_a)
    select_invoices(organization=org_a, invoices=[silent], actor=manager_a, today=SELECT_DAY)
    entry = BulletinEntry.objects.get()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("cartera.bulletins.views._today", lambda request: SELECT_DAY)
        response = client.post(reverse("bulletins:notice"), {"entry": [entry.pk]}, follow=True)
    text = response.content.decode()
    assert (
        "Sin aviso, por no tener un correo al que se pueda escribir ni una dirección postal:"
        " Sin Correo." in text
    )
    assert "avisos en la bandeja de salida" not in text
    assert Message.objects.count() == 0
    assert BulletinEntry.objects.get().notice_id is None
