"""Bank spreadsheets: each shipped preset on a sample in its bank's layout (generated
here: no real export is published), the ";" and "1.234,56" variant, XLSX, auto-detection,
editing a preset, and every refusal with its exact message and line."""

import dataclasses
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from openpyxl import Workbook

from cartera.imports.bank import (
    PRESETS,
    SheetPreset,
    StatementError,
    detect_preset,
    parse_statement,
    preset_for,
)

D = dt.date


def csv_bytes(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def refusal(data: bytes, **kwargs) -> StatementError:
    with pytest.raises(StatementError) as exc:
        parse_statement(data, format="csv", **kwargs)
    return exc.value


def moves(statement):
    return [
        (m.booking_date, m.amount, m.description, m.reference, m.line) for m in statement.movements
    ]


SANTANDER = [
    "'65501234567','01112026','1130','0001','ABONO TRANSFERENCIA SPEI','+','12500.00',"
    "'162500.00','0001000004217','PAGO FACT A-1023','','DISTRIBUIDORA DEL NORTE SA DE CV',"
    "'072180011223344558'",
    "'65501234567','02112026','0915','0001','COMISION SPEI','-','17.40','162482.60','',"
    "'COMISION','','',''",
]


def test_santander_without_header_sign_column_and_apostrophes():
    s = parse_statement(csv_bytes(SANTANDER, "windows-1252"), preset=preset_for("santander"))
    assert (s.format, s.currency, s.warnings) == ("csv:santander", "MXN", [])
    assert moves(s) == [
        (
            D(2026, 11, 1),
            Decimal("12500.00"),
            "ABONO TRANSFERENCIA SPEI PAGO FACT A-1023",
            "0001000004217",
            1,
        ),
        (D(2026, 11, 2), Decimal("-17.40"), "COMISION SPEI COMISION", "", 2),
    ]
    first = s.movements[0]
    assert (first.counterparty_name, first.counterparty_account, first.balance_after) == (
        "DISTRIBUIDORA DEL NORTE SA DE CV",
        "072180011223344558",
        Decimal("162500.00"),
    )


def test_scotiabank_amount_and_cargo_abono_column():
    data = csv_bytes(
        [
            '01/11/2026,0001000004217,"12,500.00",ABONO,SPEI DISTRIBUIDORA DEL NORTE',
            "03/11/26,CH-0091,350.00,cargo,CHEQUE 91",
        ]
    )
    s = parse_statement(data, preset=preset_for("scotiabank"))
    assert moves(s) == [
        (D(2026, 11, 1), Decimal("12500.00"), "SPEI DISTRIBUIDORA DEL NORTE", "0001000004217", 1),
        (D(2026, 11, 3), Decimal("-350.00"), "CHEQUE 91", "CH-0091", 2),
    ]


def test_bbva_detected_by_its_header():
    data = csv_bytes(
        [
            "Fecha,Concepto / Referencia,Cargo,Abono,Saldo",
            '01/11/2026,SPEI RECIBIDO DISTRIBUIDORA REF 0001000004217,,"12,500.00","162,500.00"',
            '02/11/2026,PAGO TARJETA,"2,000.00",,"160,500.00"',
        ]
    )
    s = parse_statement(data)
    assert (s.format, s.warnings) == ("csv:bbva", [])
    assert moves(s) == [
        (
            D(2026, 11, 1),
            Decimal("12500.00"),
            "SPEI RECIBIDO DISTRIBUIDORA REF 0001000004217",
            "",
            2,
        ),
        (D(2026, 11, 2), Decimal("-2000.00"), "PAGO TARJETA", "", 3),
    ]
    assert [m.balance_after for m in s.movements] == [Decimal("162500.00"), Decimal("160500.00")]


def test_banorte_windows_1252_with_title_rows_before_the_header():
    data = csv_bytes(
        [
            "CUENTA: 0123456789;;;;;;",
            "FECHA;REFERENCIA;DESCRIPCIÓN;DEPÓSITOS;RETIROS;SALDO;DESCRIPCIÓN DETALLADA",
            "05/11/2026;0001000004217;SPEI RECIBIDO;15,000.00;;25,000.00;DE DISTRIBUIDORA DEL NORTE",
            "06/11/2026;;COMISIÓN;;5.80;24,994.20;",
        ],
        "windows-1252",
    )
    preset = detect_preset(data)
    assert (preset.name, preset.skip_rows) == ("banorte", 1)
    s = parse_statement(data)
    assert moves(s) == [
        (
            D(2026, 11, 5),
            Decimal("15000.00"),
            "SPEI RECIBIDO DE DISTRIBUIDORA DEL NORTE",
            "0001000004217",
            3,
        ),
        (D(2026, 11, 6), Decimal("-5.80"), "COMISIÓN", "", 4),
    ]


def test_banamex_with_dashes_in_dates():
    data = csv_bytes(
        [
            "Fecha,Descripción,Depósitos,Retiros,Saldo",
            "07-11-2026,DEPOSITO SPEI REF 0001000004230,800.00,,800.00",
        ],
        "windows-1252",
    )
    s = parse_statement(data)
    assert (s.format, moves(s)) == (
        "csv:banamex",
        [(D(2026, 11, 7), Decimal("800.00"), "DEPOSITO SPEI REF 0001000004230", "", 2)],
    )


def test_hsbc_xlsx_with_date_and_number_cells():
    book = Workbook()
    sheet = book.active
    sheet.append(["Movimientos de la cuenta 4056789012"])
    sheet.append(["Fecha", "Descripción", "Referencia", "Cargo", "Abono", "Saldo"])
    sheet.append([dt.datetime(2026, 11, 8), "SPEI RECIBIDO", "0001000004231", None, 4321.5, 9321.5])
    sheet.append(["09/11/2026", "RETIRO CAJERO", None, 500, None, 8821.5])
    buffer = io.BytesIO()
    book.save(buffer)
    s = parse_statement(buffer.getvalue(), filename="movimientos.xlsx")
    assert s.format == "csv:hsbc"
    assert moves(s) == [
        (D(2026, 11, 8), Decimal("4321.5"), "SPEI RECIBIDO", "0001000004231", 3),
        (D(2026, 11, 9), Decimal("-500"), "RETIRO CAJERO", "", 4),
    ]
    assert s.warnings == []


def test_generico_target_columns():
    data = csv_bytes(
        [
            "FECHA,DESCRIPCIÓN,CONCEPTO,REFERENCIA,REFERENCIA BANCARIA,BENEFICIARIO,CARGO,ABONO,SALDO",
            "10/11/2026,SPEI,FACT A-1040,0001000004232,BNK-77,FERRETERA LA PAZ SA DE CV,,725.00,",
        ]
    )
    s = parse_statement(data)
    [m] = s.movements
    assert (
        s.format,
        m.description,
        m.reference,
        m.bank_reference,
        m.counterparty_name,
        m.amount,
    ) == (
        "csv:generico",
        "SPEI FACT A-1040",
        "0001000004232",
        "BNK-77",
        "FERRETERA LA PAZ SA DE CV",
        Decimal("725.00"),
    )


def semicolon_preset() -> SheetPreset:
    """BBVA's columns written the European way: ";" and "1.234,56", with a total row."""
    return dataclasses.replace(
        preset_for("bbva"), delimiter=";", decimal=",", thousands=".", skip_footer_rows=1
    )


def test_semicolon_and_decimal_comma_variant_with_footer():
    data = csv_bytes(
        [
            "Fecha;Concepto / Referencia;Cargo;Abono;Saldo",
            "01/11/2026;SPEI RECIBIDO;;12.500,00;162.500,00",
            "02/11/2026;COMISION;17,40;;162.482,60",
            "TOTAL;;17,40;12.500,00;",
        ],
        "windows-1252",
    )
    s = parse_statement(data, preset=semicolon_preset())
    assert [(m.amount, m.balance_after) for m in s.movements] == [
        (Decimal("12500.00"), Decimal("162500.00")),
        (Decimal("-17.40"), Decimal("162482.60")),
    ]


def test_inverse_sign_and_edited_preset_round_trip():
    edited = dataclasses.replace(preset_for("hsbc"), name="hsbc-empresa", inverse_sign=True)
    stored = json.loads(json.dumps(edited.to_dict()))
    restored = SheetPreset.from_dict(stored)
    assert restored == edited
    data = csv_bytes(["Fecha,Descripción,Referencia,Cargo,Abono,Saldo", "01/11/2026,X,,,100.00,"])
    [m] = parse_statement(data, preset=restored).movements
    assert m.amount == Decimal("-100.00")
    with pytest.raises(ValueError, match="unknown preset fields"):
        SheetPreset.from_dict({**stored, "colour": "red"})
    with pytest.raises(ValueError, match="amount_mode"):
        SheetPreset.from_dict({**stored, "amount_mode": "guess"})


def test_every_preset_is_json_serialisable_and_named_after_its_key():
    assert sorted(PRESETS) == [
        "banamex",
        "banorte",
        "bbva",
        "generico",
        "hsbc",
        "santander",
        "scotiabank",
    ]
    for key, preset in PRESETS.items():
        assert preset.name == key
        assert SheetPreset.from_dict(json.loads(json.dumps(preset.to_dict()))) == preset
    assert preset_for("BBVA") is PRESETS["bbva"]
    with pytest.raises(KeyError):
        preset_for("banco-inexistente")


def test_running_balance_gap_is_a_warning_either_order():
    lines = [
        "Fecha,Concepto / Referencia,Cargo,Abono,Saldo",
        "01/11/2026,A,,100.00,1100.00",
        "02/11/2026,B,50.00,,1050.00",
    ]
    assert parse_statement(csv_bytes(lines)).warnings == []
    newest_first = [lines[0], lines[2], lines[1]]
    assert parse_statement(csv_bytes(newest_first)).warnings == []
    gap = lines + ["03/11/2026,C,,10.00,1070.00"]
    assert parse_statement(csv_bytes(gap)).warnings == [
        "línea 4: el saldo 1070.00 no sigue del anterior 1050.00 con el importe +10.00."
    ]


BBVA_HEADER = "Fecha,Concepto / Referencia,Cargo,Abono,Saldo"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('01/11/2026,X,,"12,3,4",', "abono «12,3,4» no es un número"),
        ("01/11/2026,X,abc,,", "cargo «abc» no es un número"),
        (
            "31/13/2026,X,,1.00,",
            "fecha «31/13/2026» no coincide con el formato DD/MM/AAAA o DD-MM-AAAA",
        ),
        ("01/11/2026,X,,,", "falta el importe: cargo y abono están vacíos"),
        ('01/11/2026,X,,1.00,"1,00"', "saldo «1,00» no es un número"),
    ],
)
def test_row_refusals_name_the_line(row, message):
    data = csv_bytes([BBVA_HEADER, "01/11/2026,OK,,1.00,", row])
    error = refusal(data)
    assert (error.message, error.line) == (message, 3)
    assert str(error) == f"3: {message}"


def test_decimal_comma_refusal():
    data = csv_bytes(
        ["Fecha;Concepto / Referencia;Cargo;Abono;Saldo", "01/11/2026;X;;12,3,4;", "x;;;;"]
    )
    error = refusal(data, preset=semicolon_preset())
    assert (error.message, error.line) == ("abono «12,3,4» no es un número", 2)


def test_type_column_refusal():
    data = csv_bytes(["01/11/2026,R1,100.00,DEPOSITO,X"])
    error = refusal(data, preset=preset_for("scotiabank"))
    assert (error.message, error.line) == (
        "tipo de movimiento «DEPOSITO»: se esperaba ABONO o CARGO",
        1,
    )


def test_missing_column_and_header_refusals():
    data = csv_bytes(["Fecha,Concepto / Referencia,Cargo,Saldo", "01/11/2026,X,1.00,"])
    error = refusal(data, preset=preset_for("bbva"))
    assert (error.message, error.line) == ("falta la columna «Abono» en los encabezados", 1)
    error = refusal(csv_bytes(["Fecha,Importe", "01/11/2026,1.00"]))
    assert (
        error.message
        == "no se reconoció el banco por los encabezados: elija una plantilla de banco"
    )
    error = refusal(csv_bytes([BBVA_HEADER]), preset=preset_for("bbva"))
    assert error.message == "el archivo no trae ningún movimiento"
    broken = SheetPreset(name="sin-fecha", amount=1)
    error = refusal(csv_bytes(["a,b", "1,2"]), preset=broken)
    assert error.message == "la plantilla no dice qué columna trae la fecha"


def test_damaged_xlsx_refusal():
    error = refusal(b"PK\x03\x04not really a zip", preset=preset_for("hsbc"))
    assert (error.message, error.line) == ("no es un archivo XLSX legible", None)


def test_a_utf8_preset_reads_a_windows_1252_file():
    data = csv_bytes(
        ["Fecha,Descripción,Referencia,Cargo,Abono,Saldo", "01/11/2026,DEPÓSITO,,,10.00,"],
        "windows-1252",
    )
    assert preset_for("hsbc").encoding == "utf-8"
    s = parse_statement(data)
    assert (s.format, s.movements[0].description) == ("csv:hsbc", "DEPÓSITO")
