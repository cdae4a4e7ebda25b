"""What a bank file says, independent of its format.

The parsers (``cartera.imports.bank``: CAMT.053/052/054, MT940, OFX, bank spreadsheets)
turn a file into one ``ParsedStatement``; ``cartera.payments.bank`` stores its movements once
and reconciles the incoming ones. Amounts are ``Decimal`` in the statement's currency,
signed: credits (money in) positive, debits negative.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


class StatementError(ValueError):
    """The file cannot be read as a statement. ``line`` is the 1-based line (or row) of the
    problem when there is one; the message says what was expected, in the user's language."""

    def __init__(self, message: str, *, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"{self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class ParsedMovement:
    booking_date: dt.date
    amount: Decimal  # signed: + money in (credit), − money out (debit)
    currency: str
    value_date: dt.date | None = None
    bank_reference: str = ""  # the bank's own id: FITID, AcctSvcrRef, :61: bank reference
    description: str = ""  # free text: RmtInf/Ustrd, :86:, MEMO, "concepto"
    reference: str = ""  # the payer's reference: EndToEndId, referencia numérica, NAME/REFNUM
    counterparty_name: str = ""  # RltdPties/Dbtr/Nm, nombre del ordenante
    counterparty_account: str = ""  # IBAN / CLABE / account of the payer
    counterparty_rfc: str = ""
    beneficiary_account: str = ""  # the account credited (a virtual CLABE), when given
    tracking_key: str = ""  # SPEI clave de rastreo
    balance_after: Decimal | None = None  # running balance, when the bank gives it
    line: int | None = None  # where it was in the file (1-based), for messages

    @property
    def is_credit(self) -> bool:
        return self.amount > 0


@dataclass(frozen=True)
class ParsedStatement:
    format: str  # camt053 / camt052 / camt054 / mt940 / ofx / csv:<preset>
    movements: list[ParsedMovement]
    account: str = ""  # IBAN / CLABE / account number as the file names it
    currency: str = ""
    statement_id: str = ""
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    opening_date: dt.date | None = None
    closing_date: dt.date | None = None
    warnings: list[str] = field(default_factory=list)
