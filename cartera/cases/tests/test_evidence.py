"""The dossier's evidence: the chain proof of its timeline entries (checked by the docs'
script), the proof of delivery of each CFDI (messages, events, portal downloads) and,
for Chile, the "mérito ejecutivo" of each DTE. All reproducible for the same date."""

import datetime as dt
import io
import json
import subprocess
import sys
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.urls import get_resolver, reverse
from freezegun import freeze_time

from cartera.cases.dossier import build_dossier
from cartera.cases.evidence import merito_ejecutivo
from cartera.cases.models import Case
from cartera.cases.services import add_case_note, open_case, record_dte_receipt, save_assignee
from cartera.invoices.models import DteReceipt, InvoiceAttachment
from cartera.orgs.services import create_member
from cartera.outreach.models import Message, MessageEvent
from cartera.timeline import events
from cartera.timeline.choices import ActorKind
from cartera.timeline.integrity import anchor_chain
from cartera.timeline.models import Activity
from cartera.timeline.tests.test_chain_proof import _script

D = dt.date
UTC = dt.UTC
TODAY = D(2026, 10, 6)


@pytest.fixture
def frozen():
    """Entries are stamped on TODAY (12:00 in Monterrey). The URLs (and the API schemas
    behind them) load before the clock is frozen."""
    assert get_resolver().url_patterns
    with freeze_time("2026-10-06 18:00:00"):
        yield


def _agency(org, owner):
    return save_assignee(
        organization=org, actor=owner, name="Agencia", kind="agency", commission_rate=Decimal(10)
    )


def _open(invoice, assignee, actor, day=TODAY):
    return open_case(
        customer=invoice.customer,
        invoices=[invoice],
        assignee=assignee,
        actor=actor,
        today=day,
        now=dt.datetime.combine(day, dt.time(18), tzinfo=UTC),
    )


def _zip(content: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(content))


# --- 1. the chain proof --------------------------------------------------------------------
@pytest.mark.usefixtures("frozen")
def test_dossier_carries_the_chain_proof_of_its_entries(
    invoice_a, second_invoice_a, org_a, owner_a, manager_a, tmp_path
):
    case = _open(invoice_a, _agency(org_a, owner_a), manager_a)
    add_case_note(case=case, actor=manager_a, text="Se envió requerimiento")
    other_note = events.note_added(invoice_a.customer, actor=manager_a, text="Otra cosa")
    anchor = anchor_chain(organization_id=org_a.pk, day=TODAY - dt.timedelta(days=1))
    add_case_note(case=case, actor=manager_a, text="Después del ancla")
    first = build_dossier(case, as_of=TODAY)
    assert build_dossier(Case.objects.get(pk=case.pk), as_of=TODAY) == first
    archive = _zip(first)
    assert archive.namelist()[-2:] == ["timeline-proof.json", "manifest.json"]
    proof = json.loads(archive.read("timeline-proof.json"))
    expected = (
        Activity.objects.filter(
            customer=invoice_a.customer,
            summary__in=[
                "[CASO-00001] Nota: Se envió requerimiento",
                "[CASO-00001] Nota: Después del ancla",
            ],
        )
        | Activity.objects.filter(invoice=invoice_a)
        | Activity.objects.filter(data__case_id=case.pk)
    )
    ids = sorted(expected.values_list("sequence", flat=True))
    assert len(ids) == 4  # the invoice created, the case opened, the two notes on the case
    assert [e["content"]["sequence"] for e in proof["entries"]] == ids
    assert other_note.pk not in [e["id"] for e in proof["entries"]]  # not about the case
    assert second_invoice_a.pk not in [e["content"]["invoice"] for e in proof["entries"]]
    assert proof["anchor"]["day"] == "2026-10-05"
    assert proof["anchor"]["sequence"] == anchor.sequence
    assert proof["anchored"] == len(ids) - 1  # the note after the anchor is not covered yet
    assert proof["entries"][-1]["content"]["summary"] == "[CASO-00001] Nota: Después del ancla"
    path = tmp_path / "timeline-proof.json"
    path.write_bytes(archive.read("timeline-proof.json"))
    result = subprocess.run(
        [sys.executable, str(_script(tmp_path)), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"ok: {len(ids)} entries, anchor of 2026-10-05 #{anchor.sequence} signed"
    )
    manifest = json.loads(archive.read("manifest.json"))
    assert "timeline-proof.json" in [f["name"] for f in manifest["files"]]


@pytest.mark.usefixtures("frozen")
def test_the_proof_uses_the_anchor_of_the_dossier_date(invoice_a, org_a, owner_a, manager_a):
    case = _open(invoice_a, _agency(org_a, owner_a), manager_a)
    before = build_dossier(case, as_of=TODAY)
    anchor_chain(organization_id=org_a.pk, day=D(2026, 10, 7))  # a later day's anchor
    anchor_chain(organization_id=org_a.pk, day=TODAY)  # and the day's own, signed at 23:55
    assert build_dossier(case, as_of=TODAY) == before
    proof = json.loads(_zip(before).read("timeline-proof.json"))
    assert (proof["anchor"], proof["anchored"]) == (None, 0)


@pytest.mark.usefixtures("frozen")
def test_a_rebuild_after_the_days_anchor_is_byte_identical(
    invoice_a, org_a, owner_a, manager_a, tmp_path
):
    """The anchor of the dossier date is signed at 23:55 that day: a dossier rebuilt after
    it keeps the previous day's anchor, so both builds of the day are the same file."""
    case = _open(invoice_a, _agency(org_a, owner_a), manager_a)
    yesterday = anchor_chain(organization_id=org_a.pk, day=TODAY - dt.timedelta(days=1))
    add_case_note(case=case, actor=manager_a, text="Por la tarde")
    before = build_dossier(case, as_of=TODAY)
    with freeze_time("2026-10-07 05:55:00"):  # 23:55 in Monterrey, the anchor job's slot
        todays = anchor_chain(organization_id=org_a.pk, day=TODAY)
        after = build_dossier(Case.objects.get(pk=case.pk), as_of=TODAY)
    assert todays.sequence > yesterday.sequence  # the note is covered by the day's anchor
    assert after == before
    proof = json.loads(_zip(after).read("timeline-proof.json"))
    assert (proof["anchor"]["day"], proof["anchor"]["sequence"]) == (
        "2026-10-05",
        yesterday.sequence,
    )
    assert proof["anchored"] == len(proof["entries"]) - 1  # the afternoon's note: not yet
    path = tmp_path / "timeline-proof.json"
    path.write_bytes(_zip(after).read("timeline-proof.json"))
    result = subprocess.run(
        [sys.executable, str(_script(tmp_path)), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"ok: {len(proof['entries'])} entries, anchor of 2026-10-05 #{yesterday.sequence} signed"
    )
    # The next day's dossier carries the anchor of the 6th and covers the note.
    next_day = json.loads(
        _zip(build_dossier(case, as_of=TODAY + dt.timedelta(days=1))).read("timeline-proof.json")
    )
    assert (next_day["anchor"]["day"], next_day["anchored"]) == (
        "2026-10-06",
        len(next_day["entries"]),
    )


# --- 2. the proof of delivery of each CFDI -------------------------------------------------
def _attach(invoice, kind):
    attachment = InvoiceAttachment(
        organization=invoice.organization,
        invoice=invoice,
        kind=kind,
        original_name=f"{invoice.number}.{kind}",
        sha256=f"sha-{kind}",
    )
    attachment.file.save(f"{invoice.number}.{kind}", ContentFile(b"<cfdi/>"), save=True)
    return attachment


def _message(invoice, key, *, purpose, sent_at, attach=False, events_=()):
    message = Message.objects.create(
        organization=invoice.organization,
        key=key,
        customer=invoice.customer,
        channel="email",
        purpose=purpose,
        as_of=sent_at.date(),
        to=["pagos@cliente.mx"],
        subject=f"Asunto {key}",
        scheduled_for=sent_at,
        sent_at=sent_at,
        status="sent",
        attach_pdf=attach,
        attach_xml=attach,
    )
    message.invoices.add(invoice)
    for kind, at in events_:
        MessageEvent.objects.create(message=message, kind=kind, occurred_at=at)
    return message


@pytest.mark.usefixtures("frozen")
def test_dossier_proves_the_delivery_of_each_cfdi(invoice_a, org_a, owner_a, manager_a):
    xml, pdf = _attach(invoice_a, "xml"), _attach(invoice_a, "pdf")
    sent = dt.datetime(2026, 9, 1, 15, 0, tzinfo=UTC)
    _message(
        invoice_a,
        "inv-1",
        purpose="invoice_issued",
        sent_at=sent,
        events_=[
            ("delivered", sent + dt.timedelta(minutes=1)),
            ("opened", sent + dt.timedelta(hours=2)),
            ("opened", dt.datetime(2026, 10, 9, tzinfo=UTC)),  # after the dossier date
        ],
    )
    _message(invoice_a, "dun-1", purpose="dunning", sent_at=sent + dt.timedelta(days=10))
    _message(
        invoice_a,
        "dun-2",
        purpose="dunning",
        sent_at=sent + dt.timedelta(days=20),
        attach=True,
        events_=[("delivered", sent + dt.timedelta(days=20, minutes=1))],
    )
    events.invoice_file_downloaded(xml, actor=ActorKind.DEBTOR, via="portal")
    case = _open(invoice_a, _agency(org_a, owner_a), manager_a)
    content = build_dossier(case, as_of=TODAY)
    assert build_dossier(case, as_of=TODAY) == content
    archive = _zip(content)
    delivery = json.loads(archive.read("cfdi-delivery.json"))
    assert [
        (m["key"], m["carried"], [(e["kind"], e["at"]) for e in m["events"]])
        for m in delivery[0]["messages"]
    ] == [
        (
            "inv-1",
            ["pdf", "xml"],
            [
                ("delivered", "2026-09-01T15:01:00+00:00"),
                ("opened", "2026-09-01T17:00:00+00:00"),
            ],
        ),
        ("dun-2", ["pdf", "xml"], [("delivered", "2026-09-21T15:01:00+00:00")]),
    ]
    assert delivery[0]["downloads"] == [
        {"at": "2026-10-06T18:00:00+00:00", "kind": "xml", "via": "portal"}
    ]
    assert [f["kind"] for f in delivery[0]["files"]] == ["pdf", "xml"]
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["cfdi_delivery"] == [
        {"invoice": "A-100", "messages": 2, "delivered": 2, "opened": 1, "downloads": 1}
    ]
    assert pdf.pk != xml.pk


# --- 3. Chile: mérito ejecutivo ------------------------------------------------------------
def _receipt(**days):
    return DteReceipt(**days)


@pytest.mark.parametrize(
    ("days", "as_of", "evidence", "deadline"),
    [
        (
            {"received_on": D(2026, 9, 2), "accepted_on": D(2026, 9, 4)},
            TODAY,
            "accepted",
            "2026-09-10",
        ),
        ({"received_on": D(2026, 9, 2)}, D(2026, 9, 10), "pending", "2026-09-10"),
        ({"received_on": D(2026, 9, 2)}, D(2026, 9, 11), "tacit", "2026-09-10"),
        (
            {"received_on": D(2026, 9, 2), "claimed_on": D(2026, 9, 10)},
            TODAY,
            "claimed",
            "2026-09-10",
        ),
        # a claim after the 8 days does not undo the tacit acceptance
        (
            {"received_on": D(2026, 9, 2), "claimed_on": D(2026, 9, 11)},
            TODAY,
            "tacit",
            "2026-09-10",
        ),
        # dates after the dossier date are not known yet
        (
            {"received_on": D(2026, 9, 2), "accepted_on": D(2026, 9, 9)},
            D(2026, 9, 5),
            "pending",
            "2026-09-10",
        ),
        ({}, TODAY, "unknown", None),
    ],
)
def test_merito_ejecutivo(days, as_of, evidence, deadline):
    result = merito_ejecutivo(_receipt(**days), as_of=as_of)
    assert (result["evidence"], result["claim_deadline"]) == (evidence, deadline)
    assert result["merito_ejecutivo"] is (evidence in ("accepted", "tacit"))
    assert merito_ejecutivo(None, as_of=as_of)["evidence"] == "unknown"


@pytest.fixture
def chilean_case(debtor_b, invoice_b, org_b, owner_b):
    debtor_b.country = "CL"
    debtor_b.save(update_fields=["country"])
    return _open(invoice_b, _agency(org_b, owner_b), owner_b)


def test_dossier_states_the_merito_ejecutivo_of_each_dte(chilean_case, invoice_b, owner_b):
    record_dte_receipt(
        case=chilean_case,
        invoice_id=invoice_b.pk,
        actor=owner_b,
        today=TODAY,
        received_on=D(2026, 9, 2),
    )
    content = build_dossier(chilean_case, as_of=TODAY)
    assert build_dossier(chilean_case, as_of=TODAY) == content
    rows = json.loads(_zip(content).read("dte-acceptance.json"))
    assert rows == [
        {
            "invoice": "170",
            "evidence": "tacit",
            "received_on": "2026-09-02",
            "accepted_on": None,
            "claimed_on": None,
            "claim_deadline": "2026-09-10",
            "merito_ejecutivo": True,
        }
    ]
    entry = Activity.objects.get(data__case_id=chilean_case.pk, data__received_on="2026-09-02")
    assert entry.invoice_id == invoice_b.pk


def test_dte_dates_are_checked_and_only_managers_record_them(
    chilean_case, invoice_b, owner_b, org_b
):
    with pytest.raises(ValidationError) as exc:
        record_dte_receipt(
            case=chilean_case,
            invoice_id=invoice_b.pk,
            actor=owner_b,
            today=TODAY,
            received_on=D(2026, 9, 2),
            accepted_on=D(2026, 9, 1),
            claimed_on=D(2026, 10, 7),
        )
    assert exc.value.message_dict == {
        "accepted_on": ["La fecha no puede ser anterior a la recepción."],
        "claimed_on": ["La fecha no puede ser futura."],
    }
    with pytest.raises(ValidationError):
        record_dte_receipt(
            case=chilean_case,
            invoice_id=invoice_b.pk,
            actor=owner_b,
            today=TODAY,
            received_on=None,
            accepted_on=D(2026, 9, 1),
        )
    viewer, _membership = create_member(
        organization=org_b, username="v_b", email="v@b.cl", role="viewer", password="x-Secret-123"
    )
    with pytest.raises(PermissionDenied):
        record_dte_receipt(
            case=chilean_case,
            invoice_id=invoice_b.pk,
            actor=viewer,
            today=TODAY,
            received_on=D(2026, 9, 2),
        )
    assert DteReceipt.objects.count() == 0


def test_a_mexican_invoice_has_no_dte_evidence(invoice_a, org_a, owner_a, manager_a):
    case = _open(invoice_a, _agency(org_a, owner_a), manager_a)
    with pytest.raises(ValidationError):
        record_dte_receipt(
            case=case, invoice_id=invoice_a.pk, actor=owner_a, today=TODAY, received_on=TODAY
        )
    assert "dte-acceptance.json" not in _zip(build_dossier(case, as_of=TODAY)).namelist()


def test_owner_records_dte_dates_on_the_case_page(
    monkeypatch, login, chilean_case, invoice_b, owner_b
):
    monkeypatch.setattr("cartera.cases.views._today", lambda request: TODAY)
    client = login(owner_b)
    page = client.get(reverse("cases:detail", args=[chilean_case.pk]))
    assert f'data-dte="{invoice_b.pk}"'.encode() in page.content
    url = reverse("cases:dte", args=[chilean_case.pk, invoice_b.pk])
    prefix = f"dte-{invoice_b.pk}"
    answer = client.post(url, {f"{prefix}-received_on": "2026-10-07"})
    assert answer.status_code == 400 and DteReceipt.objects.count() == 0
    assert answer.context["dte_rows"][0]["form"].errors == {
        "received_on": ["La fecha no puede ser futura."]
    }
    answer = client.post(
        url, {f"{prefix}-received_on": "2026-09-02", f"{prefix}-accepted_on": "2026-09-03"}
    )
    assert answer.status_code == 302
    receipt = DteReceipt.objects.get()
    assert (receipt.received_on, receipt.accepted_on, receipt.claimed_on) == (
        D(2026, 9, 2),
        D(2026, 9, 3),
        None,
    )
    page = client.get(reverse("cases:detail", args=[chilean_case.pk]))
    assert "Aceptada expresamente: tiene mérito ejecutivo." in page.content.decode()
