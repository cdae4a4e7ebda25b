"""Time the REST API and the webhook sender against the budgets of docs/api.md:

- ``list``: walk ``--invoices`` invoices (created once with ``bench generate`` into the
  organisation ``bench-api``) through ``GET /api/v1/invoices?limit=100`` page by page, in
  Django's test client (server time, no network): p50/p99/max per page (budget p99 < 100 ms);
- ``bulk``: upsert ``--bulk`` new invoices through ``POST /api/v1/invoices/bulk`` in calls
  of 1,000 (budget: 10,000 in under 30 s);
- ``webhooks``: deliver ``--webhooks`` signed messages, one worker, to a local receiver in its
  own process (budget: at least 100 per second).
"""

import datetime as dt
import http.server
import json
import multiprocessing
import statistics
import time
import uuid

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone

from cartera.api.delivery import deliver_due
from cartera.api.models import WebhookEndpoint, WebhookMessage
from cartera.api.signing import new_secret
from cartera.api.tokens import create_api_token
from cartera.customers.models import Customer
from cartera.invoices.models import Invoice
from cartera.lib.dates import local_today
from cartera.orgs.models import Organization

from .generate import _organization, generate

HELP = "Time the API: [--invoices 100000] [--bulk 10000] [--webhooks 1000] [--only list|bulk|webhooks] [--json]"
SLUG = "bench-api"
PAGE = 100


def add_arguments(parser) -> None:
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--bulk", type=int, default=10_000)
    parser.add_argument("--webhooks", type=int, default=1_000)
    parser.add_argument("--only", choices=["list", "bulk", "webhooks"])
    parser.add_argument("--json", action="store_true")


def _prepare(invoices: int) -> Organization:
    organization = _organization(SLUG)
    have = Invoice.objects.filter(organization=organization).count()
    if have < invoices:
        generate(
            organization=organization,
            customers=max(1, invoices // 50),
            invoices=invoices - have,
            seed=have + 1,
            today=local_today(organization.timezone),
        )
    return organization


def _client(organization, scope: str) -> Client:
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.CARTERA_API_RATE_LIMIT = 10**9
    _token, secret = create_api_token(
        organization=organization, actor=None, name=f"bench {scope}", scope=scope
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def bench_list(organization) -> dict:
    client = _client(organization, "read")
    client.get(f"/api/v1/invoices?limit={PAGE}")  # warm-up
    timings, cursor, rows = [], None, 0
    while True:
        url = f"/api/v1/invoices?limit={PAGE}" + (f"&cursor={cursor}" if cursor else "")
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise CommandError(f"list answered {response.status_code}")
        page = response.json()
        rows += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    ordered = sorted(timings)
    return {
        "pages": len(timings),
        "rows": rows,
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1 if len(ordered) > 1 else 0], 1),
        "max_ms": round(ordered[-1], 1),
    }


def bench_bulk(organization, count: int) -> dict:
    client = _client(organization, "write")
    customer = Customer.objects.filter(organization=organization).order_by("pk").first()
    tag = uuid.uuid4().hex[:6]
    issue = local_today(organization.timezone) - dt.timedelta(days=10)
    items = [
        {
            "customer_id": customer.pk,
            "external_id": f"BULK-{tag}-{n}",
            "number": f"BK{tag}{n}",
            "issue_date": issue.isoformat(),
            "total": f"{100 + n % 900}.50",
        }
        for n in range(count)
    ]
    start = time.perf_counter()
    created = 0
    for offset in range(0, count, 1000):
        response = client.post(
            "/api/v1/invoices/bulk",
            json.dumps(items[offset : offset + 1000]),
            content_type="application/json",
        )
        if response.status_code != 200:
            raise CommandError(f"bulk answered {response.status_code}")
        created += response.json()["created"]
    elapsed = time.perf_counter() - start
    return {"invoices": count, "created": created, "seconds": round(elapsed, 1)}


class _Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _serve(port_value, ready) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Sink)
    port_value.value = server.server_address[1]
    ready.set()
    server.serve_forever()


def bench_webhooks(organization, count: int) -> dict:
    port, ready = multiprocessing.Value("i", 0), multiprocessing.Event()
    sink = multiprocessing.Process(target=_serve, args=(port, ready), daemon=True)
    sink.start()
    ready.wait(10)
    settings.CARTERA_WEBHOOKS_ALLOW_PRIVATE = True
    try:
        endpoint = WebhookEndpoint.objects.create(
            organization=organization,
            url=f"http://127.0.0.1:{port.value}/hooks",
            events=["invoice.created"],
            secret=new_secret(),
        )
        now = timezone.now()
        body = json.dumps({"type": "invoice.created", "data": {"id": 1, "total": "100.00"}})
        WebhookMessage.objects.bulk_create(
            WebhookMessage(
                organization=organization,
                endpoint=endpoint,
                webhook_id=f"msg_{uuid.uuid4().hex}",
                event_type="invoice.created",
                body=body,
                next_attempt_at=now,
            )
            for _ in range(count)
        )
        start = time.perf_counter()
        sent = deliver_due(now=now, limit=count)
        elapsed = time.perf_counter() - start
        delivered = WebhookMessage.objects.filter(endpoint=endpoint, status="delivered").count()
    finally:
        sink.terminate()
    return {
        "messages": sent,
        "delivered": delivered,
        "seconds": round(elapsed, 2),
        "per_second": round(sent / elapsed) if elapsed else None,
    }


def run(options: dict, stdout) -> None:
    only = options["only"]
    organization = _prepare(options["invoices"] if only in (None, "list") else 50)
    results = {"database": connection.vendor}
    if only in (None, "list"):
        results["list"] = bench_list(organization)
    if only in (None, "bulk"):
        results["bulk"] = bench_bulk(organization, options["bulk"])
    if only in (None, "webhooks"):
        results["webhooks"] = bench_webhooks(organization, options["webhooks"])
    if options["json"]:
        stdout.write(json.dumps(results))
        return
    for name, figures in results.items():
        stdout.write(f"{name}: {figures}")
