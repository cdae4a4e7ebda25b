"""Templates from the back office: listed per channel and language, copied, created, with
the error next to the field that caused it."""

from cartera.outreach.message_templates import install_default_templates
from cartera.outreach.models import MessageTemplate


def test_list_filters_by_channel_and_language(login, owner_a, org_a):
    install_default_templates(organization=org_a)
    client = login(owner_a)
    english = client.get("/outreach/templates/?channel=email&language=en").context["templates"]
    assert english and {t.language for t in english} == {"en"}
    assert list(client.get("/outreach/templates/?channel=sms").context["templates"]) == []
    page = client.get("/outreach/templates/").content.decode()
    assert "Nueva plantilla" in page and "?copy=" in page


def test_copy_a_template_then_refuse_a_taken_key(login, owner_a, org_a):
    install_default_templates(organization=org_a)
    source = MessageTemplate.objects.get(organization=org_a, key="aviso-vencido", language="es-mx")
    client = login(owner_a)
    initial = client.get(f"/outreach/templates/new/?copy={source.pk}").context["form"].initial
    assert (initial["key"], initial["body_text"]) == ("aviso-vencido-copia", source.body_text)
    data = {**initial, "name": "Aviso cordial", "key": "aviso-cordial"}
    response = client.post("/outreach/templates/new/", data)
    copy = MessageTemplate.objects.get(organization=org_a, key="aviso-cordial")
    assert response.status_code == 302
    assert (copy.name, copy.kind, copy.body_text, copy.is_default) == (
        "Aviso cordial",
        source.kind,
        source.body_text,
        False,
    )
    again = client.post("/outreach/templates/new/", data)
    assert again.context["form"].errors == {
        "key": ["Ya existe una plantilla aviso-cordial para ese canal e idioma."]
    }


def test_new_template_from_scratch_with_field_errors(login, owner_a, viewer_a, org_a):
    client = login(owner_a)
    data = {
        "key": "sms-corto",
        "name": "SMS corto",
        "kind": "soft",
        "channel": "sms",
        "language": "es-mx",
        "subject": "",
        "body_text": "Hola {{ customer.name ",
    }
    broken = client.post("/outreach/templates/new/", data)
    assert list(broken.context["form"].errors) == ["body_text"]
    data["body_text"] = "Hola {{ customer.name }}, tiene saldo vencido."
    assert client.post("/outreach/templates/new/", data).status_code == 302
    assert MessageTemplate.objects.get(key="sms-corto").channel == "sms"
    assert login(viewer_a).get("/outreach/templates/new/").status_code == 403
