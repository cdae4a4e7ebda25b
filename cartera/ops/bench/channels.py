"""WhatsApp and SMS throughput against the local fakes (``cartera/testing``), webhook
acknowledgement time, and inbound replies turned into acts.

Creates (once) the organisation ``bench-channels`` with ``--customers`` customers (one
open invoice and one contact with a WhatsApp/mobile number each), then, timed:

1. ``--messages`` WhatsApp template messages sent by one worker to the fake Cloud API
   (the per-number token bucket caps it at 80 messages/s);
2. the same number of SMS (two GSM-7 segments each) to the fake Twilio API;
3. ``--webhooks`` signed WhatsApp webhook POSTs through Django's test client, one after
   another (server time: verify, store the raw event, enqueue; no network);
4. ``--replies`` inbound replies (paid / promise / dispute / other, mixed) processed into
   acts by ``process_whatsapp_event``.

Each figure comes with the CPU time this process spent on it (the fakes run in it too):
on a shared machine the wall time depends on what else runs, the CPU time much less.
The load average before and after is printed as well.
"""

import datetime as dt
import json
import os
import statistics
import time
from decimal import Decimal

from django.conf import settings
from django.test import Client
from django.utils import timezone

from cartera.customers.models import Contact, Customer
from cartera.customers.services import create_customer, save_contact
from cartera.invoices.services import create_invoice
from cartera.orgs.models import Organization
from cartera.orgs.services import create_organization
from cartera.outreach.conversations import process_whatsapp_event
from cartera.outreach.models import InboundEvent, InboundMessage, Message, WhatsAppTemplate
from cartera.outreach.sending import send_due_messages
from cartera.outreach.sms import save_sms_config
from cartera.outreach.whatsapp import save_whatsapp_config
from cartera.testing import fake_twilio as ft
from cartera.testing import fake_whatsapp as fw

HELP = (
    "WhatsApp/SMS send rates to the fakes, webhook ack time, replies to acts: "
    "[--customers 200] [--messages 400] [--webhooks 500] [--replies 10000] [--json]"
)
SLUG = "bench-channels"
SECRET = "bench-secret"
REPLIES = ("ya pagué", "pago el viernes", "no reconozco la factura", "hola, ¿quién habla?")


def add_arguments(parser) -> None:
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--webhooks", type=int, default=500)
    parser.add_argument("--replies", type=int, default=10000)
    parser.add_argument(
        "--connections", type=int, default=1, help="sender threads of the one worker"
    )
    parser.add_argument("--json", action="store_true")


def _number(index: int) -> str:
    return f"+52 81 {2000 + index // 10000:04d} {index % 10000:04d}"


def _organization(customers: int):
    organization = Organization.objects.filter(slug=SLUG).first()
    if organization is None:
        organization = create_organization(
            slug=SLUG, name="Bench Canales S.A. de C.V.", country="MX", tax_id="BCA010101AA1"
        )
    have = Customer.objects.filter(organization=organization).count()
    for index in range(have, customers):
        customer = create_customer(
            organization=organization, actor=None, external_id=f"C{index}", name=f"Cliente {index}"
        )
        number = _number(index)
        save_contact(
            customer=customer,
            actor=None,
            name=f"Contacto {index}",
            mobile_phone=number,
            whatsapp=number,
        )
        create_invoice(
            customer=customer,
            actor=None,
            external_id=f"F{index}",
            number=f"BF-{index}",
            issue_date=dt.date(2026, 9, 1),
            due_date=dt.date(2026, 10, 1),
            currency="MXN",
            total=Decimal("1160.00"),
        )
    return organization


def _queue(organization, channel: str, count: int, now) -> None:
    contacts = list(
        Contact.objects.filter(customer__organization=organization).select_related("customer")
    )
    rows = []
    for index in range(count):
        contact = contacts[index % len(contacts)]
        rows.append(
            Message(
                organization=organization,
                key=f"bench-{channel}-{now.timestamp()}-{index}",
                customer=contact.customer,
                channel=channel,
                purpose="statement",
                as_of=now.date(),
                stage="soft",
                to=[contact.whatsapp],
                body_text="Recordatorio de saldo " + "x" * 200,
                scheduled_for=now,
            )
        )
    Message.objects.bulk_create(rows)


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


def _send(organization, channel: str, count: int, connections: int) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds of this process, counts by final status)."""
    now = timezone.now()
    _queue(organization, channel, count, now)
    started, cpu = time.perf_counter(), time.process_time()
    counts = send_due_messages(
        now=now, limit=count, organization=organization, connections=connections
    )
    return time.perf_counter() - started, time.process_time() - cpu, counts


def _webhooks(organization, count: int) -> list[float]:
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client, url, timings = Client(), f"/webhooks/whatsapp/{SLUG}/", []
    stamp = int(time.time())
    for index in range(count):
        body = fw.webhook_body(
            statuses=[
                fw.status_event(
                    wamid=f"wamid.B{stamp}{index}",
                    status="delivered",
                    timestamp=stamp,
                    recipient="1",
                )
            ]
        )
        started = time.perf_counter()
        response = client.post(
            url,
            data=body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=fw.sign(SECRET, body),
        )
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return timings


def _replies(organization, count: int, customers: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) to turn ``count`` stored replies into acts."""
    stamp = int(time.time())
    events = []
    for start in range(0, count, 100):  # Meta batches several messages per call
        messages = [
            fw.text_message(
                wamid=f"wamid.R{stamp}-{index}",
                sender=f"52181{(2000 + (index % customers) // 10000):04d}{(index % customers) % 10000:04d}",
                text=REPLIES[index % len(REPLIES)],
                timestamp=stamp,
            )
            for index in range(start, min(start + 100, count))
        ]
        body = fw.webhook_body(messages=messages)
        events.append(
            InboundEvent.objects.create(
                organization=organization,
                provider="whatsapp",
                digest=f"r{stamp}-{start}",
                body=body.decode(),
                received_at=timezone.now(),
            )
        )
    started, cpu = time.perf_counter(), time.process_time()
    for event in events:
        process_whatsapp_event(event, now=timezone.now())
    return time.perf_counter() - started, time.process_time() - cpu


def run(options, stdout) -> None:
    settings.BASE_URL = settings.BASE_URL or "https://cobranza.example.mx"
    organization = _organization(options["customers"])
    results = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
    with fw.FakeWhatsApp() as wa, ft.FakeTwilio() as sms:
        save_whatsapp_config(
            organization=organization,
            actor=None,
            phone_number_id="100200300",
            business_account_id="400500600",
            access_token=wa.token,
            app_secret=SECRET,
            verify_token="v",
            api_url=wa.url,
        )
        save_sms_config(
            organization=organization,
            actor=None,
            account_sid=sms.account_sid,
            auth_token=sms.auth_token,
            from_number="+15005550006",
            api_url=sms.url,
        )
        WhatsAppTemplate.objects.update_or_create(
            organization=organization,
            name="bench_saldo",
            language="es_MX",
            defaults={
                "status": "APPROVED",
                "body": "Hola {{1}}: {{2}}",
                "parameter_count": 2,
                "stage": "soft",
                "parameters": ["customer", "amount"],
                "synced_at": timezone.now(),
            },
        )
        seconds, cpu, counts = _send(
            organization, "whatsapp", options["messages"], options["connections"]
        )
        results["whatsapp_messages_per_s"] = _rate(len(wa.sent), seconds)
        results["whatsapp_cpu_ms_per_message"] = round(cpu * 1000 / max(1, len(wa.sent)), 1)
        results["whatsapp_counts"] = counts
        seconds, cpu, counts = _send(
            organization, "sms", options["messages"], options["connections"]
        )
        results["sms_cpu_ms_per_message"] = round(cpu * 1000 / max(1, len(sms.sent)), 1)
        segments = sum(
            m.segments or 0
            for m in Message.objects.filter(organization=organization, channel="sms", status="sent")
        )
        results["sms_segments_per_s"] = _rate(
            segments
            * len(sms.sent)
            // max(
                1,
                Message.objects.filter(
                    organization=organization, channel="sms", status="sent"
                ).count(),
            ),
            seconds,
        )
        results["sms_counts"] = counts
    timings = _webhooks(organization, options["webhooks"])
    results["webhook_ack_ms_p50"] = round(statistics.median(timings), 1)
    results["webhook_ack_ms_p95"] = round(statistics.quantiles(timings, n=20)[18], 1)
    before = InboundMessage.objects.filter(organization=organization).count()
    seconds, cpu = _replies(organization, options["replies"], options["customers"])
    acted = InboundMessage.objects.filter(organization=organization).count() - before
    results["replies"] = acted
    results["replies_seconds"] = round(seconds, 1)
    results["replies_cpu_seconds"] = round(cpu, 1)
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    stdout.write(
        json.dumps(results)
        if options["json"]
        else "\n".join(f"{k}: {v}" for k, v in results.items())
    )
