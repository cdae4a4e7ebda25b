"""Bank statement files → ParsedStatement: the real MT940 and OFX files (SOURCES.md), our
CAMT samples of each message and version, format detection and every refusal."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from cartera.imports.bank import StatementError, detect_format, parse_statement

FILES = Path(__file__).parent / "files" / "bank"
D = dt.date


def parse(name: str, **kwargs):
    return parse_statement((FILES / name).read_bytes(), filename=name, **kwargs)


def refusal(data: bytes, **kwargs) -> StatementError:
    with pytest.raises(StatementError) as exc:
        parse_statement(data, **kwargs)
    return exc.value


def brief(m):
    return (m.booking_date, m.amount, m.bank_reference, m.reference, m.counterparty_name, m.line)


# --- CAMT -----------------------------------------------------------------------------------
def test_camt053_001_02_statement_with_batch_fee_and_pending_entry():
    s = parse("camt053_001_02.xml")
    assert (s.format, s.statement_id, s.account, s.currency) == (
        "camt053",
        "EDC-012180001234567899-20261130",
        "012180001234567899",
        "MXN",
    )
    assert (s.opening_balance, s.opening_date, s.closing_balance, s.closing_date) == (
        Decimal("150000.00"),
        D(2026, 11, 29),
        Decimal("170482.60"),
        D(2026, 11, 30),
    )
    assert [m.amount for m in s.movements] == [
        Decimal("12500.00"),
        Decimal("-17.40"),
        Decimal("5000.00"),
        Decimal("3000.00"),
    ]
    spei = s.movements[0]
    assert (
        spei.booking_date,
        spei.value_date,
        spei.currency,
        spei.bank_reference,
        spei.description,
        spei.reference,
        spei.counterparty_name,
        spei.counterparty_account,
        spei.beneficiary_account,
        spei.tracking_key,
        spei.line,
    ) == (
        D(2026, 11, 30),
        D(2026, 11, 30),
        "MXN",
        "BBVA20261130000123",
        "SPEI RECIBIDO REF 0001000004217 FACT A-1023",
        "0001000004217",
        "DISTRIBUIDORA DEL NORTE SA DE CV",
        "072180011223344558",
        "646180123400000010",
        "2026113040072TRANS00012345",
        27,
    )
    fee = s.movements[1]
    assert (fee.description, fee.counterparty_name, fee.beneficiary_account, fee.is_credit) == (
        "COMISION POR TRANSFERENCIA SPEI",
        "",
        "",
        False,
    )
    # a batched booking: one movement per TxDtls, each with its own payer
    assert [brief(m) for m in s.movements[2:]] == [
        (
            D(2026, 11, 30),
            Decimal("5000.00"),
            "BBVA20261130000125",
            "",
            "FERRETERA LA PAZ SA DE CV",
            71,
        ),
        (
            D(2026, 11, 30),
            Decimal("3000.00"),
            "BBVA20261130000125",
            "",
            "ABARROTES GOMEZ SA DE CV",
            79,
        ),
    ]
    assert s.movements[2].description == "DEPOSITO REF 0001000004218"
    # the pending entry is left out and said so; the balances add up without it
    assert s.warnings == ["línea 89: movimiento con estado PDNG (no contabilizado) omitido"]


def test_camt053_001_08_shapes_status_code_party_and_structured_reference():
    s = parse("camt053_001_08.xml")
    assert (s.format, s.opening_balance, s.opening_date, s.closing_balance, s.closing_date) == (
        "camt053",
        Decimal("170482.60"),  # PRCD
        D(2026, 11, 30),
        Decimal("173633.10"),
        D(2026, 12, 1),  # from a DtTm
    )
    assert s.warnings == []
    credit, debit = s.movements
    assert (
        credit.booking_date,
        credit.amount,
        credit.reference,  # Strd/CdtrRefInf/Ref; EndToEndId was NOTPROVIDED
        credit.description,
        credit.counterparty_name,  # Dbtr/Pty/Nm
        credit.counterparty_rfc,
        credit.counterparty_account,
        credit.beneficiary_account,
        credit.tracking_key,
    ) == (
        D(2026, 12, 1),
        Decimal("4350.50"),
        "A-1045",
        "SPEI REF 0001000004220",
        "COMERCIALIZADORA OCCIDENTE SA DE CV",
        "COC0503158Z1",
        "014180654321098765",
        "646180123400000023",
        "2026120140014TRANS00077810",
    )
    # money out: the other side is the creditor
    assert (debit.amount, debit.reference, debit.counterparty_name, debit.counterparty_account) == (
        Decimal("-1200.00"),
        "PAGO-CFE-1201",
        "CFE SUMINISTRADOR DE SERVICIOS BASICOS",
        "012180009988776655",
    )


def test_camt052_report_without_status_and_closing():
    s = parse("camt052_001_08.xml")
    assert (s.format, s.statement_id, s.opening_balance, s.closing_balance, s.warnings) == (
        "camt052",
        "RPT-20261202-1",
        Decimal("173633.10"),
        None,
        [],
    )
    [m] = s.movements
    assert (m.amount, m.counterparty_name, m.tracking_key, m.reference, m.value_date) == (
        Decimal("2000.00"),
        "DISTRIBUIDORA DEL NORTE SA DE CV",
        "2026120240072TRANS00000456",
        "",
        None,
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "camt054_001_02.xml",
            [
                (
                    D(2026, 12, 3),
                    Decimal("15000.00"),
                    "BBVA20261203000001",
                    "0001000004222",
                    "DISTRIBUIDORA DEL NORTE SA DE CV",
                    14,
                ),
                (D(2026, 12, 3), Decimal("600.00"), "BBVA20261203000002", "", "", 33),
            ],
        ),
        (
            "camt054_001_08.xml",
            [
                (
                    D(2026, 12, 3),
                    Decimal("725.00"),
                    "BBVA20261203000003",
                    "A-1050",
                    "FERRETERA LA PAZ SA DE CV",
                    13,
                )
            ],
        ),
    ],
)
def test_camt054_notifications_have_no_balances(name, expected):
    s = parse(name)
    assert (s.format, s.account, s.currency, s.opening_balance, s.closing_balance) == (
        "camt054",
        "012180001234567899",
        "MXN",
        None,
        None,
    )
    assert [brief(m) for m in s.movements] == expected


def test_camt_balance_mismatch_is_a_warning():
    data = (FILES / "camt053_001_02.xml").read_bytes().replace(b"170482.60", b"170000.00")
    s = parse_statement(data)
    assert len(s.movements) == 4
    assert s.warnings[1:] == [
        "Los saldos no cuadran: saldo inicial 150000.00 más movimientos 20482.60 da "
        "170482.60, pero el saldo final es 170000.00."
    ]


def test_camt_batched_parts_that_do_not_add_up_are_a_warning():
    data = (FILES / "camt053_001_02.xml").read_bytes().replace(b">3000.00<", b">2999.00<")
    warnings = parse_statement(data).warnings
    assert "línea 62: las partidas suman 7999.00 pero el movimiento es de 8000.00" in warnings


@pytest.mark.parametrize(
    ("data", "message", "line"),
    [
        (
            b"<Document><Foo/></Document>",
            "no es un archivo CAMT: falta BkToCstmrStmt, BkToCstmrAcctRpt o BkToCstmrDbtCdtNtfctn",
            None,
        ),
        (
            b"<Document><BkToCstmrStmt><GrpHdr/></BkToCstmrStmt></Document>",
            "archivo CAMT sin Stmt: no trae ningún estado de cuenta",
            1,
        ),
        (
            b"<Document>\n<BkToCstmrStmt>",
            "no es un archivo CAMT: el XML está mal formado",
            2,
        ),
    ],
)
def test_camt_refusals(data, message, line):
    error = refusal(data)
    assert (error.message, error.line) == (message, line)


def _one_entry(entry: str) -> bytes:
    return (
        "<Document><BkToCstmrStmt><Stmt><Id>1</Id>\n<Ntry>" + entry + "</Ntry>"
        "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


@pytest.mark.parametrize(
    ("entry", "message", "line"),
    [
        (
            '\n<Amt Ccy="MXN">12,50</Amt><CdtDbtInd>CRDT</CdtDbtInd>',
            "importe «12,50» no es un número",
            3,
        ),
        (
            '<Amt Ccy="MXN">1.00</Amt><CdtDbtInd>X</CdtDbtInd>',
            "movimiento: CdtDbtInd «X» debe ser CRDT o DBIT",
            2,
        ),
        ("<CdtDbtInd>CRDT</CdtDbtInd>", "movimiento sin importe (Amt)", 2),
        (
            '<Amt Ccy="MXN">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>',
            "movimiento sin fecha: se esperaba BookgDt o ValDt",
            2,
        ),
        (
            '<Amt Ccy="MXN">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>\n<BookgDt><Dt>30/11/2026</Dt></BookgDt>',
            "fecha contable «30/11/2026» no es una fecha AAAA-MM-DD",
            3,
        ),
    ],
)
def test_camt_entry_refusals(entry, message, line):
    error = refusal(_one_entry(entry))
    assert (error.message, error.line) == (message, line)


def test_camt_entities_are_not_expanded():
    data = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<Document><BkToCstmrDbtCdtNtfctn><Ntfctn><Id>&xxe;</Id><Ntry>"
        b'<Amt Ccy="MXN">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-12-01</Dt></BookgDt>'
        b"</Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    )
    s = parse_statement(data)
    assert (s.statement_id, len(s.movements)) == ("", 1)


# --- MT940 ----------------------------------------------------------------------------------
def test_mt940_ing():
    s = parse("jejik_ing.sta")
    assert (s.format, s.statement_id, s.account, s.currency) == (
        "mt940",
        "MPBZ",
        "0001234567",
        "EUR",
    )
    assert (s.opening_balance, s.opening_date, s.closing_balance, s.closing_date) == (
        Decimal("0.00"),
        D(2010, 7, 22),
        Decimal("3.47"),
        D(2010, 7, 23),
    )
    assert [m.amount for m in s.movements] == [
        Decimal(v) for v in ("-25.03", "-3.03", "-1.11", "-20.00", "-1.10", "3.68", "1.00")
    ]
    assert s.movements[2].reference == "TMG TANGO"
    assert (
        s.movements[5].description
        == "0123456789 EJ46GREENP100610T1456 CLIEOP TMG GPHONGKONG AMSTERDAM"
    )
    assert [m.line for m in s.movements] == [8, 12, 14, 16, 18, 20, 22]
    # the file's own balances do not add up (0.00 − 45.59 ≠ 3.47): said, not hidden
    assert s.warnings == [
        "Los saldos no cuadran: saldo inicial 0.00 más movimientos -45.59 da -45.59, pero "
        "el saldo final es 3.47."
    ]


def test_mt940_german_structured_details_give_name_iban_and_end_to_end():
    s = parse("betterplace_sepa_mt9401.sta")
    assert (len(s.movements), s.account, s.opening_balance, s.closing_balance, s.warnings) == (
        97,
        "50880050/0194774600888",
        Decimal("-1234718.36"),
        Decimal("50.05"),
        [],
    )
    first, last = s.movements[0], s.movements[-1]
    assert (first.amount, first.bank_reference, first.description, first.line) == (
        Decimal("300"),
        "0724710345313905",
        "RETOURE",
        5,
    )
    assert (
        last.amount,
        last.reference,
        last.counterparty_name,
        last.counterparty_account,
        last.line,
    ) == (
        Decimal("50.05"),
        "EndToEndIdTFNR50005000 01",
        "Richter Renate 70 Zeichen B eginn Fuellzeichen xxxxxxxx",
        "DE51508800500190038900",
        586,
    )


def test_mt940_rabobank_slash_codes_and_several_blocks():
    s = parse("jejik_rabobank-iban.sta")
    assert (s.account, s.opening_balance, s.closing_balance, s.closing_date, s.warnings) == (
        "NL71RABO0123456789",
        Decimal("1000.00"),
        Decimal("930.00"),
        D(2013, 1, 15),
        [],
    )
    assert [(m.amount, m.counterparty_name, m.description[:19]) for m in s.movements] == [
        (Decimal("-25.00"), "CONTRA ACCOUNT HOLDER", "/EREF/01-01-2013 12"),
        (Decimal("-10.00"), "JOHN DOE", "Reference 201301234"),
        (Decimal("-25.00"), "CONTRA ACCOUNT HOLDER", "/EREF/08-01-2013 12"),
        (Decimal("-10.00"), "JOHN DOE", "Reference 201301234"),
    ]
    assert s.movements[0].reference == "01-01-2013 12:00 0030000987654321"


@pytest.mark.parametrize(
    ("name", "count", "total", "first", "warnings"),
    [
        ("citi_mt940.sta", 5, "-1142.75", (D(2024, 3, 12), Decimal("-212.39"), "", "", "", 5), 0),
        (
            "cmxl_mt940.sta",
            16,
            "12327.30",
            (D(2013, 10, 17), Decimal("-6800"), "16703074", "16703074", "", 5),
            0,
        ),
        ("jejik_abnamro.sta", 10, "-345.93", (D(2011, 5, 24), Decimal("-9"), "", "", "", 8), 2),
        (
            "jejik_knab.sta",
            3,
            "-6260",
            (D(2014, 5, 7), Decimal("500"), "B4E07XM00J000023", "", "", 5),
            1,
        ),
        (
            "jejik_postfinance.sta",
            4,
            "159.4",
            (D(2013, 12, 9), Decimal("79.7"), "01916", "01916", "", 5),
            1,
        ),
        (
            "jejik_rabobank.sta",
            5,
            "-1589.09",
            (D(2011, 5, 27), Decimal("-1213.28"), "0121470966", "0121470966", "", 6),
            2,
        ),
        (
            "jejik_sns.sta",
            2,
            "-25.00",
            (D(2012, 6, 8), Decimal("-20.00"), "0987654321", "0987654321", "", 5),
            0,
        ),
        ("jejik_triodos.sta", 2, "-715.70", (D(2011, 1, 1), Decimal("-15.70"), "", "", "", 5), 1),
        (
            "mbank_mt940.sta",
            3,
            "0.03",
            (D(2017, 1, 19), Decimal("0.01"), "MB170119012058", "", "", 6),
            0,
        ),
        (
            "selfprovided_raiffeisen-cmi.sta",
            7,
            "-1012213.50",
            (D(2018, 4, 17), Decimal("2066637.00"), "", "", "", 6),
            1,
        ),
    ],
)
def test_mt940_real_files(name, count, total, first, warnings):
    s = parse(name)
    assert s.format == "mt940"
    assert len(s.movements) == count
    assert sum(m.amount for m in s.movements) == Decimal(total)
    assert brief(s.movements[0]) == first
    assert len(s.warnings) == warnings


def test_mt940_sns_value_and_entry_dates():
    first = parse("jejik_sns.sta").movements[0]
    assert (first.booking_date, first.value_date) == (D(2012, 6, 8), D(2012, 6, 7))


def test_mt940_refusals():
    error = refusal(
        b":20:X\n:25:1\n:60F:C100722EUR0,00\n:61:ABC\n:62F:C100723EUR3,47\n", format="mt940"
    )
    assert (error.message, error.line) == (
        "campo MT940 ilegible «ABC»: se esperaba fecha AAMMDD, D/C e importe",
        4,
    )
    error = refusal(b":20:X\n:25:1\n:60F:C100722EUR0,00\n:61:100722D25,0,3NTRFNONREF\n")
    assert (error.message, error.line) == ("importe MT940 «25,0,3» no es un número", 4)
    error = refusal(b"hello", format="mt940")
    assert (error.message, error.line) == (
        "no es un archivo MT940: faltan los campos :20: y :25:",
        None,
    )


# --- OFX ------------------------------------------------------------------------------------
def test_ofx_sgml_checking():
    s = parse("ofxparse_checking.ofx")
    assert (
        s.format,
        s.account,
        s.currency,
        s.closing_balance,
        s.closing_date,
        s.opening_balance,
    ) == (
        "ofx",
        "1452687~7",
        "USD",
        Decimal("100.99"),
        D(2013, 5, 25),
        None,
    )
    assert [(m.booking_date, m.amount, m.bank_reference, m.reference) for m in s.movements] == [
        (D(2011, 3, 31), Decimal("0.01"), "0000486", ""),
        (D(2011, 4, 5), Decimal("-34.51"), "0000487", ""),
        (D(2011, 4, 7), Decimal("-25.00"), "0000488", "319"),  # CHECKNUM
    ]
    check = s.movements[2]
    assert (check.counterparty_name, check.description, check.line) == (
        "RETURNED CHECK FEE, CHECK # 319",
        "RETURNED CHECK FEE, CHECK # 319 FOR $45.33 ON 04/07/11",
        62,
    )


def test_ofx_xml_and_other_shapes():
    anz = parse("ofxparse_anzcc.ofx")  # OFX 2.x header, credit card statement
    assert (anz.account, anz.currency, anz.closing_balance, len(anz.movements)) == (
        "1234123412341234",
        "AUD",
        Decimal("-123.45"),
        1,
    )
    [m] = anz.movements
    assert (m.booking_date, m.value_date, m.amount, m.bank_reference, m.description) == (
        D(2017, 5, 8),
        D(2017, 5, 8),
        Decimal("-5.50"),
        "201705080001",
        "SOME MEMO",
    )
    medium = parse("ofxparse_bank_medium.ofx")
    assert (medium.account, medium.currency, medium.closing_balance, len(medium.movements)) == (
        "12300 000012345678",
        "CAD",
        Decimal("382.34"),
        3,
    )
    assert sum(m.amount for m in medium.movements) == Decimal("-345.27")
    assert medium.movements[0].counterparty_name == "MCDONALD'S #112"
    suncorp = parse("ofxparse_suncorp.ofx")  # every tag closed
    assert [(m.amount, m.bank_reference, m.reference) for m in suncorp.movements] == [
        (Decimal("-16.85"), "1", "0")
    ]
    assert suncorp.closing_balance == Decimal("1234.12")


def test_ofx_dates_with_time_zone_and_refusals():
    trn = "<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>{date}<TRNAMT>{amount}<FITID>A1</STMTTRN>"
    body = "OFXHEADER:100\n<OFX><STMTRS><CURDEF>MXN<BANKTRANLIST>\n{trn}\n</BANKTRANLIST></STMTRS></OFX>"

    def ofx(date="20240131120000[-6:CST]", amount="1500.00"):
        return body.format(trn=trn.format(date=date, amount=amount)).encode()

    [m] = parse_statement(ofx()).movements
    assert (m.booking_date, m.amount, m.currency) == (D(2024, 1, 31), Decimal("1500.00"), "MXN")
    assert parse_statement(ofx(amount="-5,50")).movements[0].amount == Decimal("-5.50")
    error = refusal(ofx(date="31/01/2024"))
    assert (error.message, error.line) == ("fecha «31/01/2024» no es una fecha OFX (AAAAMMDD…)", 3)
    error = refusal(ofx(amount="1.500,00"))
    assert (error.message, error.line) == ("importe «1.500,00» no es un número", 3)
    error = refusal(b"OFXHEADER:100\n<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>")
    assert error.message == "archivo OFX sin STMTRS: no trae ningún estado de cuenta"
    error = refusal(b"OFXHEADER:100\nnothing", format="ofx")
    assert error.message == "no es un archivo OFX: falta la etiqueta <OFX>"


# --- detection ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("camt053_001_02.xml", "camt"),
        ("camt054_001_08.xml", "camt"),
        ("jejik_ing.sta", "mt940"),
        ("cmxl_mt940.sta", "mt940"),
        ("ofxparse_checking.ofx", "ofx"),
        ("ofxparse_anzcc.ofx", "ofx"),
    ],
)
def test_detect_format_by_content(name, expected):
    assert detect_format((FILES / name).read_bytes(), "") == expected


def test_detect_format_falls_back_on_the_extension():
    assert detect_format(b"whatever", "estado.sta") == "mt940"
    assert detect_format(b"Fecha,Importe\n", "movimientos.csv") == "csv"
    assert detect_format(b"PK\x03\x04rest", "x.bin") == "csv"


def test_empty_file_and_unknown_format():
    assert refusal(b"  \n").message == "el archivo está vacío"
    error = refusal(b"x", format="qif")
    assert error.message == "formato «qif» desconocido: se esperaba camt, mt940, ofx, csv o cep"
