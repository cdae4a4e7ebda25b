import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cartera.customers.services import create_customer
from cartera.followup.models import PromiseToPay, Task
from cartera.followup.services import add_note, open_task
from cartera.invoices.models import Dispute
from cartera.invoices.services import create_invoice
from cartera.lib.dates import local_today
from cartera.payments.models import Payment
from cartera.reports.tests.exporting import export_in_background
from cartera.timeline.models import Activity, Notification


@pytest.fixture
def today(org_a):
    return local_today(org_a.timezone)


@pytest.fixture
def task(debtor_a, invoice_a, today):
    return open_task(
        customer=debtor_a,
        kind="call",
        title="Llamar a La Tuerca",
        today=today,
        invoices=[invoice_a],
    )


def _post_call(client, task, **data):
    return client.post(reverse("followup:call", args=[task.pk]), data)


def test_worklist_shows_reasons_with_flat_queries(
    login, agent_a, task, org_a, today, django_assert_num_queries
):
    for n in range(5):  # more customers and tasks must not add queries
        c = create_customer(
            organization=org_a,
            actor=None,
            external_id=f"X{n}",
            name=f"X{n}",
            assigned_agent=agent_a,
        )
        open_task(customer=c, kind="call", title="x", today=today)
    client = login(agent_a)
    # Exactly 15, whatever the number of tasks: session, user, membership (3); "any task
    # not scored today?" (1); page count, page rows, their invoices (3); the page's fresh
    # scores: exchange rates, overdue sums, broken promises, classifications (4); the
    # organisation switcher's memberships (1); the first request after login stores the
    # current organisation in the session: savepoint, update, release (3).
    with django_assert_num_queries(15):
        response = client.get(reverse("followup:worklist"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ferretería La Tuerca" in body
    assert "$11,600 vencido" in body
    assert f'href="{reverse("followup:call", args=[task.pk])}"' in body


def test_call_screen_has_tel_links(login, agent_a, task):
    body = login(agent_a).get(reverse("followup:call", args=[task.pk])).content.decode()
    assert 'href="tel:+528112345678"' in body
    assert "A-100" in body


def test_promised_creates_promise_and_closes_task(login, agent_a, task, invoice_a, today):
    response = _post_call(
        login(agent_a),
        task,
        outcome="promised",
        invoices=[invoice_a.pk],
        promised_date=(today + dt.timedelta(days=5)).isoformat(),
        amount="11600.00",
        note="Paga el viernes",
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.outcome) == ("done", "promised")
    promise = PromiseToPay.objects.get()
    assert (promise.amount, promise.promised_date, promise.source) == (
        Decimal("11600.00"),
        today + dt.timedelta(days=5),
        "agent",
    )
    kinds = list(Activity.objects.filter(customer=task.customer).values_list("kind", flat=True))
    assert kinds[:3] == ["task", "call", "promise"]  # newest first


def test_promised_without_date_changes_nothing(login, agent_a, task, invoice_a):
    response = _post_call(login(agent_a), task, outcome="promised", invoices=[invoice_a.pk])
    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.status, PromiseToPay.objects.count()) == ("open", 0)
    assert not Activity.objects.filter(kind="call").exists()


def test_disputes_opens_dispute(login, agent_a, task, invoice_a):
    _post_call(
        login(agent_a),
        task,
        outcome="disputes",
        invoices=[invoice_a.pk],
        dispute_reason="wrong_amount",
        note="Dice que son 10,000",
    )
    dispute = Dispute.objects.get()
    assert dispute.reason == "Importe incorrecto: Dice que son 10,000"
    assert Task.objects.get(pk=task.pk).status == "done"
    assert Task.objects.filter(kind="dispute", status="open").count() == 1
    assert Notification.objects.filter(user=agent_a, kind="dispute").count() == 1


def test_already_paid_reports_payment(login, agent_a, task, invoice_a, today):
    _post_call(
        login(agent_a),
        task,
        outcome="already_paid",
        invoices=[invoice_a.pk],
        paid_date=today.isoformat(),
        method="transfer",
        reference="SPEI 123",
    )
    payment = Payment.objects.get()
    assert (payment.status, payment.amount, payment.reference) == (
        "reported",
        Decimal("11600.00"),
        "SPEI 123",
    )
    assert Task.objects.get(pk=task.pk).status == "done"
    assert Task.objects.get(kind="review_payment").status == "open"


@pytest.mark.parametrize("outcome", ["call_back", "no_answer"])
def test_call_back_and_no_answer_snooze(login, agent_a, task, today, outcome):
    until = today + dt.timedelta(days=3)
    _post_call(login(agent_a), task, outcome=outcome, next_date=until.isoformat())
    task.refresh_from_db()
    assert (task.status, task.snoozed_until, task.outcome) == ("open", until, outcome)
    assert Activity.objects.filter(kind="call", data__outcome=outcome).count() == 1


def test_wrong_number_opens_missing_contact_task(login, agent_a, task):
    _post_call(login(agent_a), task, outcome="wrong_number")
    assert Task.objects.get(pk=task.pk).status == "done"
    missing = Task.objects.get(kind="missing_contact")
    assert (missing.subject, missing.assignee) == ("phone", agent_a)
    assert Notification.objects.filter(user=agent_a, kind="missing_contact").count() == 1


def test_refused_closes_task(login, agent_a, task):
    _post_call(login(agent_a), task, outcome="refused", note="No quiere pagar")
    task.refresh_from_db()
    assert (task.status, task.outcome) == ("done", "refused")
    assert (
        Activity.objects.get(kind="call").summary == "Llamada: Se niega a pagar · No quiere pagar"
    )


def test_viewer_cannot_log_calls(login, viewer_a, task):
    response = _post_call(login(viewer_a), task, outcome="refused")
    assert response.status_code == 403
    assert Task.objects.get(pk=task.pk).status == "open"
    assert not Activity.objects.filter(kind="call").exists()


def test_restricted_agent_never_sees_other_agents_tasks(login, org_a, agent2_a, task):
    org_a.agents_see_only_assigned = True
    org_a.save()
    client = login(agent2_a)
    assert client.get(reverse("followup:call", args=[task.pk])).status_code == 404
    body = client.get(reverse("followup:worklist") + "?agent=all").content.decode()
    assert "Ferretería La Tuerca" not in body


def test_activity_log_filters_and_csv(login, owner_a, task, debtor_a):
    add_note(customer=debtor_a, text="Reclamo por falta de pago", actor=owner_a)
    client = login(owner_a)
    body = client.get(reverse("followup:log") + "?kind=note").content.decode()
    assert "Reclamo por falta de pago" in body and "Tarea: Llamar" not in body
    job, content = export_in_background(client, reverse("followup:log") + "?kind=note&export=csv")
    assert job.filename.endswith(".csv")
    assert "Reclamo por falta de pago" in content.decode("utf-8-sig")
    notes = client.get(reverse("followup:notes") + "?q=reclamo").content.decode()
    assert "Reclamo por falta de pago" in notes


def test_bulk_reassign_by_manager(login, manager_a, agent2_a, task):
    client = login(manager_a)
    client.post(reverse("followup:reassign"), {"task": [task.pk], "to_user": agent2_a.pk})
    assert Task.objects.get(pk=task.pk).assignee == agent2_a


def test_notification_bell_and_mark_read(login, agent_a, org_a):
    note = Notification.objects.create(
        organization=org_a,
        user=agent_a,
        kind="dispute",
        text="Disputa nueva",
        url="/work/",
        source="t:1",
    )
    client = login(agent_a)
    bell = client.get(reverse("followup:notifications"), HTTP_HX_REQUEST="true").content.decode()
    assert "data-unread>1<" in bell
    client.post(reverse("followup:notification_open", args=[note.pk]))
    note.refresh_from_db()
    assert note.read_at is not None


@pytest.mark.parametrize("agent", ["all", "none"])
def test_manager_work_list_shows_unassigned_tasks(login, manager_a, org_a, task, today, agent):
    """A task without an assignee is exactly what "Sin asignar" and bulk reassignment are
    for: the manager's list shows it with a dash for the agent."""
    nobody = create_customer(organization=org_a, actor=None, external_id="U-1", name="Sin Gestor")
    orphan = open_task(customer=nobody, kind="call", title="Llamar a Sin Gestor", today=today)
    Task.objects.filter(pk=orphan.pk).update(assignee=None)
    response = login(manager_a).get(reverse("followup:worklist") + f"?agent={agent}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sin Gestor" in body
    assert ("Ferretería La Tuerca" in body) is (agent == "all")


def test_first_load_is_in_current_score_order(login, agent_a, org_a, task, today):
    """Scores stored this morning go stale when the day changes a customer (here a big
    invoice falls overdue): the first load shows every task in the order of the score it
    shows, best first."""
    small = create_customer(
        organization=org_a,
        actor=None,
        external_id="S-1",
        name="Abarrotes Chica",
        assigned_agent=agent_a,
    )
    later = open_task(customer=small, kind="call", title="Llamar a Abarrotes", today=today)
    before = Task.objects.get(pk=later.pk).score
    create_invoice(
        customer=small,
        actor=None,
        external_id="S-100",
        number="S-100",
        issue_date=today - dt.timedelta(days=120),
        due_date=today - dt.timedelta(days=90),
        currency="MXN",
        total=Decimal("950000.00"),
    )
    response = login(agent_a).get(reverse("followup:worklist"))
    rows = [(t.pk, t.score) for t in response.context["page"].object_list]
    assert [pk for pk, _ in rows] == [later.pk, task.pk]
    assert rows[0][1] > before and rows[0][1] > rows[1][1]
    assert rows == sorted(rows, key=lambda r: -r[1])
