"""What the debtor does in the portal (and the agent's answer), as services.

The portal sits at the top of the dependency order, so these services orchestrate the
lower apps: a reported payment is a ``payments.Payment`` (status ``reported``), a
promise a ``followup.PromiseToPay``, a dispute an ``invoices.Dispute``; agent work is a
``followup.Task``; debtor notices are ``outreach.Message`` rows (the outbox sends them).
Every action records an Activity (actor: the debtor for portal actions) carrying
``notify_user`` = the assigned agent, which the back office shows as a notification.
"""

import datetime as dt
import hashlib
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.followup.choices import PromiseStatus, TaskKind, TaskStatus
from cartera.followup.models import PromiseToPay, Task
from cartera.invoices.choices import DisputeStatus, InvoiceStatus
from cartera.invoices.models import Dispute, Invoice, InvoiceAttachment
from cartera.invoices.services import create_credit_note, void_invoice
from cartera.lib.dates import local_today
from cartera.lib.money import Money, round_money
from cartera.outreach.choices import MessagePurpose
from cartera.outreach.models import Message
from cartera.outreach.services import portal_message_link, revalidate_message
from cartera.payments.choices import PaymentSource, PaymentStatus
from cartera.payments.complements import create_obligation
from cartera.payments.models import Allocation, Payment, PaymentProof
from cartera.payments.services import allocate_oldest_first, apply_credit_note, record_payment
from cartera.timeline.choices import ActivityKind, ActorKind
from cartera.timeline.services import record_activity

from .access import settings_for
from .models import PortalSettings

DEBTOR = ActorKind.DEBTOR
MAX_PROOF_BYTES = 5 * 1024 * 1024
PROOF_SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
PROOF_EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
DISPUTE_REASONS = {
    "not_received": gettext_lazy("Mercancía o servicio no recibido"),
    "wrong_amount": gettext_lazy("Importe incorrecto"),
    "damaged": gettext_lazy("Producto dañado o defectuoso"),
    "already_paid": gettext_lazy("Ya estaba pagada"),
    "other": gettext_lazy("Otro motivo"),
}


# --- helpers ------------------------------------------------------------------------------
def sniff_upload(uploaded) -> str:
    """The content type of an uploaded proof judged by its first bytes (never its name or
    the browser's claim). Raises ValidationError for anything else or too large."""
    if uploaded.size > MAX_PROOF_BYTES:
        raise ValidationError(
            {"proof": _("El archivo pesa más de %(mb)s MB.") % {"mb": MAX_PROOF_BYTES // 2**20}}
        )
    head = uploaded.read(16)
    uploaded.seek(0)
    for content_type, signatures in PROOF_SIGNATURES.items():
        if any(head.startswith(s) for s in signatures):
            return content_type
    raise ValidationError({"proof": _("Solo se aceptan comprobantes en PDF, JPG o PNG.")})


def _store_proof(payment: Payment, uploaded) -> PaymentProof:
    content_type = sniff_upload(uploaded)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    original = (uploaded.name or "comprobante").rsplit("/", 1)[-1][:200]
    proof = PaymentProof(
        organization=payment.organization,
        payment=payment,
        original_name=original,
        content_type=content_type,
        sha256=digest.hexdigest(),
    )
    # The stored name is ours (hash + the extension of the sniffed type), never the upload's.
    proof.file.save(
        f"{digest.hexdigest()[:16]}.{PROOF_EXTENSIONS[content_type]}", uploaded, save=False
    )
    proof.save()
    return proof


def agent_task(
    *,
    customer,
    key: str,
    title: str,
    invoices=(),
    today: dt.date,
    kind: str = TaskKind.FOLLOW_UP,
    notes: str = "",
) -> Task:
    """One task per trigger ``key``; never two open tasks of the same kind and subject for
    a customer (followup.services.open_task de-duplicates and assigns)."""
    from cartera.followup.services import open_task

    subject = "" if kind == TaskKind.BROKEN_PROMISE else key[:120]
    return open_task(
        customer=customer,
        kind=kind,
        key=key,
        subject=subject,
        title=title,
        invoices=invoices,
        today=today,
        notes=notes,
    )


def close_task(*, organization, key: str) -> None:
    Task.objects.filter(organization=organization, key=key, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE, completed_at=timezone.now()
    )


def cancel_queued_reminders(*, invoices, today: dt.date) -> int:
    """Rule 7 right away: queued collection messages about these invoices are re-checked
    now (cancelled when nothing is left to chase, re-rendered without them otherwise)."""
    now = timezone.now()
    cancelled = 0
    queued = Message.objects.filter(
        purpose="dunning", status="queued", invoices__in=list(invoices)
    ).distinct()
    for message in queued.select_related("customer", "organization"):
        if not revalidate_message(message=message, today=today, now=now):
            cancelled += 1
    return cancelled


def notify_debtor(*, customer, key: str, purpose: str, subject: str, body: str) -> Message | None:
    """Queue a notice to the customer's primary e-mail contact (in the outbox)."""
    contact = customer.contacts.exclude(email="").order_by("-is_primary", "id").first()
    if contact is None or contact.opted_out("email"):
        return None
    org = customer.organization
    if purpose != MessagePurpose.ACCESS_CODE:  # every message links to the portal
        link = portal_message_link(organization_id=org.pk, message_key=key[:120])
        body = f"{body}\n\n" + _("Consulte su estado de cuenta: %(link)s") % {"link": link}
    message, created = Message.objects.get_or_create(
        organization=org,
        key=key[:120],
        defaults={
            "customer": customer,
            "channel": "email",
            "purpose": purpose,
            "as_of": local_today(customer.effective_timezone),
            "language": customer.language,
            "to": [contact.email],
            "reply_to": org.reply_to_email,
            "subject": subject[:300],
            "body_text": body,
            "scheduled_for": timezone.now(),
        },
    )
    if created:
        message.contacts.add(contact)
    return message


def _check_invoices(customer, invoices) -> str:
    if not invoices:
        raise ValidationError({"invoices": _("Elija al menos una factura.")})
    currencies = {invoice.currency for invoice in invoices}
    if len(currencies) > 1:
        raise ValidationError({"invoices": _("Elija facturas de una sola moneda.")})
    for invoice in invoices:
        if invoice.customer_id != customer.pk or invoice.status != InvoiceStatus.OPEN:
            raise ValidationError(
                {
                    "invoices": _("La factura %(n)s no está pendiente de pago.")
                    % {"n": invoice.number}
                }
            )
    return currencies.pop()


def _notify(customer) -> dict:
    return {"notify_user": customer.assigned_agent_id}


# --- reported payments --------------------------------------------------------------------
@transaction.atomic
def report_payment(
    *,
    customer,
    invoices: list[Invoice],
    date: dt.date,
    method: str,
    reference: str,
    proof=None,
    amount: Decimal | None = None,
    today: dt.date,
) -> Payment:
    """ "Ya pagué": a ``reported`` payment for the chosen invoices. Reminders for them stop
    at once; the assigned agent gets a task to accept or reject it."""
    currency = _check_invoices(customer, invoices)
    open_total = sum((invoice.balance for invoice in invoices), Decimal(0))
    amount = round_money(Decimal(amount), currency) if amount else open_total
    if date > today:
        raise ValidationError({"date": _("La fecha de pago no puede ser futura.")})
    if proof is not None:
        sniff_upload(proof)
    payment = record_payment(
        customer=customer,
        actor=DEBTOR,
        date=date,
        amount=amount,
        currency=currency,
        method=method,
        reference=reference[:120],
        status=PaymentStatus.REPORTED,
        source=PaymentSource.PORTAL,
    )
    payment.reported_invoices.set(invoices)
    if proof is not None:
        _store_proof(payment, proof)
    numbers = ", ".join(invoice.number for invoice in invoices)
    agent_task(
        customer=customer,
        key=f"reported-payment:{payment.pk}",
        invoices=invoices,
        today=today,
        kind=TaskKind.REVIEW_PAYMENT,
        title=_("Revisar pago reportado de %(amount)s (%(customer)s)")
        % {"amount": payment.amount_money, "customer": customer.name},
    )
    record_activity(
        organization=customer.organization,
        customer=customer,
        actor=DEBTOR,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=_("El cliente reportó un pago de %(amount)s para %(numbers)s")
        % {"amount": payment.amount_money, "numbers": numbers},
        data={
            "payment_id": payment.pk,
            "invoices": [i.pk for i in invoices],
            "proof": payment.proofs.exists(),
            **_notify(customer),
        },
    )
    transaction.on_commit(lambda: cancel_queued_reminders(invoices=invoices, today=today))
    return payment


@transaction.atomic
def accept_reported_payment(*, payment: Payment, actor) -> list[Allocation]:
    """Confirm a reported payment, apply it to the reported invoices (oldest due first;
    any rest stays as the customer's credit), and tell the debtor "pago recibido"."""
    confirmed = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.REPORTED).update(
        status=PaymentStatus.CONFIRMED
    )
    if confirmed != 1:
        raise ValidationError(_("El pago ya no está pendiente de revisión."))
    payment.refresh_from_db()
    invoices = list(payment.reported_invoices.order_by("due_date", "issue_date", "id"))
    allocations = allocate_oldest_first(payment=payment, actor=actor, invoices=invoices)
    create_obligation(payment=payment)
    close_task(organization=payment.organization, key=f"reported-payment:{payment.pk}")
    customer = payment.customer
    record_activity(
        organization=payment.organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=_("Pago reportado de %(amount)s aceptado") % {"amount": payment.amount_money},
        data={"payment_id": payment.pk, "status": "confirmed"},
    )
    with translation.override(customer.language):
        notify_debtor(
            customer=customer,
            key=f"payment-received:{payment.pk}",
            purpose=MessagePurpose.PAYMENT_RECEIVED,
            subject=_("Pago recibido: %(amount)s") % {"amount": payment.amount_money},
            body=_("Recibimos y aplicamos su pago de %(amount)s del %(date)s. Gracias.")
            % {"amount": payment.amount_money, "date": payment.date.isoformat()},
        )
    return allocations


@transaction.atomic
def reject_reported_payment(*, payment: Payment, actor, reason: str) -> Payment:
    """Refuse a reported payment: the debtor is told why and reminders resume."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indique el motivo del rechazo.")})
    rejected = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.REPORTED).update(
        status=PaymentStatus.REJECTED, rejection_reason=reason[:300]
    )
    if rejected != 1:
        raise ValidationError(_("El pago ya no está pendiente de revisión."))
    payment.refresh_from_db()
    close_task(organization=payment.organization, key=f"reported-payment:{payment.pk}")
    customer = payment.customer
    record_activity(
        organization=payment.organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=_("Pago reportado de %(amount)s rechazado: %(reason)s")
        % {"amount": payment.amount_money, "reason": reason},
        data={"payment_id": payment.pk, "status": "rejected", "reason": reason},
    )
    with translation.override(customer.language):
        notify_debtor(
            customer=customer,
            key=f"payment-rejected:{payment.pk}",
            purpose=MessagePurpose.PORTAL_NOTICE,
            subject=_("No pudimos confirmar su pago de %(amount)s")
            % {"amount": payment.amount_money},
            body=_(
                "No pudimos confirmar el pago que reportó (%(amount)s, %(date)s). Motivo: %(reason)s"
            )
            % {"amount": payment.amount_money, "date": payment.date.isoformat(), "reason": reason},
        )
    return payment


# --- promises -----------------------------------------------------------------------------
@transaction.atomic
def make_promise(
    *,
    customer,
    invoices: list[Invoice],
    promised_date: dt.date,
    amount: Decimal,
    source: str,
    actor,
    today: dt.date,
    notes: str = "",
) -> PromiseToPay:
    """A promise to pay ``amount`` of the chosen invoices by ``promised_date`` (within the
    organisation's maximum). Reminders for those invoices pause until that date."""
    currency = _check_invoices(customer, invoices)
    amount = round_money(Decimal(amount or 0), currency)
    open_total = sum((invoice.balance for invoice in invoices), Decimal(0))
    max_days = settings_for(customer.organization).max_promise_days
    errors = {}
    if promised_date < today:
        errors["promised_date"] = _("La fecha prometida no puede ser pasada.")
    elif promised_date > today + dt.timedelta(days=max_days):
        errors["promised_date"] = _("La fecha prometida no puede ser posterior al %(d)s.") % {
            "d": (today + dt.timedelta(days=max_days)).isoformat()
        }
    if amount <= 0 or amount > open_total:
        errors["amount"] = _("El importe debe ser mayor que cero y no mayor que %(t)s.") % {
            "t": Money(open_total, currency)
        }
    if errors:
        raise ValidationError(errors)
    promise = PromiseToPay.objects.create(
        organization=customer.organization,
        customer=customer,
        promised_date=promised_date,
        amount=amount,
        currency=currency,
        source=source,
        notes=notes,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    promise.invoices.set(invoices)
    record_activity(
        organization=customer.organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.PROMISE,
        summary=_("Promesa de pago de %(amount)s para el %(date)s (%(numbers)s)")
        % {
            "amount": Money(amount, currency),
            "date": promised_date.isoformat(),
            "numbers": ", ".join(i.number for i in invoices),
        },
        data={"promise_id": promise.pk, "source": source, **_notify(customer)},
    )
    transaction.on_commit(lambda: cancel_queued_reminders(invoices=invoices, today=today))
    return promise


def promise_paid_amount(promise: PromiseToPay) -> Decimal:
    """Money applied to the promise's invoices from payments, applied after the promise
    was made and dated no later than the promised date."""
    return Allocation.objects.filter(
        invoice__in=promise.invoices.all(),
        payment__isnull=False,
        created_at__gte=promise.created_at,
        effective_date__lte=promise.promised_date,
    ).aggregate(s=Sum("amount"))["s"] or Decimal(0)


@transaction.atomic
def settle_promises(*, organization, today: dt.date) -> dict:
    """Promises whose date is before ``today`` are settled: kept, partially kept or broken.
    Broken and partial ones get an agent task; their invoices' reminders resume."""
    counts = {"kept": 0, "partially_kept": 0, "broken": 0}
    due = PromiseToPay.objects.select_for_update().filter(
        organization=organization, status=PromiseStatus.OPEN, promised_date__lt=today
    )
    for promise in due.select_related("customer", "customer__organization"):
        paid = promise_paid_amount(promise)
        invoices = list(promise.invoices.all())
        all_paid = all(invoice.status != InvoiceStatus.OPEN for invoice in invoices)
        if paid >= promise.amount or all_paid:
            status = PromiseStatus.KEPT
        elif paid > 0:
            status = PromiseStatus.PARTIALLY_KEPT
        else:
            status = PromiseStatus.BROKEN
        PromiseToPay.objects.filter(pk=promise.pk).update(status=status)
        counts[status] += 1
        money = Money(promise.amount, promise.currency)
        summary = {
            PromiseStatus.KEPT: _("Promesa de pago del %(date)s cumplida (%(amount)s)"),
            PromiseStatus.PARTIALLY_KEPT: _(
                "Promesa de pago del %(date)s cumplida en parte: %(paid)s de %(amount)s"
            ),
            PromiseStatus.BROKEN: _("Promesa de pago del %(date)s incumplida (%(amount)s)"),
        }[status] % {
            "date": promise.promised_date.isoformat(),
            "amount": money,
            "paid": Money(paid, promise.currency),
        }
        record_activity(
            organization=organization,
            customer=promise.customer,
            kind=ActivityKind.PROMISE,
            summary=summary,
            data={
                "promise_id": promise.pk,
                "status": status,
                "paid": paid,
                **_notify(promise.customer),
            },
        )
        if status != PromiseStatus.KEPT:
            agent_task(
                customer=promise.customer,
                key=f"promise:{promise.pk}",
                invoices=invoices,
                today=today,
                kind=TaskKind.BROKEN_PROMISE,
                title=summary,
            )
    return counts


# --- disputes -----------------------------------------------------------------------------
@transaction.atomic
def open_dispute(
    *, invoice: Invoice, reason_code: str, text: str, files=(), actor, today: dt.date
) -> Dispute:
    """The invoice leaves the collection flow until an agent resolves the dispute."""
    if reason_code not in DISPUTE_REASONS:
        raise ValidationError({"reason": _("Elija un motivo.")})
    if invoice.status != InvoiceStatus.OPEN:
        raise ValidationError(_("Solo se disputan facturas pendientes de pago."))
    if Dispute.objects.filter(invoice=invoice, status=DisputeStatus.OPEN).exists():
        raise ValidationError(_("La factura ya tiene una disputa abierta."))
    for uploaded in files:
        sniff_upload(uploaded)
    label = str(DISPUTE_REASONS[reason_code])
    reason = f"{label}: {text.strip()}" if text.strip() else label
    dispute = Dispute.objects.create(
        organization=invoice.organization, invoice=invoice, reason=reason[:2000]
    )
    for uploaded in files:
        content_type = sniff_upload(uploaded)
        digest = hashlib.sha256(uploaded.read()).hexdigest()
        uploaded.seek(0)
        attachment = InvoiceAttachment(
            organization=invoice.organization,
            invoice=invoice,
            kind="other",
            original_name=f"disputa-{dispute.pk}-{uploaded.name}"[:200],
            sha256=digest,
        )
        attachment.file.save(
            f"dispute-{dispute.pk}-{digest[:12]}.{PROOF_EXTENSIONS[content_type]}",
            uploaded,
            save=False,
        )
        attachment.save()
    customer = invoice.customer
    agent_task(
        customer=customer,
        key=f"dispute:{dispute.pk}",
        invoices=[invoice],
        today=today,
        kind=TaskKind.DISPUTE,
        title=_("Resolver disputa de la factura %(n)s") % {"n": invoice.number},
        notes=reason,
    )
    record_activity(
        organization=invoice.organization,
        invoice=invoice,
        actor=actor,
        kind=ActivityKind.DISPUTE,
        summary=_("Disputa abierta en la factura %(n)s: %(reason)s")
        % {"n": invoice.number, "reason": reason},
        data={"dispute_id": dispute.pk, "reason_code": reason_code, **_notify(customer)},
    )
    transaction.on_commit(lambda: cancel_queued_reminders(invoices=[invoice], today=today))
    return dispute


@transaction.atomic
def resolve_dispute(
    *,
    dispute: Dispute,
    outcome: str,
    actor,
    note: str = "",
    amount: Decimal | None = None,
    today: dt.date,
) -> Dispute:
    """``credit_note`` (for ``amount``, default the balance), ``void`` or ``reject`` (the
    invoice returns to the collection flow and the debtor is told)."""
    dispute = Dispute.objects.select_for_update().select_related("invoice").get(pk=dispute.pk)
    if dispute.status != DisputeStatus.OPEN:
        raise ValidationError(_("La disputa ya está resuelta."))
    invoice = dispute.invoice
    customer = invoice.customer
    if outcome == "credit_note":
        amount = round_money(Decimal(amount or invoice.balance), invoice.currency)
        if amount <= 0 or amount > invoice.balance:
            raise ValidationError(
                {"amount": _("El importe debe ser mayor que cero y no mayor que el saldo.")}
            )
        note_row = create_credit_note(
            customer=customer,
            actor=actor,
            external_id=f"NC-DISPUTA-{dispute.pk}",
            number=f"NC-D{dispute.pk}",
            issue_date=today,
            currency=invoice.currency,
            total=amount,
            reason=note or dispute.reason[:300],
        )
        apply_credit_note(credit_note=note_row, invoice=invoice, amount=amount, actor=actor)
    elif outcome == "void":
        void_invoice(invoice=invoice, actor=actor, reason=note or dispute.reason[:300])
    elif outcome != "reject":
        raise ValidationError({"outcome": _("Resolución no válida.")})
    Dispute.objects.filter(pk=dispute.pk).update(
        status=DisputeStatus.RESOLVED, resolved_at=timezone.now()
    )
    dispute.refresh_from_db()
    close_task(organization=dispute.organization, key=f"dispute:{dispute.pk}")
    labels = {
        "credit_note": _("aceptada con nota de crédito"),
        "void": _("aceptada, factura cancelada"),
        "reject": _("rechazada"),
    }
    record_activity(
        organization=dispute.organization,
        invoice=invoice,
        actor=actor,
        kind=ActivityKind.DISPUTE,
        summary=_("Disputa de la factura %(n)s %(outcome)s")
        % {"n": invoice.number, "outcome": labels[outcome]},
        data={"dispute_id": dispute.pk, "outcome": outcome, "note": note},
    )
    with translation.override(customer.language):
        notify_debtor(
            customer=customer,
            key=f"dispute-resolved:{dispute.pk}",
            purpose=MessagePurpose.PORTAL_NOTICE,
            subject=_("Su aclaración de la factura %(n)s fue resuelta") % {"n": invoice.number},
            body=_("Resolvimos su aclaración de la factura %(n)s: %(outcome)s. %(note)s")
            % {"n": invoice.number, "outcome": labels[outcome], "note": note},
        )
    return dispute


# --- portal settings (owners) ---------------------------------------------------------------
MAX_LOGO_BYTES = 512 * 1024
LOGO_SIGNATURES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


def sniff_logo(uploaded) -> str:
    """PNG or JPEG judged by the first bytes (never SVG: it can carry scripts)."""
    if uploaded.size > MAX_LOGO_BYTES:
        raise ValidationError({"logo": _("El logotipo pesa más de 512 KB.")})
    head = uploaded.read(8)
    uploaded.seek(0)
    for content_type, signature in LOGO_SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    raise ValidationError({"logo": _("El logotipo debe ser una imagen PNG o JPG.")})


@transaction.atomic
def update_portal_settings(
    *,
    organization,
    actor,
    require_code: bool,
    max_promise_days: int,
    bank_accounts: str,
    clabe_prefix: str,
    logo=None,
    remove_logo: bool = False,
    stripe_secret_key: str = "",
    stripe_webhook_secret: str = "",
) -> PortalSettings:
    """Save the organisation's portal options; the change is on the timeline."""
    clabe_prefix = (clabe_prefix or "").strip()
    if clabe_prefix and (not clabe_prefix.isdigit() or not 6 <= len(clabe_prefix) <= 10):
        raise ValidationError(
            {"clabe_prefix": _("El prefijo son de 6 a 10 dígitos (banco y plaza).")}
        )
    if not 1 <= int(max_promise_days) <= 180:
        raise ValidationError({"max_promise_days": _("Entre 1 y 180 días.")})
    stripe_secret_key, stripe_webhook_secret = (
        stripe_secret_key.strip(),
        stripe_webhook_secret.strip(),
    )
    if stripe_secret_key and not stripe_secret_key.startswith(("sk_", "rk_")):
        raise ValidationError(
            {"stripe_secret_key": _("La clave secreta de Stripe empieza con sk_ o rk_.")}
        )
    if stripe_webhook_secret and not stripe_webhook_secret.startswith("whsec_"):
        raise ValidationError(
            {"stripe_webhook_secret": _("El secreto del webhook empieza con whsec_.")}
        )
    content_type = sniff_logo(logo) if logo is not None else None
    row, _created = PortalSettings.objects.select_for_update().get_or_create(
        organization=organization
    )
    before = {
        "require_code": row.require_code,
        "max_promise_days": row.max_promise_days,
        "bank_accounts": row.bank_accounts,
        "clabe_prefix": row.clabe_prefix,
        "logo": row.logo.name,
        "stripe": (row.stripe_secret_key, row.stripe_webhook_secret),
    }
    row.stripe_secret_key = stripe_secret_key or row.stripe_secret_key
    row.stripe_webhook_secret = stripe_webhook_secret or row.stripe_webhook_secret
    row.require_code, row.max_promise_days = bool(require_code), int(max_promise_days)
    row.bank_accounts = "\n".join(
        line.strip() for line in bank_accounts.splitlines() if line.strip()
    )
    row.clabe_prefix = clabe_prefix
    if (remove_logo or logo is not None) and row.logo:
        row.logo.delete(save=False)
    if logo is not None:
        digest = hashlib.sha256(logo.read()).hexdigest()
        logo.seek(0)
        extension = PROOF_EXTENSIONS[content_type]
        row.logo.save(f"org-{organization.pk}-{digest[:12]}.{extension}", logo, save=False)
    row.save()
    after = {
        "require_code": row.require_code,
        "max_promise_days": row.max_promise_days,
        "bank_accounts": row.bank_accounts,
        "clabe_prefix": row.clabe_prefix,
        "logo": row.logo.name,
        "stripe": (row.stripe_secret_key, row.stripe_webhook_secret),
    }
    changed = sorted(key for key in after if after[key] != before[key])
    if changed:
        record_activity(
            organization=organization,
            actor=actor,
            kind=ActivityKind.CONFIG_CHANGED,
            summary=_("Configuración del portal de clientes actualizada"),
            data={"changed": changed},
        )
    return row
