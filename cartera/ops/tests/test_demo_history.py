"""The demo has a history of sent collection e-mails, so the effectiveness report and the
outbox are not empty on day one."""

import datetime as dt

from cartera.dunning.models import Decision
from cartera.ops.demo.build import build_demo
from cartera.outreach.models import Message, MessageEvent
from cartera.payments.ledger import check_ledger
from cartera.reports.effectiveness import effectiveness

TODAY = dt.date(2026, 11, 22)


def test_demo_effectiveness_report_has_rows(db):
    organization = build_demo(today=TODAY, size="small").organization
    sent = Message.objects.filter(organization=organization, purpose="dunning")
    assert sent.count() > 20
    assert not sent.filter(sent_at__isnull=True).exists()
    assert not sent.filter(sent_at__date__gte=TODAY).exists()  # history, nothing from the future
    kinds = set(MessageEvent.objects.filter(message__in=sent).values_list("kind", flat=True))
    assert {"sent", "delivered", "opened", "clicked"} <= kinds
    # every e-mail chased invoices that were still owed the day before it went out
    for message in sent.prefetch_related("invoices")[:50]:
        for invoice in message.invoices.all():
            assert invoice.issue_date < message.as_of
            assert invoice.paid_at is None or invoice.paid_at >= message.as_of
    assert Decision.objects.filter(message__in=sent).count() >= sent.count()
    report = effectiveness(
        organization=organization, start=TODAY - dt.timedelta(days=89), end=TODAY, as_of=TODAY
    )
    rows = report["variants"]
    assert rows and all(row.strategy == "estandar" and row.version == 1 for row in rows)
    assert sum(row.sent for row in rows) > 20
    assert sum(row.read for row in rows) > 0
    assert sum(row.paid_within[30] for row in rows) > 0  # payments followed some of them
    assert check_ledger(organization=organization)["ok"] is True
