"""The in-app mail viewer, “Enviar prueba a mi correo” and “Enviar ahora”
(docs/mail-viewer.md)."""

import datetime as dt
import email
import email.policy

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.outreach.channels.email.files import EmlFileBackend, eml_path_for
from cartera.outreach.mail_views import MAIL_CSP
from cartera.outreach.message_templates import install_default_templates
from cartera.outreach.models import Message, MessageTemplate, TestSend
from cartera.outreach.send_now import send_queued_now
from cartera.outreach.trial_sends import send_message_test
from cartera.timeline.models import Activity

BACKEND = "cartera.outreach.channels.email.files.EmlFileBackend"
PLAN_NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
AT_NIGHT = dt.datetime(2026, 10, 7, 3, 0, tzinfo=dt.UTC)  # 21:00 on the 6th in Monterrey
IN_WINDOW = dt.datetime(2026, 10, 7, 16, 0, tzinfo=dt.UTC)  # 10:00 in Monterrey


@pytest.fixture
def mail_dir(settings, tmp_path):
    settings.EMAIL_HOST = ""
    settings.EMAIL_BACKEND = BACKEND
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return tmp_path / "mail"


def _eml_files(folder):
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def _queued(org):
    load_builtin_strategies(organization=org)
    run_planner(organization=org, as_of=dt.date(2026, 10, 7), dry_run=False, now=PLAN_NOW)
    return Message.objects.get(organization=org, status="queued")


def _sent_message(customer, mail_dir, *, attachment=None):
    """A sent outbox row whose .eml the local outbox wrote (with an optional file)."""
    message_id = "<m-1@latuerca.test>"
    mail = EmailMultiAlternatives(
        subject="Recordatorio A-100",
        body="Su factura A-100 vence.",
        from_email="Norte <cobranza@norte.mx>",
        to=["lucia@latuerca.mx"],
        headers={"Message-ID": message_id},
    )
    mail.attach_alternative("<p>Su factura <b>A-100</b></p><script>alert(1)</script>", "text/html")
    if attachment:
        mail.attach(*attachment)
    EmlFileBackend(file_path=mail_dir).send_messages([mail])
    return Message.objects.create(
        organization=customer.organization,
        key="m-1",
        customer=customer,
        channel="email",
        as_of=dt.date(2026, 10, 7),
        scheduled_for=IN_WINDOW,
        sent_at=IN_WINDOW,
        subject="Recordatorio A-100",
        body_text="Su factura A-100 vence.",
        to=["lucia@latuerca.mx"],
        status="sent",
        transport="outbox",
        provider_id=message_id,
    )


# --- the viewer --------------------------------------------------------------------------


def test_empty_viewer_says_nothing_was_sent_and_where_mail_goes(login, manager_a, mail_dir):
    response = login(manager_a).get(reverse("outreach:mail"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="mail-empty"' in body
    assert str(mail_dir) in body  # where the .eml files are
    assert "EMAIL_HOST=127.0.0.1 EMAIL_PORT=1025" in body


def test_viewer_shows_a_sent_message_with_headers_text_html_and_attachment(
    login, manager_a, debtor_a, mail_dir
):
    message = _sent_message(
        debtor_a, mail_dir, attachment=("A-100.pdf", b"%PDF-1.4 factura", "application/pdf")
    )
    client = login(manager_a)
    listing = client.get(reverse("outreach:mail"))
    assert [(r.kind, r.pk) for r in listing.context["page_obj"]] == [("message", message.pk)]
    detail = client.get(reverse("outreach:mail_detail", args=["message", message.pk]))
    assert detail.context["mail"].from_file is True
    assert dict(detail.context["headers"])["To"] == "lucia@latuerca.mx"
    assert dict(detail.context["headers"])["Message-ID"] == "<m-1@latuerca.test>"
    assert detail.context["mail"].text.strip() == "Su factura A-100 vence."
    assert [(a.filename, a.size) for a in detail.context["mail"].attachments] == [("A-100.pdf", 16)]
    assert 'sandbox=""' in detail.content.decode()
    html = client.get(reverse("outreach:mail_html", args=["message", message.pk]))
    assert html["Content-Security-Policy"] == MAIL_CSP
    assert "script-src" not in MAIL_CSP and "sandbox" in MAIL_CSP
    assert b"<b>A-100</b>" in html.content
    download = client.get(reverse("outreach:mail_attachment", args=["message", message.pk, 0]))
    assert download.content == b"%PDF-1.4 factura"
    assert download["Content-Disposition"] == 'attachment; filename="A-100.pdf"'
    missing = client.get(reverse("outreach:mail_attachment", args=["message", message.pk, 1]))
    assert missing.status_code == 404


def test_a_message_sent_elsewhere_is_shown_from_its_row(login, owner_a, debtor_a, mail_dir):
    message = _sent_message(debtor_a, mail_dir)
    Message.objects.filter(pk=message.pk).update(provider_id="<smtp-elsewhere@x>")
    response = login(owner_a).get(reverse("outreach:mail_detail", args=["message", message.pk]))
    assert response.context["mail"].from_file is False
    assert dict(response.context["headers"])["Subject"] == "Recordatorio A-100"
    assert response.context["mail"].attachments == []


def test_other_organisation_never_sees_the_mail(login, owner_b, debtor_a, mail_dir, manager_a):
    message = _sent_message(debtor_a, mail_dir)
    test = send_message_test(message=message, user=manager_a, now=IN_WINDOW)
    client = login(owner_b)
    assert list(client.get(reverse("outreach:mail")).context["page_obj"]) == []
    for kind, pk in (("message", message.pk), ("test", test.pk)):
        for name in ("outreach:mail_detail", "outreach:mail_html"):
            assert client.get(reverse(name, args=[kind, pk])).status_code == 404
    assert client.get(reverse("outreach:mail_detail", args=["other", 1])).status_code == 404


def test_restricted_agent_sees_only_their_customers_mail(
    login, agent2_a, agent_a, debtor_a, org_a, mail_dir
):
    org_a.agents_see_only_assigned = True
    org_a.save()
    message = _sent_message(debtor_a, mail_dir)
    assert (
        login(agent2_a)
        .get(reverse("outreach:mail_detail", args=["message", message.pk]))
        .status_code
        == 404
    )
    assert (
        login(agent_a)
        .get(reverse("outreach:mail_detail", args=["message", message.pk]))
        .status_code
        == 200
    )


# --- test sends --------------------------------------------------------------------------


def test_template_test_send_goes_to_me_marked_and_is_not_a_reminder(
    login, manager_a, org_a, debtor_a, mail_dir
):
    install_default_templates(organization=org_a)
    template = MessageTemplate.objects.filter(organization=org_a, channel="email").first()
    activities = Activity.objects.count()
    response = login(manager_a).post(
        reverse("outreach:template_test_send", args=[template.pk]), {"customer": debtor_a.pk}
    )
    test = TestSend.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach:mail_detail", args=["test", test.pk])
    assert test.to == manager_a.email == "mario_manager@example.com"
    assert test.subject.startswith("[Prueba] ")
    assert test.customer == debtor_a and test.source == "template"
    assert Message.objects.count() == 0  # never a reminder
    assert Activity.objects.count() == activities  # nothing on any timeline
    [path] = _eml_files(mail_dir)
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert str(parsed["To"]) == manager_a.email
    assert str(parsed["X-Cartera-Test"]) == "1"
    assert eml_path_for(test.message_id) == path
    assert "Lucía Pagos" in parsed.get_body(("plain",)).get_content()  # the real contact


def test_template_test_send_with_sample_data(login, manager_a, org_a, mail_dir):
    install_default_templates(organization=org_a)
    template = MessageTemplate.objects.filter(organization=org_a, channel="email").first()
    login(manager_a).post(reverse("outreach:template_test_send", args=[template.pk]))
    test = TestSend.objects.get()
    assert test.customer is None
    assert "Cliente de ejemplo" in test.body_text


def test_agent_cannot_test_send_a_template_and_nothing_is_sent(login, agent_a, org_a, mail_dir):
    install_default_templates(organization=org_a)
    template = MessageTemplate.objects.filter(organization=org_a, channel="email").first()
    response = login(agent_a).post(reverse("outreach:template_test_send", args=[template.pk]))
    assert response.status_code == 403
    assert TestSend.objects.count() == 0 and _eml_files(mail_dir) == []


def test_user_without_email_gets_a_clear_error(login, manager_a, debtor_a, mail_dir):
    message = _sent_message(debtor_a, mail_dir)
    manager_a.email = ""
    manager_a.save()
    response = login(manager_a).post(
        reverse("outreach:message_test_send", args=[message.pk]), follow=True
    )
    assert "no tiene correo electrónico" in response.content.decode()
    assert TestSend.objects.count() == 0
    assert len(_eml_files(mail_dir)) == 1  # only the original message's file


def test_message_test_send_copies_the_message_to_me(login, agent_a, debtor_a, mail_dir):
    message = _sent_message(debtor_a, mail_dir)
    login(agent_a).post(reverse("outreach:message_test_send", args=[message.pk]))
    test = TestSend.objects.get()
    assert (test.subject, test.to, test.source) == (
        "[Prueba] Recordatorio A-100",
        agent_a.email,
        "message",
    )
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 0


def test_a_non_member_cannot_send_a_test(owner_b, debtor_a, mail_dir):
    message = _sent_message(debtor_a, mail_dir)
    with pytest.raises(PermissionDenied):
        send_message_test(message=message, user=owner_b, now=IN_WINDOW)
    assert TestSend.objects.count() == 0


# --- send now ----------------------------------------------------------------------------


def test_send_now_outside_the_window_says_why_and_when(manager_a, invoice_a, org_a, mail_dir):
    message = _queued(org_a)
    result = send_queued_now(message=message, actor=manager_a, now=AT_NIGHT)
    assert result.status == "queued"
    assert result.deferred_until == dt.datetime(2026, 10, 7, 15, 0, tzinfo=dt.UTC)  # 09:00
    assert "fuera del horario de contacto 09:00–19:00" in result.reason
    message.refresh_from_db()
    assert message.status == "queued" and message.sent_at is None
    assert _eml_files(mail_dir) == []


def test_send_now_inside_the_window_sends_it(manager_a, invoice_a, org_a, mail_dir):
    message = _queued(org_a)
    result = send_queued_now(message=message, actor=manager_a, now=IN_WINDOW)
    message.refresh_from_db()
    assert (result.status, message.status, message.sent_at) == ("sent", "sent", IN_WINDOW)
    [path] = _eml_files(mail_dir)
    assert eml_path_for(message.provider_id) == path


def test_agent_cannot_send_now_and_nothing_changes(login, agent_a, invoice_a, org_a, mail_dir):
    message = _queued(org_a)
    before = Message.objects.values().get(pk=message.pk)
    response = login(agent_a).post(reverse("outreach:message_send_now", args=[message.pk]))
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        send_queued_now(message=message, actor=agent_a, now=IN_WINDOW)
    assert Message.objects.values().get(pk=message.pk) == before
    assert _eml_files(mail_dir) == []


def test_send_now_refuses_a_message_already_sent(manager_a, debtor_a, mail_dir):
    message = _sent_message(debtor_a, mail_dir)
    with pytest.raises(ValidationError, match="Solo se puede enviar ahora un mensaje en cola"):
        send_queued_now(message=message, actor=manager_a, now=IN_WINDOW)
