"""Bank statement files built from the ISO 20022 structure, for tests, the demo and the
benchmarks: a camt.053.001.08 statement whose entries carry the fields Mexican banks fill
for an incoming SPEI (AcctSvcrRef, EndToEndId, the payer's name and account, Ustrd)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Entry:
    amount: Decimal  # signed: + credit
    text: str = ""
    payer: str = ""
    payer_account: str = ""
    end_to_end: str = ""
    day: dt.date = dt.date(2026, 11, 30)
    bank_id: str = ""


def _entry(entry: Entry, number: int) -> str:
    indicator = "CRDT" if entry.amount > 0 else "DBIT"
    bank_id = entry.bank_id or f"BNK{entry.day:%Y%m%d}{number:08d}"
    party = ""
    if entry.payer or entry.payer_account:
        party = (
            "<RltdPties>"
            + (f"<Dbtr><Nm>{escape(entry.payer)}</Nm></Dbtr>" if entry.payer else "")
            + (
                f"<DbtrAcct><Id><Othr><Id>{entry.payer_account}</Id></Othr></Id></DbtrAcct>"
                if entry.payer_account
                else ""
            )
            + "</RltdPties>"
        )
    refs = f"<Refs><EndToEndId>{escape(entry.end_to_end or 'NOTPROVIDED')}</EndToEndId></Refs>"
    return (
        f'<Ntry><Amt Ccy="MXN">{abs(entry.amount):.2f}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{entry.day.isoformat()}</Dt></BookgDt>"
        f"<ValDt><Dt>{entry.day.isoformat()}</Dt></ValDt><AcctSvcrRef>{bank_id}</AcctSvcrRef>"
        "<BkTxCd><Prtry><Cd>SPEI</Cd></Prtry></BkTxCd>"
        f"<NtryDtls><TxDtls>{refs}{party}"
        f"<RmtInf><Ustrd>{escape(entry.text)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
    )


def camt053(
    entries: list[Entry],
    *,
    account: str = "012180001234567899",
    opening: Decimal = Decimal("0.00"),
    statement_id: str = "EDC-TEST-1",
) -> bytes:
    closing = opening + sum((e.amount for e in entries), Decimal(0))
    days = [e.day for e in entries] or [dt.date(2026, 11, 30)]
    first, last = min(days), max(days)

    def balance(code, amount, day):
        sign = "CRDT" if amount >= 0 else "DBIT"
        return (
            f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="MXN">{abs(amount):.2f}</Amt><CdtDbtInd>{sign}</CdtDbtInd>'
            f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
        )

    body = "".join(_entry(e, n) for n, e in enumerate(entries, start=1))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>{last.isoformat()}T23:59:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><Acct><Id><Othr><Id>{account}</Id></Othr></Id>"
        "<Ccy>MXN</Ccy></Acct>"
        f"{balance('OPBD', opening, first - dt.timedelta(days=1))}{balance('CLBD', closing, last)}"
        f"{body}</Stmt></BkToCstmrStmt></Document>"
    ).encode()
