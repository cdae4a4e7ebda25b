"""Amounts on the message detail page are formatted as money (grouped, with currency)."""

import datetime as dt

from cartera.outreach.models import Message


def test_message_detail_formats_invoice_balances(login, owner_a, debtor_a, invoice_a):
    message = Message.objects.create(
        organization=debtor_a.organization,
        key="dun-test-1",
        customer=debtor_a,
        channel="email",
        as_of=dt.date(2026, 10, 5),
        scheduled_for=dt.datetime(2026, 10, 5, 15, tzinfo=dt.UTC),
        subject="Recordatorio",
        status="sent",
    )
    message.invoices.add(invoice_a)
    html = login(owner_a).get(f"/outreach/messages/{message.pk}/").content.decode()
    assert "11,600.00\xa0MXN" in html
    assert "11600.00 MXN" not in html
