import datetime as dt
import io

import pytest
from openpyxl import Workbook

from cartera.imports.headers import detect_mapping, known_names
from cartera.imports.tabular import FileError, read_table

KNOWN = known_names("invoices")


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_utf8_with_bom_is_read_and_the_bom_is_not_part_of_the_first_header():
    data = "\ufeffCliente,Folio,Fecha,Total\r\nCLI-001,A-1,01/09/2026,100\r\n".encode()
    table = read_table(data, "f.csv", KNOWN)
    assert (table.encoding, table.separator) == ("utf-8-sig", ",")
    assert table.headers == ["Cliente", "Folio", "Fecha", "Total"]
    assert table.rows == [(2, ["CLI-001", "A-1", "01/09/2026", "100"])]


def test_tab_separator_is_detected():
    data = b"Cliente\tFolio\tFecha\tTotal\nCLI-001\tA-1\t01/09/2026\t1,234.56\n"
    table = read_table(data, "f.txt", KNOWN)
    assert table.separator == "\t"
    assert table.rows == [(2, ["CLI-001", "A-1", "01/09/2026", "1,234.56"])]


def test_semicolon_separator_and_windows_1252_are_detected():
    data = "Razón social;Folio;Importe\r\nPeñoles;A-1;1.234,56\r\n".encode("cp1252")
    table = read_table(data, "f.csv", KNOWN)
    assert (table.encoding, table.separator) == ("cp1252", ";")
    assert table.headers == ["Razón social", "Folio", "Importe"]
    assert table.rows == [(2, ["Peñoles", "A-1", "1.234,56"])]


def test_header_detection_skips_title_lines_and_keeps_excel_row_numbers():
    data = xlsx(
        [
            ["Cartera de clientes"],
            ["Generado el 30/09/2026"],
            [],
            ["No. cliente", "Folio", "Fecha de emisión", "Vencimiento", "Saldo"],
            ["CLI-001", "A-1", dt.datetime(2026, 9, 1), 46296, 1234.5],
        ]
    )
    table = read_table(data, "cartera.xlsx", KNOWN)
    assert table.header_row == 4
    assert table.headers == ["No. cliente", "Folio", "Fecha de emisión", "Vencimiento", "Saldo"]
    assert table.rows == [(5, ["CLI-001", "A-1", dt.datetime(2026, 9, 1), 46296, 1234.5])]
    assert detect_mapping("invoices", table.headers) == {
        "customer": 0,
        "number": 1,
        "issue_date": 2,
        "due_date": 3,
        "total": 4,
    }


def test_header_synonyms_ignore_case_accents_and_punctuation():
    headers = ["R.F.C.", "RAZON  SOCIAL", "Fecha", "FECHA DE VENCIMIENTO", "Moneda", "UUID"]
    assert detect_mapping("invoices", headers) == {
        "customer_tax_id": 0,
        "customer_name": 1,
        "issue_date": 2,
        "due_date": 3,
        "currency": 4,
        "uuid": 5,
    }
    assert detect_mapping("customers", ["Correo", "Teléfono", "Días de crédito", "Cliente"]) == {
        "email": 0,
        "phone": 1,
        "payment_terms_days": 2,
        "name": 3,
    }


def test_old_xls_and_empty_files_are_refused_with_a_reason():
    with pytest.raises(FileError, match="Los archivos .xls antiguos no se admiten"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "viejo.xls", KNOWN)
    with pytest.raises(FileError, match="El archivo está vacío."):
        read_table(b"", "vacio.csv", KNOWN)
    with pytest.raises(FileError, match="No se pudo leer el archivo de Excel"):
        read_table(b"PK\x03\x04broken", "roto.xlsx", KNOWN)
