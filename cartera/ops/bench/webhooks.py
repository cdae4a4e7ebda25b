"""Acknowledging webhooks under load (issue 15: payments < 200 ms at p95, >= 100/s on 2
cores; issue 14: WhatsApp and SMS the same).

Starts the app under gunicorn exactly as ``cartera serve`` does (``--workers`` sync
processes by default, ``--threads`` for gthread workers), on the database this command
uses, then posts validly signed notifications, in turn, at a fixed rate (``--rate`` per
second for ``--seconds``) from a client of ``--concurrency`` threads: Stripe, Mercado Pago
and Conekta payment notifications, or with ``--channels`` inbound WhatsApp messages
(``X-Hub-Signature-256``) and SMS (Twilio's ``X-Twilio-Signature``). Every
``--duplicate-every``-th notification is a re-delivery of one sent shortly before. Latency
is measured from the moment a notification was due to be sent (a late send counts against
the server), to the end of the answer.

It prints acknowledged/s, p50/p95/p99 latency, errors, and checks the queue: one job
(``process_provider_event``, or ``process_inbound`` for the channels) per distinct
notification, none for the duplicates. No worker runs during the load, so the jobs stay
in the queue to be counted.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django_tasks_db.models import DBTaskResult

from cartera.outreach.models import InboundEvent
from cartera.outreach.sms import save_sms_config
from cartera.outreach.tasks import process_inbound
from cartera.outreach.whatsapp import save_whatsapp_config
from cartera.payments.inbox import PROCESS_TASK
from cartera.payments.models import ProviderEvent
from cartera.payments.providers.mercadopago import sign as mercadopago_sign
from cartera.portal.models import PortalSettings
from cartera.testing import fake_twilio, fake_whatsapp

from .generate import _organization

HELP = (
    "Payment (or with --channels WhatsApp and SMS) webhooks under gunicorn: [--rate 100]"
    " [--seconds 30] [--workers 2] [--threads 1] [--concurrency 32] [--duplicate-every 10]"
    " [--channels] [--json]"
)
SLUG = "bench-webhooks"
PROVIDERS = ("stripe", "mercadopago", "conekta")
CHANNELS = ("whatsapp", "sms")
STRIPE_SECRET = "whsec_bench"
MERCADOPAGO_SECRET = "mp-bench-secret"
WHATSAPP_SECRET = "wa-bench-secret"
TWILIO_SID, TWILIO_TOKEN = "AC" + "b" * 32, "twilio-bench-token"
# Stripe refuses signatures older than five minutes; they are made before the load starts.
MAX_SECONDS = 240
START_TIMEOUT = 300  # a loaded machine is slow to import Django in each worker


def add_arguments(parser) -> None:
    parser.add_argument("--rate", type=float, default=100.0, help="notifications per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (1: sync workers)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="client requests in flight")
    parser.add_argument(
        "--duplicate-every", type=int, default=10, help="every Nth is a re-delivery (0: none)"
    )
    parser.add_argument(
        "--channels", action="store_true", help="inbound WhatsApp and SMS instead of payments"
    )
    parser.add_argument("--json", action="store_true")


@dataclass(frozen=True)
class Delivery:
    provider: str
    path: str
    body: bytes
    headers: dict
    key: str  # the inbox's event id of the notification: a duplicate repeats one


class Signer:
    """Notifications signed as each provider signs them, for one benchmark organisation."""

    def __init__(self, slug: str, *, base_url: str = ""):
        self.slug = slug
        self.base_url = base_url  # what Twilio signs: the full URL it calls
        self.run = uuid.uuid4().hex[:8]
        self.conekta_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def conekta_public_pem(self) -> str:
        return (
            self.conekta_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def stripe(self, n: int, at: int) -> Delivery:
        key = f"evt_bench_{self.run}_{n}"
        body = json.dumps(
            {
                "id": key,
                "object": "event",
                "type": "checkout.session.completed",
                "data": {
                    "object": {
                        "id": f"cs_bench_{self.run}_{n}",
                        "object": "checkout.session",
                        "amount_total": 1160000,
                        "currency": "mxn",
                        "payment_status": "paid",
                        "payment_intent": f"pi_bench_{self.run}_{n}",
                    }
                },
            }
        ).encode()
        digest = hmac.new(
            STRIPE_SECRET.encode(), f"{at}.".encode() + body, hashlib.sha256
        ).hexdigest()
        headers = {"Stripe-Signature": f"t={at},v1={digest}"}
        return Delivery("stripe", f"/p/webhooks/stripe/{self.slug}/", body, headers, key)

    def mercadopago(self, n: int, at: int) -> Delivery:
        notification_id = int(f"{int(self.run, 16) % 10**6}{n:07d}")
        payment_id, request_id, ts = f"{notification_id}1", str(uuid.uuid4()), str(at * 1000)
        body = json.dumps(
            {
                "id": notification_id,
                "live_mode": False,
                "type": "payment",
                "action": "payment.updated",
                "api_version": "v1",
                "data": {"id": payment_id},
            }
        ).encode()
        v1 = mercadopago_sign(MERCADOPAGO_SECRET, data_id=payment_id, request_id=request_id, ts=ts)
        headers = {"x-signature": f"ts={ts},v1={v1}", "x-request-id": request_id}
        path = f"/p/webhooks/mercadopago/{self.slug}/?data.id={payment_id}&type=payment"
        key = f"payment:{payment_id}:{notification_id}"
        return Delivery("mercadopago", path, body, headers, key)

    def conekta(self, n: int) -> Delivery:
        key = f"evt_bench_{self.run}_{n}"
        body = json.dumps(
            {
                "id": key,
                "type": "order.paid",
                "data": {"object": {"id": f"ord_bench_{self.run}_{n}", "object": "order"}},
            }
        ).encode()
        signature = self.conekta_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        headers = {"DIGEST": base64.b64encode(signature).decode()}
        return Delivery("conekta", f"/p/webhooks/conekta/{self.slug}/", body, headers, key)

    def whatsapp(self, n: int, at: int) -> Delivery:
        """A debtor's text, as Meta posts it, signed with the app secret."""
        key = f"wamid.bench{self.run}{n}"
        message = fake_whatsapp.text_message(
            wamid=key, sender=f"52181{n % 10**8:08d}", text="ya pagué", timestamp=at
        )
        body = fake_whatsapp.webhook_body(messages=[message])
        headers = {"X-Hub-Signature-256": fake_whatsapp.sign(WHATSAPP_SECRET, body)}
        return Delivery("whatsapp", f"/webhooks/whatsapp/{self.slug}/", body, headers, key)

    def sms(self, n: int) -> Delivery:
        """An inbound SMS, as Twilio posts it (form fields), signed over our full URL."""
        key = f"SMbench{self.run}{n:07d}"
        params = {
            "AccountSid": TWILIO_SID,
            "MessageSid": key,
            "From": f"+52181{n % 10**8:08d}",
            "To": "+15005550006",
            "Body": "ya pague",
        }
        path = f"/webhooks/sms/{self.slug}/"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": fake_twilio.sign(TWILIO_TOKEN, self.base_url + path, params),
        }
        return Delivery("sms", path, urlencode(params).encode(), headers, key)

    def deliveries(
        self, count: int, duplicate_every: int, providers: tuple = PROVIDERS
    ) -> list[Delivery]:
        at, made = int(time.time()), []
        for n in range(count):
            if duplicate_every and n % duplicate_every == duplicate_every - 1:
                made.append(made[n - duplicate_every // 2])  # a re-delivery, a moment later
                continue
            provider = providers[n % len(providers)]
            if provider == "stripe":
                made.append(self.stripe(n, at))
            elif provider == "mercadopago":
                made.append(self.mercadopago(n, at))
            elif provider == "whatsapp":
                made.append(self.whatsapp(n, at))
            elif provider == "sms":
                made.append(self.sms(n))
            else:
                made.append(self.conekta(n))
        return made


def prepare_channels():
    """The benchmark organisation's WhatsApp number and SMS account (their secrets sign
    the notifications; nothing is sent to them)."""
    organization = _organization(SLUG)
    save_whatsapp_config(
        organization=organization,
        actor=None,
        phone_number_id="100200300",
        business_account_id="400500600",
        access_token="bench-token",
        app_secret=WHATSAPP_SECRET,
        verify_token="v",
        api_url="http://127.0.0.1:9",
    )
    save_sms_config(
        organization=organization,
        actor=None,
        account_sid=TWILIO_SID,
        auth_token=TWILIO_TOKEN,
        from_number="+15005550006",
        api_url="http://127.0.0.1:9",
    )
    return organization


def prepare(signer: Signer):
    organization = _organization(SLUG)
    PortalSettings.objects.update_or_create(
        organization=organization,
        defaults={
            "stripe_secret_key": "sk_test_bench",
            "stripe_webhook_secret": STRIPE_SECRET,
            "mercadopago_access_token": "APP_USR-bench",
            "mercadopago_webhook_secret": MERCADOPAGO_SECRET,
            "conekta_private_key": "key_bench",
            "conekta_webhook_public_key": signer.conekta_public_pem,
        },
    )
    return organization


def database_url() -> str:
    """This command's database, for the server's processes (in a test: the test database)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor == "postgresql":
        user = quote(db.get("USER") or "", safe="")
        password = quote(db.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        return f"postgres://{auth}{db.get('HOST') or ''}:{db.get('PORT') or 5432}/{db['NAME']}"
    raise CommandError(f"bench webhooks does not know how to share a {connection.vendor} database")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    """gunicorn as ``cartera serve`` runs it (access log included), on this database and
    the database task queue."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CARTERA_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DJANGO_SETTINGS_MODULE": "cartera.settings",
        "CARTERA_BASE_URL": settings.BASE_URL,  # the URL the SMS notifications are signed for
    }
    env.pop("CARTERA_TESTING", None)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "cartera.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--no-control-socket",
        "--access-logfile",
        "-",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def post(port: int, delivery: Delivery, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json", **delivery.headers}
        conn.request("POST", delivery.path, body=delivery.body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _probes(channels: bool) -> tuple[list[Delivery], int]:
    """Unsigned posts of each provider, and what they answer (refused: nothing stored)."""
    if channels:
        paths = [f"/webhooks/whatsapp/{SLUG}/", f"/webhooks/sms/{SLUG}/"]
        return [Delivery("probe", path, b"{}", {}, "") for path in paths], 403
    return [Delivery(p, f"/p/webhooks/{p}/{SLUG}/", b"{}", {}, "") for p in PROVIDERS], 400


def wait_until_ready(
    port: int, process: subprocess.Popen, workers: int, *, channels: bool = False
) -> None:
    """Until every worker answers: unsigned posts of each provider are refused (400; 403
    for the channels), which also loads each code path once."""
    deadline = time.monotonic() + START_TIMEOUT
    probe, refused = _probes(channels)
    answered = 0
    while answered < 3 * workers * len(probe):
        if process.poll() is not None or time.monotonic() > deadline:
            raise CommandError("gunicorn did not start (run it by hand to see why)")
        try:
            status, _body = post(port, probe[answered % len(probe)], timeout=5)
        except OSError:
            time.sleep(0.2)
            continue
        if status != refused:
            raise CommandError(f"an unsigned webhook answered {status}, not {refused}")
        answered += 1


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def server_cpu_seconds(master: int) -> float:
    """CPU time used so far by gunicorn's master and its workers (Linux /proc; 0 elsewhere):
    what the notifications cost whatever else the machine is running."""
    pids = [master]
    for task in Path(f"/proc/{master}/task").glob("*/children"):
        pids += [int(child) for child in task.read_text().split()]
    return sum(_cpu_seconds(pid) for pid in pids)


def stop_server(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, PermissionError):
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def load(port: int, deliveries: list[Delivery], rate: float, concurrency: int) -> list[dict]:
    """Send each delivery at its due time; the answer and its latency from that time."""
    results: list[dict] = [{} for _ in deliveries]
    lock = threading.Lock()

    def send(index: int, due: float) -> None:
        delivery = deliveries[index]
        try:
            status, body = post(port, delivery)
            answer = body.decode(errors="replace")[:40]
        except OSError as exc:
            status, answer = 0, type(exc).__name__
        done = time.perf_counter()
        with lock:
            results[index] = {
                "provider": delivery.provider,
                "status": status,
                "answer": answer,
                "ms": (done - due) * 1000,
                "done": done,
            }

    start = time.perf_counter() + 0.2
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for index in range(len(deliveries)):
            due = start + index / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            pool.submit(send, index, due)
    for row in results:
        row["start"] = start
    return results


def percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summarise(
    results: list[dict], deliveries: list[Delivery], providers: tuple = PROVIDERS
) -> dict:
    acknowledged = [r for r in results if r["status"] == 200]
    ordered = sorted(r["ms"] for r in acknowledged)
    start = results[0]["start"] if results else 0
    elapsed = max((r["done"] for r in results), default=start) - start
    by_provider = {}
    for name in providers:
        mine = sorted(r["ms"] for r in acknowledged if r["provider"] == name)
        by_provider[name] = {"acknowledged": len(mine), "p95_ms": round(percentile(mine, 0.95), 1)}
    return {
        "sent": len(results),
        "distinct": len({d.key for d in deliveries}),
        "acknowledged": len(acknowledged),
        "queued": sum(1 for r in acknowledged if r["answer"] == "queued"),
        "duplicate": sum(1 for r in acknowledged if r["answer"] == "duplicate"),
        "errors": len(results) - len(acknowledged),
        "error_answers": sorted(
            {f"{r['status']} {r['answer']}" for r in results if r["status"] != 200}
        ),
        "seconds": round(elapsed, 2),
        "acknowledged_per_second": round(len(acknowledged) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(ordered, 0.50), 1),
        "p95_ms": round(percentile(ordered, 0.95), 1),
        "p99_ms": round(percentile(ordered, 0.99), 1),
        "max_ms": round(ordered[-1], 1) if ordered else 0.0,
        "providers": by_provider,
    }


def check_queue(organization, deliveries: list[Delivery]) -> dict:
    """Rows this run stored, and the jobs queued for them: exactly one each?"""
    keys = {d.key for d in deliveries}
    rows = set(
        ProviderEvent.objects.filter(organization=organization, event_id__in=keys).values_list(
            "pk", flat=True
        )
    )
    jobs: dict[int, int] = {}
    for kwargs in DBTaskResult.objects.filter(task_path=PROCESS_TASK).values_list(
        "args_kwargs", flat=True
    ):
        pk = kwargs["kwargs"].get("event_id")
        if pk in rows:
            jobs[pk] = jobs.get(pk, 0) + 1
    return {
        "stored_events": len(rows),
        "jobs": sum(jobs.values()),
        "one_job_per_event": len(jobs) == len(rows) and set(jobs.values()) <= {1},
    }


def check_channel_queue(organization, after_id: int) -> dict:
    """Inbound events this run stored (after ``after_id``), and the jobs queued for them."""
    rows = set(
        InboundEvent.objects.filter(organization=organization, pk__gt=after_id).values_list(
            "pk", flat=True
        )
    )
    jobs: dict[int, int] = {}
    for kwargs in DBTaskResult.objects.filter(task_path=process_inbound.module_path).values_list(
        "args_kwargs", flat=True
    ):
        pk = kwargs["kwargs"].get("event_id")
        if pk in rows:
            jobs[pk] = jobs.get(pk, 0) + 1
    return {
        "stored_events": len(rows),
        "jobs": sum(jobs.values()),
        "one_job_per_event": len(jobs) == len(rows) and set(jobs.values()) <= {1},
    }


def run(options: dict, stdout) -> None:
    rate, seconds = options["rate"], options["seconds"]
    if rate <= 0 or seconds <= 0 or seconds > MAX_SECONDS:
        raise CommandError(f"--rate must be positive and --seconds between 0 and {MAX_SECONDS}")
    if options["workers"] < 1 or options["threads"] < 1 or options["concurrency"] < 1:
        raise CommandError("--workers, --threads and --concurrency must be at least 1")
    channels = options.get("channels", False)
    providers = CHANNELS if channels else PROVIDERS
    signer = Signer(SLUG, base_url=settings.BASE_URL)
    organization = prepare_channels() if channels else prepare(signer)
    last_event = InboundEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    count = max(1, round(rate * seconds))
    deliveries = signer.deliveries(count, options["duplicate_every"], providers)
    port = _free_port()
    server = start_server(port, options["workers"], options["threads"])
    try:
        wait_until_ready(port, server, options["workers"], channels=channels)
        load_average = os.getloadavg()
        server_before, client_before = server_cpu_seconds(server.pid), time.process_time()
        results = load(port, deliveries, rate, options["concurrency"])
        server_cpu = server_cpu_seconds(server.pid) - server_before
        client_cpu = time.process_time() - client_before
    finally:
        stop_server(server)
    figures = {
        "server": f"gunicorn {options['workers']} workers x {options['threads']} threads",
        "database": connection.vendor,
        "rate": rate,
        "concurrency": options["concurrency"],
        "load_average_before": [round(x, 2) for x in load_average],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "server_cpu_ms_per_notification": round(server_cpu * 1000 / len(results), 2),
        "client_cpu_ms_per_notification": round(client_cpu * 1000 / len(results), 2),
        **summarise(results, deliveries, providers),
        **(
            check_channel_queue(organization, last_event)
            if channels
            else check_queue(organization, deliveries)
        ),
    }
    if channels:  # their endpoints answer the same to a first delivery and a repeat
        figures.pop("queued"), figures.pop("duplicate")
    if options["json"]:
        stdout.write(json.dumps(figures))
        return
    stdout.write(
        f"{figures['server']}, {figures['database']}; load average before "
        f"{figures['load_average_before']}"
    )
    stdout.write(
        f"sent {figures['sent']} ({figures['distinct']} distinct) at {rate:g}/s for {seconds:g} s, "
        f"{figures['concurrency']} in flight at most"
    )
    split = "" if channels else f" (queued {figures['queued']}, duplicate {figures['duplicate']})"
    stdout.write(
        f"acknowledged {figures['acknowledged']}{split}, errors {figures['errors']} "
        f"{figures['error_answers'] or ''}— {figures['acknowledged_per_second']} acknowledged/s"
    )
    stdout.write(
        f"latency ms: p50 {figures['p50_ms']}, p95 {figures['p95_ms']}, p99 {figures['p99_ms']}, "
        f"max {figures['max_ms']}; p95 by provider "
        + ", ".join(f"{k} {v['p95_ms']}" for k, v in figures["providers"].items())
    )
    stdout.write(
        f"CPU per notification: server {figures['server_cpu_ms_per_notification']} ms, client "
        f"{figures['client_cpu_ms_per_notification']} ms; load average after "
        f"{figures['load_average_after']}"
    )
    stdout.write(
        f"queue: {figures['jobs']} jobs for {figures['stored_events']} stored events — "
        + ("exactly one each" if figures["one_job_per_event"] else "NOT one per event")
    )
