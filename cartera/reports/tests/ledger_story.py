"""A small hand-computed ledger shared by the report tests (see each test for figures).

Customer CLI-001 (org A), all amounts MXN unless said:
- F1 issued 2026-01-01 due 2026-01-31, 1,000.00 — paid 400 on 2026-02-15 and 600 on
  2026-03-20 (the second payment recorded first: back-dated order of capture);
- F2 issued 2026-02-01 due 2026-03-03, 2,000.00 — credit note of 500 issued 2026-03-05;
- F3 issued 2026-03-10 due 2026-04-09, USD 500.00 — open;
- F4 issued 2026-03-15 due 2026-04-14, 300.00 — void;
- F5 issued 2026-03-20 due 2026-04-19, 3,000.00 — open.
"""

import datetime as dt
from decimal import Decimal

from cartera.invoices.services import create_credit_note, create_invoice, void_invoice
from cartera.payments.services import allocate_payment, apply_credit_note, record_payment

D = Decimal


def invoice(customer, number, issue, due, total, currency="MXN"):
    return create_invoice(
        customer=customer,
        actor=None,
        external_id=number,
        number=number,
        issue_date=issue,
        due_date=due,
        currency=currency,
        total=D(total),
    )


def pay(customer, target, amount, date, currency="MXN"):
    payment = record_payment(
        customer=customer, actor=None, date=date, amount=D(amount), currency=currency
    )
    allocate_payment(payment=payment, invoice=target, amount=D(amount), actor=None)
    return payment


def build_story(customer):
    f1 = invoice(customer, "F1", dt.date(2026, 1, 1), dt.date(2026, 1, 31), "1000.00")
    f2 = invoice(customer, "F2", dt.date(2026, 2, 1), dt.date(2026, 3, 3), "2000.00")
    f3 = invoice(customer, "F3", dt.date(2026, 3, 10), dt.date(2026, 4, 9), "500.00", "USD")
    f4 = invoice(customer, "F4", dt.date(2026, 3, 15), dt.date(2026, 4, 14), "300.00")
    f5 = invoice(customer, "F5", dt.date(2026, 3, 20), dt.date(2026, 4, 19), "3000.00")
    pay(customer, f1, "600.00", dt.date(2026, 3, 20))
    pay(customer, f1, "400.00", dt.date(2026, 2, 15))  # captured later, effective earlier
    note = create_credit_note(
        customer=customer,
        actor=None,
        external_id="NC1",
        number="NC1",
        issue_date=dt.date(2026, 3, 5),
        currency="MXN",
        total=D("500.00"),
    )
    apply_credit_note(credit_note=note, invoice=f2, amount=D("500.00"), actor=None)
    void_invoice(invoice=f4, actor=None, reason="error de captura")
    return {"F1": f1, "F2": f2, "F3": f3, "F4": f4, "F5": f5}
