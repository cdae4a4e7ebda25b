"""Time the work list and the dashboard on a generated portfolio (targets: bench/README.md).

Prepares the portfolio once: 20 active agents (``bench-agent-NN``), customers assigned
to them in turn, and one open call task per customer with overdue invoices. Then times
GET of the work list ("Mi cobranza de hoy") of one agent and of the dashboard (home) of
that agent and of the owner, through Django's test client (server time, no network).
"""

import datetime as dt
import json
import time

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client
from django.urls import reverse

from cartera.customers.models import Customer
from cartera.followup.choices import TaskKind, TaskStatus
from cartera.followup.models import Task
from cartera.followup.services import refresh_scores
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.lib.dates import local_today
from cartera.orgs.models import Membership, Organization
from cartera.orgs.services import create_member

HELP = "Time the work list and the dashboard: --org SLUG [--agents 20] [--repeat 3]"


def add_arguments(parser) -> None:
    parser.add_argument("--org", required=True, help="organisation slug (bench generate)")
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="runs per page (best is kept)")
    parser.add_argument("--json", action="store_true")


def _prepare(organization, agents: int, today: dt.date):
    users = []
    for n in range(agents):
        username = f"bench-agent-{n:02d}"
        found = Membership.objects.filter(organization=organization, user__username=username)
        if found.exists():
            users.append(found.get().user)
        else:
            users.append(
                create_member(
                    organization=organization,
                    username=username,
                    email=f"{username}@example.com",
                    role="agent",
                    password="bench-Pass-2026",
                )[0]
            )
    if not Membership.objects.filter(
        organization=organization, role__in=["owner", "manager"], is_active=True
    ).exists():
        create_member(
            organization=organization,
            username="bench-manager",
            role="manager",
            email="bench-manager@example.com",
            password="bench-Pass-2026",
        )
    if Task.objects.filter(organization=organization, key__startswith="bench:").exists():
        return users
    with transaction.atomic():
        ids = list(Customer.objects.filter(organization=organization).values_list("pk", flat=True))
        for n, user in enumerate(users):
            Customer.objects.filter(pk__in=ids[n::agents]).update(assigned_agent=user)
        owners = dict(
            Customer.objects.filter(organization=organization).values_list(
                "pk", "assigned_agent_id"
            )
        )
        overdue = set(
            Invoice.objects.filter(
                organization=organization,
                status=InvoiceStatus.OPEN,
                balance__gt=0,
                due_date__lt=today,
            ).values_list("customer_id", flat=True)
        )
        Task.objects.bulk_create(
            [
                Task(
                    organization=organization,
                    customer_id=cid,
                    kind=TaskKind.CALL,
                    title="Llamar",
                    due_date=today,
                    assignee_id=owners[cid],
                    key=f"bench:{cid}",
                )
                for cid in sorted(overdue)
            ],
            batch_size=5000,
        )
    return users


def _best(func, repeat: int) -> float:
    best = None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        response = func()
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise CommandError(f"page answered {response.status_code}")
        best = elapsed if best is None else min(best, elapsed)
    return best


def run(options: dict, stdout) -> None:
    organization = Organization.objects.filter(slug=options["org"]).first()
    if organization is None:
        raise CommandError(f"no organisation {options['org']!r}; run cartera bench generate")
    today = local_today(organization.timezone)
    users = _prepare(organization, options["agents"], today)
    # What the nightly job does (followup.tasks.refresh_task_scores): store every open
    # task's score for today, so the pages below sort in SQL.

    start = time.perf_counter()
    scored = refresh_scores(organization=organization, today=today)
    nightly_ms = round(1000 * (time.perf_counter() - start))
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    agent = users[0]
    owner = (
        Membership.objects.filter(
            organization=organization, role__in=["owner", "manager"], is_active=True
        )
        .select_related("user")
        .order_by("role")
        .first()
    )
    backend = "django.contrib.auth.backends.ModelBackend"
    agent_client, owner_client = Client(), Client()
    agent_client.force_login(agent, backend=backend)
    results = {
        "open_invoices": Invoice.objects.filter(
            organization=organization, status=InvoiceStatus.OPEN
        ).count(),
        "agents": len(users),
        "open_tasks": Task.objects.filter(
            organization=organization, status=TaskStatus.OPEN
        ).count(),
        "agent_tasks": Task.objects.filter(assignee=agent, status=TaskStatus.OPEN).count(),
        "nightly_scores": scored,
        "nightly_scores_ms": nightly_ms,
        "worklist_ms": round(
            1000 * _best(lambda: agent_client.get(reverse("followup:worklist")), options["repeat"])
        ),
        "dashboard_agent_ms": round(
            1000 * _best(lambda: agent_client.get(reverse("reports:home")), options["repeat"])
        ),
    }
    if owner is not None:
        owner_client.force_login(owner.user, backend=backend)
        results["dashboard_manager_ms"] = round(
            1000 * _best(lambda: owner_client.get(reverse("reports:home")), options["repeat"])
        )
        results["worklist_team_ms"] = round(
            1000
            * _best(
                lambda: owner_client.get(reverse("followup:worklist") + "?agent=all"),
                options["repeat"],
            )
        )
    if options["json"]:
        stdout.write(json.dumps(results))
    else:
        for key, value in results.items():
            stdout.write(f"{key}: {value}")
