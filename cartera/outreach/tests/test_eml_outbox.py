"""Without a mail server, each message is written as its own ``.eml`` file in the data
directory (docs/dunning.md, "Outbox and email"), readable by any mail client."""

import datetime as dt
import email
import email.policy
import os
import subprocess
import sys

from cartera.customers.services import create_customer, save_contact
from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.invoices.services import create_invoice
from cartera.outreach.models import Message
from cartera.outreach.sending import send_due_messages

PLAN_NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
SEND_NOW = dt.datetime(2026, 10, 7, 16, 0, tzinfo=dt.UTC)  # 10:00 in Monterrey
BACKEND = "cartera.outreach.channels.email.files.EmlFileBackend"


def _second_debtor(org):
    customer = create_customer(
        organization=org, actor=None, external_id="CLI-002", name="Tornillos del Norte"
    )
    save_contact(customer=customer, actor=None, name="Raúl", email="raul@tornillos.mx")
    create_invoice(
        customer=customer,
        actor=None,
        external_id="F-200",
        number="A-200",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="MXN",
        total="500.00",
    )


def test_one_eml_file_per_message(settings, tmp_path, invoice_a, org_a):
    settings.EMAIL_HOST = ""
    settings.EMAIL_BACKEND = BACKEND
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    _second_debtor(org_a)
    load_builtin_strategies(organization=org_a)
    run_planner(organization=org_a, as_of=dt.date(2026, 10, 7), dry_run=False, now=PLAN_NOW)
    assert send_due_messages(now=SEND_NOW) == {"sent": 2}
    files = sorted((tmp_path / "mail").iterdir())
    assert [path.suffix for path in files] == [".eml", ".eml"]
    parsed = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files
    ]
    assert sorted(str(m["To"]) for m in parsed) == ["lucia@latuerca.mx", "raul@tornillos.mx"]
    ids = {str(m["Message-ID"]).strip() for m in parsed}
    assert ids == set(Message.objects.values_list("provider_id", flat=True))
    assert set(Message.objects.values_list("transport", flat=True)) == {"outbox"}
    assert all(m.get_body(("plain",)).get_content() for m in parsed)


def test_without_email_host_the_default_backend_writes_eml_files(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("EMAIL_HOST", "EMAIL_BACKEND")}
    env |= {"CARTERA_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "cartera.settings"}
    code = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == BACKEND
