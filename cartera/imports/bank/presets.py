"""Presets for the spreadsheets Mexican banks export.

No real Mexican bank export is published under an open licence, so each preset says what
comes from a public source and what is our assumption. Sources (read for their layout,
no code copied):

- pcsystems = DavidPerezPC/pcsystems ``addons/ent_bank_import/models/account_journal.py``
  (``_santander_statement``, ``_scotiabank_statement``) and its fixture
  ``data/Scotiabank2307.csv``, as summarised in docs/bank-files.md;
- srandres = srandres-git/cves-edo-cta-mlg, whose parsers for Banamex, Santander, HSBC, BBVA
  and Banorte normalise every bank to the columns FECHA, DESCRIPCIÓN, CONCEPTO, REFERENCIA,
  REFERENCIA BANCARIA, BENEFICIARIO, CARGO, ABONO, SALDO (and try latin-1 then utf-8).

Every preset is an ordinary ``SheetPreset``: an organisation whose bank writes it
differently stores an edited copy (``preset.to_dict()`` → edit → ``SheetPreset.from_dict``).
"""

from .sheets import SheetPreset

PRESETS: dict[str, SheetPreset] = {
    # pcsystems: no header; date DDMMYYYY between apostrophes at index 1; the sign (+/-)
    # at index 5 and the amount at index 6 ("signed amount split across columns 5 and
    # 6"); reference at 8 (and 4), concept at 9, counterparty name at 11, account at 12.
    # Assumed: index 4 is the bank's description and 7 the running balance, comma
    # separator, point decimals without thousands separators, windows-1252.
    "santander": SheetPreset(
        name="santander",
        label="Santander México (CSV de Enlace/SuperNet)",
        encoding="windows-1252",
        delimiter=",",
        thousands="",
        date_formats=["%d%m%Y"],
        has_header=False,
        date=1,
        description=[4, 9],
        reference=8,
        counterparty=11,
        counterparty_account=12,
        amount_mode="amount_and_type",
        amount=6,
        type_column=5,
        credit_values=["+"],
        debit_values=["-"],
        balance=7,
    ),
    # pcsystems: date, reference, amount and a CARGO/ABONO column, in that order.
    # Assumed: no header row, description at index 4, DD/MM/YYYY dates, windows-1252.
    "scotiabank": SheetPreset(
        name="scotiabank",
        label="Scotiabank México",
        encoding="windows-1252",
        delimiter=",",
        date_formats=["%d/%m/%Y", "%d/%m/%y"],
        has_header=False,
        date=0,
        reference=1,
        amount_mode="amount_and_type",
        amount=2,
        type_column=3,
        credit_values=["ABONO"],
        debit_values=["CARGO"],
        description=[4],
    ),
    # srandres: the target columns, which its BBVA parser fills from BBVA's export.
    # Assumed: the export's own header is "Fecha, Concepto / Referencia, Cargo, Abono,
    # Saldo", comma separator, DD/MM/YYYY, "1,234.56".
    "bbva": SheetPreset(
        name="bbva",
        label="BBVA México",
        encoding="utf-8",
        delimiter="auto",
        date_formats=["%d/%m/%Y", "%d-%m-%Y"],
        date="Fecha",
        description=["Concepto / Referencia"],
        amount_mode="debit_credit",
        debit="Cargo",
        credit="Abono",
        balance="Saldo",
    ),
    # srandres: Banorte is one of the banks it parses. Assumed: Banorte's "consulta de
    # movimientos" header (FECHA, REFERENCIA, DESCRIPCIÓN, DEPÓSITOS, RETIROS, SALDO,
    # DESCRIPCIÓN DETALLADA), DD/MM/YYYY, "1,234.56", windows-1252.
    "banorte": SheetPreset(
        name="banorte",
        label="Banorte",
        encoding="windows-1252",
        delimiter="auto",
        date="FECHA",
        reference="REFERENCIA",
        description=["DESCRIPCIÓN", "DESCRIPCIÓN DETALLADA"],
        amount_mode="debit_credit",
        debit="RETIROS",
        credit="DEPÓSITOS",
        balance="SALDO",
    ),
    # srandres: Banamex is one of the banks it parses. Assumed: header "Fecha,
    # Descripción, Depósitos, Retiros, Saldo", DD/MM/YYYY or DD-MM-YYYY, "1,234.56".
    "banamex": SheetPreset(
        name="banamex",
        label="Citibanamex",
        encoding="windows-1252",
        delimiter="auto",
        date_formats=["%d/%m/%Y", "%d-%m-%Y"],
        date="Fecha",
        description=["Descripción"],
        amount_mode="debit_credit",
        debit="Retiros",
        credit="Depósitos",
        balance="Saldo",
    ),
    # srandres: HSBC is one of the banks it parses. Assumed: header "Fecha,
    # Descripción, Referencia, Cargo, Abono, Saldo", DD/MM/YYYY, "1,234.56".
    "hsbc": SheetPreset(
        name="hsbc",
        label="HSBC México",
        encoding="utf-8",
        delimiter="auto",
        date="Fecha",
        description=["Descripción"],
        reference="Referencia",
        amount_mode="debit_credit",
        debit="Cargo",
        credit="Abono",
        balance="Saldo",
    ),
    # srandres: exactly its normalised target columns, for files already in that shape
    # (or prepared by hand). Assumed: DD/MM/YYYY, "1,234.56".
    "generico": SheetPreset(
        name="generico",
        label="Genérico (FECHA, DESCRIPCIÓN, CONCEPTO, REFERENCIA, …, CARGO, ABONO, SALDO)",
        encoding="utf-8",
        delimiter="auto",
        date="FECHA",
        description=["DESCRIPCIÓN", "CONCEPTO"],
        reference="REFERENCIA",
        bank_reference="REFERENCIA BANCARIA",
        counterparty="BENEFICIARIO",
        amount_mode="debit_credit",
        debit="CARGO",
        credit="ABONO",
        balance="SALDO",
    ),
}


def preset_for(name: str) -> SheetPreset:
    """The shipped preset ``name``; KeyError for an unknown one."""
    return PRESETS[name.lower()]
