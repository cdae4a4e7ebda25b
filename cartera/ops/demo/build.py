"""The demo organisation "Distribuidora Ejemplo S.A. de C.V." with realistic Mexican data.

Customers, contacts, users, credit notes and dispute notes go through the services (so
they validate and write the timeline). The 18-month history of invoices, payments and
allocations is bulk-inserted for speed, with its timeline entries back-dated to when
each event happened; balances are computed here so ``total − Σ allocations`` holds
exactly (``cartera check-ledger --org demo`` prints ok). The collection e-mails the
default strategy sent over the last months, with their delivery events, are built in
``messages.py``.

Deterministic: the same seed and "today" give the same data.
"""

import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.customers.documents import (
    accept_document,
    install_default_kinds,
    record_upload,
    reject_document,
    request_document,
)
from cartera.customers.models import DocumentKind
from cartera.customers.services import create_customer, save_contact
from cartera.dunning.services import load_builtin_strategies
from cartera.followup.choices import PromiseSource
from cartera.followup.promises import make_promise
from cartera.followup.reviews import open_dispute, report_payment
from cartera.invoices.models import Invoice
from cartera.invoices.purchase_orders import create_purchase_order
from cartera.invoices.services import create_credit_note
from cartera.lib.bulk import insert_dicts
from cartera.lib.dates import local_today
from cartera.lib.money import Money
from cartera.orgs.models import Organization
from cartera.orgs.services import create_member, create_organization
from cartera.payments.choices import PaymentMethod, PaymentSource
from cartera.payments.models import Allocation, Payment
from cartera.payments.services import apply_credit_note
from cartera.timeline.choices import ActivityKind, ActorKind
from cartera.timeline.links import chain_entries
from cartera.timeline.models import Activity
from cartera.timeline.sentences import label, sentence
from cartera.timeline.services import new_activity

from . import mexico
from .catalogue import build_catalogue
from .issuing import demo_issuing
from .messages import sent_history

SLUG = "demo"
NAME = "Distribuidora Ejemplo S.A. de C.V."
ORG_RFC = "DEJ150301KP2"  # Distribuidora Ejemplo, founded 2015-03-01 (valid check digit)
OWNER = ("demo", "demo@ejemplo.com.mx", "Demo-Cartera-2026")
AGENT = ("agente", "agente@ejemplo.com.mx", "Agente-Cartera-2026")
SEED = 2026
HISTORY_DAYS = 548  # 18 months
SIZES = {"full": (300, 5000), "small": (24, 240)}
# profile: (weight, days paid after the due date, chance an invoice is paid in two parts)
PROFILES = {
    "punctual": (45, (-6, 2), 0.03),
    "week_late": (30, (4, 11), 0.08),
    "chronic": (17, (25, 110), 0.2),
    "bad_debt": (8, None, 0.0),
}


@dataclass
class DemoResult:
    created: bool
    organization: Organization
    counts: dict = field(default_factory=dict)
    credentials: list = field(default_factory=list)


def credentials() -> list[tuple[str, str, str]]:
    return [(OWNER[0], OWNER[2], _("propietario")), (AGENT[0], AGENT[2], _("gestor"))]


def build_demo(
    *,
    today: dt.date | None = None,
    size: str = "full",
    seed: int = SEED,
    progress: Callable[[str, int], None] | None = None,
) -> DemoResult:
    """Create the demo organisation unless it exists (then nothing is created)."""
    existing = Organization.objects.filter(slug=SLUG).first()
    if existing is not None:
        return DemoResult(created=False, organization=existing, credentials=credentials())
    progress = progress or (lambda step, advance: None)
    n_customers, n_invoices = SIZES[size]
    rng = random.Random(seed)
    with transaction.atomic():
        organization = create_organization(
            slug=SLUG,
            name=NAME,
            country="MX",
            tax_id=ORG_RFC,
            currency="MXN",
            timezone_name="America/Mexico_City",
        )
        owner, _m = create_member(
            organization=organization,
            username=OWNER[0],
            email=OWNER[1],
            role="owner",
            password=OWNER[2],
            first_name="Daniela",
            last_name="Ortega",
        )
        agent, _m = create_member(
            organization=organization,
            username=AGENT[0],
            email=AGENT[1],
            role="agent",
            password=AGENT[2],
            first_name="Arturo",
            last_name="Gómez",
        )
        if today is None:
            today = local_today(organization.timezone)
        customers = _customers(organization, agent, n_customers, rng, progress)
        counts = _history(organization, customers, n_invoices, rng, today, progress)
        load_builtin_strategies(organization=organization)
        # Its own random stream, so the rest of the demo stays as it was for a seed.
        sent, entries = sent_history(organization, customers, random.Random(seed + 1), today)
        _insert_activities(entries)
        counts |= sent
        counts |= _credit_notes(organization, owner, customers, rng, today)
        counts |= _disputes(organization, agent, customers, rng, today)
        counts |= _collection_work(organization, agent, customers, rng, today)
        counts |= build_catalogue(organization, owner)
        counts |= demo_issuing(
            organization=organization, owner=owner, customer=customers[0].customer, today=today
        )
        counts |= _documents(organization, agent, customers, today)
        counts |= _purchase_orders(organization, owner)
    counts["customers"] = len(customers)
    return DemoResult(True, organization, counts, credentials())


@dataclass
class _Debtor:
    customer: object
    profile: tuple
    scale: float


def _customers(organization, agent, count, rng, progress) -> list[_Debtor]:
    debtors, used_rfcs = [], set()
    names = list(PROFILES)
    weights = [p[0] for p in PROFILES.values()]
    for index in range(count):
        name = mexico.company_name(rng)
        founded = dt.date(1985, 1, 1) + dt.timedelta(days=rng.randrange(13000))
        tax_id = mexico.company_rfc(mexico.rfc_letters(name), founded, rng)
        while tax_id in used_rfcs:
            tax_id = mexico.company_rfc(mexico.rfc_letters(name), founded, rng)
        used_rfcs.add(tax_id)
        customer = create_customer(
            organization=organization,
            actor=None,
            external_id=f"CLI-{index + 1:04d}",
            name=name,
            legal_name=f"{name} {mexico.LEGAL_SUFFIX}",
            tax_id=tax_id,
            payment_terms_days=rng.choice((30, 30, 45, 60)),
            credit_limit=Decimal(rng.choice((50, 100, 250, 500, 1000))) * 1000,
            assigned_agent=agent if index % 2 == 0 else None,
            tax_regime="601",
            fiscal_postal_code=f"{rng.randrange(1000, 99999):05d}",
        )
        for position in range(rng.choice((1, 1, 2))):
            person = mexico.person_name(rng)
            save_contact(
                customer=customer,
                actor=None,
                name=person,
                email=mexico.email_for(person, name, rng),
                mobile_phone=mexico.mobile_number(rng),
                role=mexico.CONTACT_ROLES[position],
                preferred_channel=rng.choice(("email", "email", "whatsapp")),
                is_primary=position == 0,
            )
        profile = PROFILES[rng.choices(names, weights)[0]]
        debtors.append(_Debtor(customer, profile, rng.paretovariate(1.3)))
        progress("customers", 1)
    return debtors


def _at(day: dt.date, hour: int, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=tz).astimezone(dt.UTC)


def _cents(amount: int) -> Decimal:
    return Decimal(amount).scaleb(-2)


def _history(organization, debtors, count, rng, today, progress) -> dict:
    """Invoices over the last 18 months with their payments, allocations and timeline."""
    tz = ZoneInfo(organization.timezone)
    start = today - dt.timedelta(days=HISTORY_DAYS - 1)
    weights = [d.scale for d in debtors]
    specs = []
    for _i in range(count):
        debtor = rng.choices(debtors, weights)[0]
        issue = start + dt.timedelta(days=rng.randrange(HISTORY_DAYS))
        subtotal = int(rng.lognormvariate(13.8, 0.9) * min(debtor.scale, 6))  # cents
        subtotal = max(subtotal, 35_000)
        specs.append((issue, debtor, (subtotal * 116 + 50) // 100))
    specs.sort(key=lambda s: (s[0], s[1].customer.pk))
    currency = organization.default_currency
    invoices, payments, plans = [], [], []
    for folio, (issue, debtor, total) in enumerate(specs, start=1001):
        customer = debtor.customer
        due = issue + dt.timedelta(days=customer.payment_terms_days)
        invoice = Invoice(
            organization=organization,
            customer=customer,
            external_id=f"A-{folio}",
            number=f"A-{folio}",
            fiscal_uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper(),
            issue_date=issue,
            due_date=due,
            currency=currency,
            total=_cents(total),
            balance=_cents(total),
            status="open",
            payment_method=rng.choice(("PPD", "PPD", "PUE")),
            payment_form="99",
            purchase_order=f"OC-{rng.randrange(10000, 99999)}" if rng.random() < 0.4 else "",
        )
        invoices.append(invoice)
        plans.append(_payment_plan(debtor, issue, due, total, today, rng))
    Invoice.objects.bulk_create(invoices, batch_size=1000)
    progress("invoices", len(invoices) // 2)
    allocations, activities = [], []
    for invoice, plan in zip(invoices, plans, strict=True):
        created = _at(invoice.issue_date, 10, tz)
        activities.append(
            _activity(
                organization,
                invoice,
                ActivityKind.INVOICE_CREATED,
                created,
                sentence(
                    gettext_lazy("Factura %(number)s por %(total)s"),
                    number=invoice.number,
                    total=invoice.total_money,
                ),
                {
                    "total": str(invoice.total),
                    "currency": currency,
                    "due_date": invoice.due_date.isoformat(),
                },
            )
        )
        balance = int(invoice.total * 100)
        for paid_on, amount in plan:
            balance -= amount
            payment = Payment(
                organization=organization,
                customer=invoice.customer,
                date=paid_on,
                amount=_cents(amount),
                currency=currency,
                unallocated=Decimal(0),
                method=rng.choice(("transfer", "transfer", "transfer", "deposit", "check")),
                reference=f"SPEI {rng.randrange(10**9, 10**10)}",
                status="confirmed",
                source="import",
            )
            payments.append((payment, invoice, paid_on, _cents(balance)))
        invoice.balance = _cents(balance)
        if balance == 0 and plan:
            invoice.status, invoice.paid_at = "paid", plan[-1][0]
    Invoice.objects.bulk_update(invoices, ["balance", "status", "paid_at"], batch_size=1000)
    Payment.objects.bulk_create([p[0] for p in payments], batch_size=1000)
    for payment, invoice, paid_on, _balance in payments:
        allocations.append(
            Allocation(
                organization=organization,
                invoice=invoice,
                payment=payment,
                amount=payment.amount,
                effective_date=paid_on,
            )
        )
    Allocation.objects.bulk_create(allocations, batch_size=1000)
    for (payment, invoice, paid_on, balance_after), allocation in zip(
        payments, allocations, strict=True
    ):
        when = _at(paid_on, 12, tz)
        activities.append(
            _activity(
                organization,
                None,
                ActivityKind.PAYMENT_RECORDED,
                when,
                sentence(
                    gettext_lazy("Pago de %(amount)s recibido el %(date)s (%(status)s)"),
                    amount=payment.amount_money,
                    date=paid_on,
                    status=label(payment, "status", lower=True),
                ),
                {
                    "payment_id": payment.pk,
                    "amount": str(payment.amount),
                    "currency": currency,
                    "reference": payment.reference,
                    "status": "confirmed",
                },
                customer=invoice.customer,
            )
        )
        activities.append(
            _activity(
                organization,
                invoice,
                ActivityKind.PAYMENT_ALLOCATED,
                when,
                sentence(
                    gettext_lazy("%(amount)s aplicado a la factura %(number)s; saldo %(balance)s"),
                    amount=payment.amount_money,
                    number=invoice.number,
                    balance=Money(balance_after, currency),
                ),
                {
                    "allocation_id": allocation.pk,
                    "amount": str(allocation.amount),
                    "source": "payment",
                    "source_id": payment.pk,
                    "balance": str(balance_after),
                },
            )
        )
        if balance_after == 0:
            activities.append(
                _activity(
                    organization,
                    invoice,
                    ActivityKind.INVOICE_PAID,
                    when,
                    sentence(gettext_lazy("Factura %(number)s pagada"), number=invoice.number),
                    {"paid_at": paid_on.isoformat()},
                )
            )
    _insert_activities(activities)
    progress("invoices", len(invoices) - len(invoices) // 2)
    return {"invoices": len(invoices), "payments": len(payments), "activities": len(activities)}


def _payment_plan(debtor, issue, due, total, today, rng) -> list[tuple[dt.date, int]]:
    """When and how much the customer paid for one invoice, up to ``today``."""
    _weight, delay, split_chance = debtor.profile
    if delay is None:  # bad debt: paid for a while, then stopped ~7 months ago
        if (today - issue).days < 210:
            return []
        delay = (10, 60)
    paid_on = max(issue, due + dt.timedelta(days=rng.randint(*delay)))
    if paid_on > today:
        return []
    if rng.random() < split_chance:
        first = total * rng.randrange(25, 75) // 100
        second_on = paid_on + dt.timedelta(days=rng.randint(10, 45))
        if second_on > today:
            return [(paid_on, first)]  # partial payment; the rest is still open
        return [(paid_on, first), (second_on, total - first)]
    return [(paid_on, total)]


def _activity(organization, invoice, kind, when, summary, data, customer=None) -> Activity:
    """A back-dated entry in the shape ``new_activity`` gives every entry."""
    entry = new_activity(
        organization=organization,
        customer=customer or invoice.customer,
        invoice=invoice,
        kind=kind,
        summary=summary,
        data=data,
    )
    entry.created_at = when
    return entry


def _insert_activities(activities: list[Activity]) -> None:
    """Insert back-dated timeline rows, chained in the order given (the demo's history is
    written in build order, so sequences follow that order rather than ``created_at``)."""
    chain_entries(activities, stamp=False)
    fields = [f.attname for f in Activity._meta.concrete_fields if not f.primary_key]
    insert_dicts(Activity, [{name: getattr(a, name) for name in fields} for a in activities])


def _credit_notes(organization, owner, debtors, rng, today) -> dict:
    """A few returns/discounts: credit notes applied through the service."""
    candidates = list(
        Invoice.objects.filter(organization=organization, status="open", balance__gt=1000)
        .select_related("customer", "organization")
        .order_by("issue_date", "id")
    )
    applied = 0
    for invoice in rng.sample(candidates, min(len(candidates), max(3, len(debtors) // 12))):
        amount = (invoice.balance * Decimal(rng.choice((5, 10, 15))) / 100).quantize(
            Decimal("0.01")
        )
        note_date = min(today, invoice.issue_date + dt.timedelta(days=rng.randint(3, 20)))
        note = create_credit_note(
            customer=invoice.customer,
            actor=owner,
            external_id=f"NC-{invoice.number}",
            number=f"NC-{applied + 1:03d}",
            issue_date=note_date,
            currency=invoice.currency,
            total=amount,
            reason=rng.choice(
                (
                    _("Devolución de mercancía"),
                    _("Descuento por pronto pago"),
                    _("Bonificación por producto dañado"),
                )
            ),
        )
        apply_credit_note(credit_note=note, invoice=invoice, amount=amount, actor=owner)
        applied += 1
    return {"credit_notes": applied}


def _purchase_orders(organization, owner) -> dict:
    """A few customers' purchase orders, matched to the invoices carrying their numbers
    (docs/purchase-orders.md); the last one is exceeded by its invoice."""
    invoices = list(
        Invoice.objects.filter(organization=organization, status="open")
        .exclude(purchase_order="")
        .select_related("customer", "customer__organization")
        .order_by("issue_date", "id")[:5]
    )
    for index, invoice in enumerate(invoices):
        factor = Decimal("0.8") if index == len(invoices) - 1 else Decimal(3)
        create_purchase_order(
            customer=invoice.customer,
            actor=owner,
            number=invoice.purchase_order,
            amount=(invoice.total * factor).quantize(Decimal("1")),
            currency=invoice.currency,
            issue_date=invoice.issue_date - dt.timedelta(days=7),
            expiry_date=invoice.issue_date + dt.timedelta(days=180),
            notes=_("Orden de compra abierta para el semestre."),
        )
    return {"purchase_orders": len(invoices)}


def _late_open_invoices(organization, debtors, limit):
    late = [d.customer for d in debtors if d.profile[1] and d.profile[1][0] >= 4]
    return list(
        Invoice.objects.filter(organization=organization, status="open", customer__in=late)
        .select_related("customer")
        .order_by("due_date", "id")[:limit]
    )


def _disputes(organization, agent, debtors, rng, today) -> dict:
    """A few disputed invoices, opened through the portal's dispute service so they leave
    the collection flow exactly as a real dispute does."""
    reasons = [
        ("not_received", _("El cliente indica que la mercancía llegó incompleta.")),
        (
            "wrong_amount",
            _("El cliente no reconoce el precio facturado; pide revisar la orden de compra."),
        ),
        ("damaged", _("El cliente reporta producto dañado y solicita nota de crédito.")),
        ("other", _("El cliente dice que la factura está duplicada.")),
    ]
    chosen = rng.sample(_late_open_invoices(organization, debtors, 60), 6)
    for invoice in chosen:
        code, text = rng.choice(reasons)
        open_dispute(invoice=invoice, reason_code=code, text=text, actor=agent, today=today)
    return {"disputes": len(chosen)}


def _collection_work(organization, agent, debtors, rng, today) -> dict:
    """The collection engine's starting point: the built-in strategies, a few promises to
    pay and a payment reported by a debtor waiting for the agent's review (the built-in
    strategies are loaded before the sent-message history)."""
    candidates = [
        invoice
        for invoice in _late_open_invoices(organization, debtors, 200)
        if not invoice.disputes.exists()
    ]
    by_customer = {}
    for invoice in candidates:
        by_customer.setdefault(invoice.customer_id, invoice)
    picks = list(by_customer.values())
    rng.shuffle(picks)
    promises = picks[:4]
    for offset, invoice in enumerate(promises, start=3):
        make_promise(
            customer=invoice.customer,
            invoices=[invoice],
            actor=agent,
            today=today,
            promised_date=today + dt.timedelta(days=offset),
            amount=invoice.balance,
            source=PromiseSource.AGENT,
            notes=_("Acordado por teléfono con cuentas por pagar."),
        )
    promised = {invoice.customer_id for invoice in promises}
    others = (
        Invoice.objects.filter(organization=organization, status="open", disputes__isnull=True)
        .exclude(customer_id__in=promised)
        .select_related("customer")
        .order_by("-due_date", "id")
    )
    reported = list({invoice.customer_id: invoice for invoice in others[:50]}.values())[:2]
    for invoice in reported:
        report_payment(
            customer=invoice.customer,
            invoices=[invoice],
            date=today,
            today=today,
            method=PaymentMethod.TRANSFER,
            reference=f"SPEI {rng.randint(10**9, 10**10 - 1)}",
            actor=ActorKind.DEBTOR,
            source=PaymentSource.PORTAL,
        )
    return {"promises": len(promises), "reported_payments": len(reported)}


DEMO_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _documents(organization, agent, debtors, today) -> dict:
    """Customer documents: the built-in kinds; the first customers owe their constancia
    and 32-D, one sent both (the 32-D accepted), one had its constancia rejected."""
    install_default_kinds(organization=organization)
    kinds = {k.code: k for k in DocumentKind.objects.filter(organization=organization)}
    documents = [
        request_document(customer=debtor.customer, kind=kinds[code], actor=agent, today=today)
        for debtor in debtors[:4]
        for code in ("constancia-fiscal", "opinion-32d")
    ]
    for document in documents[:3]:
        record_upload(
            document=document,
            uploaded=SimpleUploadedFile(f"{document.kind.code}.pdf", DEMO_PDF, "application/pdf"),
            actor=ActorKind.DEBTOR,
            today=today,
            issued_on=today - dt.timedelta(days=5),
        )
    accept_document(document=documents[1], actor=agent)
    reject_document(
        document=documents[2], actor=agent, reason=_("Tiene más de tres meses de emitida.")
    )
    return {"documents": len(documents)}
