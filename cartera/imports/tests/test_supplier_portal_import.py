import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from cartera.followup.models import PromiseToPay
from cartera.imports.supplier_portal import import_supplier_portal, mapping_from_names
from cartera.invoices.models import Dispute, Invoice, SupplierPortalStatus

from .test_tabular import xlsx

TODAY = dt.date(2026, 9, 15)
UUID = "6F7C2A1E-1111-4222-8333-944455556666"


@pytest.fixture
def invoices(invoice_a, second_invoice_a):
    Invoice.objects.filter(pk=second_invoice_a.pk).update(fiscal_uuid=UUID)
    return invoice_a, second_invoice_a


def _run(org, data, name="portal.csv", actor=None, **kw):
    if isinstance(data, str):
        data = data.encode()
    return import_supplier_portal(
        organization=org, data=data, filename=name, actor=actor, today=TODAY, **kw
    )


def test_good_xlsx_applies_statuses_and_effects(invoices, owner_a):
    data = xlsx(
        [
            ["Reporte de facturas del proveedor"],
            ["Folio", "UUID", "Estatus", "Fecha", "Motivo de rechazo", "Fecha de pago"],
            ["A-100", "", "Rechazada", dt.date(2026, 9, 10), "Sin orden de compra", None],
            ["", UUID.lower(), "Programada para pago", "12/09/2026", "", "30/10/2026"],
        ]
    )
    result = _run(owner_a.memberships.get().organization, data, "portal.xlsx", actor=owner_a)
    assert result.as_dict() == {
        "status": "done",
        "rows": 2,
        "applied": 2,
        "unchanged": 0,
        "disputes": 1,
        "promises": 1,
        "errors": [],
        "unknown": [],
    }
    first, second = invoices
    assert Dispute.objects.get().invoice_id == first.pk
    promise = PromiseToPay.objects.get()
    assert (promise.promised_date, promise.amount) == (dt.date(2026, 10, 30), Decimal("5000.00"))
    assert list(
        SupplierPortalStatus.objects.order_by("invoice_id").values_list(
            "invoice_id", "status", "source"
        )
    ) == [(first.pk, "rejected", "import"), (second.pk, "scheduled", "import")]


def test_same_file_twice_changes_nothing(invoices, owner_a):
    org = owner_a.memberships.get().organization
    text = "folio,estado,fecha,fecha de pago\r\nA-100,Aprobada,2026-09-10,2026-09-30\r\n"
    assert _run(org, text, actor=owner_a).applied == 1
    again = _run(org, text, actor=owner_a)
    assert (again.applied, again.unchanged, again.promises) == (0, 1, 0)
    assert PromiseToPay.objects.count() == 1
    assert SupplierPortalStatus.objects.count() == 1


def test_bad_rows_name_the_row_and_nothing_is_written(invoices, owner_a):
    org = owner_a.memberships.get().organization
    text = (
        "folio,estado,fecha,motivo\r\n"
        "A-100,Recibida,2026-09-10,\r\n"
        "A-101,Extraviada,2026-09-10,\r\n"
        "A-101,Rechazada,2026-09-10,\r\n"
        "A-101,Pagada,,\r\n"
    )
    result = _run(org, text, actor=owner_a)
    assert result.status == "invalid"
    assert result.errors == [
        {"row": 3, "column": "estado", "value": "Extraviada", "message": "Estado desconocido."},
        {
            "row": 4,
            "column": "motivo",
            "value": "",
            "message": "Indique el motivo del rechazo.",
        },
        {"row": 5, "column": "fecha", "value": "", "message": "Falta la fecha."},
    ]
    assert not SupplierPortalStatus.objects.exists()
    # With "apply the valid rows" the good row goes in, the others stay reported.
    result = _run(org, text, actor=owner_a, apply_valid=True)
    assert (result.status, result.applied, len(result.errors)) == ("done", 1, 3)
    assert list(SupplierPortalStatus.objects.values_list("status", flat=True)) == ["received"]


def test_unknown_invoices_are_reported(invoices, owner_a):
    org = owner_a.memberships.get().organization
    text = "folio,estado,fecha\r\nZ-9,Pagada,2026-09-10\r\nA-100,Pagada,2026-09-10\r\n"
    result = _run(org, text, actor=owner_a)
    assert result.unknown == [{"row": 2, "number": "Z-9", "uuid": ""}]
    assert (result.status, result.rows, result.applied) == ("done", 2, 1)


def test_other_organisations_invoices_are_unknown(invoices, invoice_b, owner_b):
    text = "folio,estado,fecha\r\nA-100,Pagada,2026-09-10\r\n"
    result = _run(invoice_b.organization, text, actor=owner_b)
    assert result.unknown == [{"row": 2, "number": "A-100", "uuid": ""}]
    assert not SupplierPortalStatus.objects.exists()


def test_column_mapping_by_header_name(invoices, owner_a):
    org = owner_a.memberships.get().organization
    text = "Doc,Situación actual,Cuando\r\nA-100,Aprobada,2026-09-10\r\n"
    headers = ["Doc", "Situación actual", "Cuando"]
    mapping = mapping_from_names(
        headers, {"number": "doc", "status": "Situación actual", "date": "Cuando"}
    )
    assert mapping == {"number": 0, "status": 1, "date": 2}
    assert _run(org, text, actor=owner_a, mapping=mapping).applied == 1
    with pytest.raises(ValidationError) as exc:
        mapping_from_names(headers, {"reason": "Motivo"})
    assert exc.value.message_dict == {"reason": ["El archivo no tiene la columna «Motivo»."]}


def test_missing_columns_are_named(invoices, owner_a):
    org = owner_a.memberships.get().organization
    result = _run(org, "folio,otra\r\nA-100,x\r\n", actor=owner_a)
    assert result.status == "error"
    assert [(e["column"], e["message"]) for e in result.errors] == [
        ("Estado", "Falta la columna."),
        ("Fecha", "Falta la columna."),
    ]


PORTAL_CSV = (
    "folio,estado,fecha,motivo\r\n"
    "A-100,Rechazada,10/09/2026,Sin orden de compra\r\n"
    "Z-999,Aprobada,11/09/2026,\r\n"
)


def _command(tmp_path, org, *flags, text=PORTAL_CSV, user="olga_owner"):
    path = tmp_path / "portal.csv"
    path.write_text(text)
    out = io.StringIO()
    code = 0
    try:
        call_command(
            "import",
            "supplier-portal",
            str(path),
            "--org",
            org.slug,
            "--user",
            user,
            *flags,
            stdout=out,
        )
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue()


def test_the_command_applies_the_file_and_lists_unknown_invoices(
    invoices, org_a, tmp_path, owner_a
):
    code, out = _command(tmp_path, org_a, "--json")
    result = json.loads(out)
    assert (code, result["applied"], result["disputes"], result["dry_run"]) == (0, 1, 1, False)
    assert result["unknown"] == [{"row": 3, "number": "Z-999", "uuid": ""}]
    assert Dispute.objects.get().invoice_id == invoices[0].pk


def test_the_command_dry_run_checks_and_writes_nothing(invoices, org_a, tmp_path, owner_a):
    code, out = _command(tmp_path, org_a, "--dry-run")
    assert code == 0
    assert out.splitlines()[0] == (
        "(revisión, nada se escribió) filas 2 · aplicadas 1 · sin cambios 0 · disputas 1 · "
        "promesas 0 · no encontradas 1"
    )
    assert (SupplierPortalStatus.objects.count(), Dispute.objects.count()) == (0, 0)


def test_the_command_refuses_a_file_with_a_bad_row_and_writes_nothing(
    invoices, org_a, tmp_path, owner_a
):
    bad = PORTAL_CSV + "A-100,Quién sabe,12/09/2026,\r\n"
    code, out = _command(tmp_path, org_a, "--json", text=bad)
    result = json.loads(out)
    assert (code, result["status"], result["applied"]) == (1, "invalid", 0)
    assert [e["row"] for e in result["errors"]] == [4]
    assert (SupplierPortalStatus.objects.count(), Dispute.objects.count()) == (0, 0)


def test_the_command_acts_as_a_member_whose_role_allows_it(invoices, org_a, tmp_path, viewer_a):
    with pytest.raises(CommandError, match="no es miembro de"):
        _command(tmp_path, org_a, user="nobody")
    with pytest.raises(CommandError, match="su rol no lo permite"):
        _command(tmp_path, org_a, user=viewer_a.username)
    assert (SupplierPortalStatus.objects.count(), Dispute.objects.count()) == (0, 0)
