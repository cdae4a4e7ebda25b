"""One typed function per timeline event, so every entry of a kind has one shape.

Each function builds the entry's summary as a ``sentences.sentence`` (the msgid and its
arguments, untranslated: pages show it in the reader's language; the stored ``summary`` is
it rendered in the active language), its ``data`` and states which notification it raises
(whom it reaches is one rule: ``notifications.customer_audience``); then it appends the
entry with ``record_activity``.
The arguments are the owners' model instances; this app reads their attributes and imports
none of them (it sits on the ground floor, docs/adr/0003-timeline-on-the-ground-floor.md).

``actor`` is always a user, ``ActorKind.DEBTOR`` or None (the system).
"""

from django.utils.translation import gettext_lazy as _

from cartera.lib.money import Money
from cartera.lib.stages import Stage

from .choices import ActivityKind, ActorKind, NotificationKind
from .models import Activity
from .notifications import notify_for_activity
from .sentences import joined, label, sentence, term
from .services import new_activity, record_activities, record_activity


def _numbers(invoices) -> str:
    return ", ".join(invoice.number for invoice in invoices)


# --- payments -----------------------------------------------------------------------------
def payment_recorded(payment, *, actor) -> Activity:
    """Money received (confirmed) or announced, entered by the back office or an import."""
    return record_activity(
        organization=payment.organization,
        customer=payment.customer,
        actor=actor,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=sentence(
            _("Pago de %(amount)s recibido el %(date)s (%(status)s)"),
            amount=payment.amount_money,
            date=payment.date,
            status=label(payment, "status", lower=True),
        ),
        data={
            "payment_id": payment.pk,
            "amount": payment.amount,
            "currency": payment.currency,
            "reference": payment.reference,
            "status": payment.status,
            "source": payment.source,
        },
    )


def payment_reported(payment, *, actor, invoices) -> Activity:
    """The debtor says "ya pagué" (on the portal, or to an agent on a call: ``source``)."""
    return record_activity(
        organization=payment.organization,
        customer=payment.customer,
        actor=actor,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=sentence(
            _("El cliente reportó un pago de %(amount)s para %(numbers)s"),
            amount=payment.amount_money,
            numbers=_numbers(invoices),
        ),
        data={
            "payment_id": payment.pk,
            "status": payment.status,
            "source": payment.source,
            "invoices": [invoice.pk for invoice in invoices],
            "proof": payment.proofs.exists(),
        },
        notify=NotificationKind.REPORTED_PAYMENT,
    )


def reported_payment_accepted(payment, *, actor, cep_tracking_key: str = "") -> Activity:
    """An agent accepted the report, or (``cep_tracking_key``) Banxico confirmed its CEP."""
    data = {"payment_id": payment.pk, "status": payment.status}
    summary = sentence(_("Pago reportado de %(amount)s aceptado"), amount=payment.amount_money)
    if cep_tracking_key:
        data["cep_tracking_key"] = cep_tracking_key
        summary = sentence(
            _(
                "Pago reportado de %(amount)s aceptado: Banxico confirmó su CEP (clave de "
                "rastreo %(key)s)"
            ),
            amount=payment.amount_money,
            key=cep_tracking_key,
        )
    return record_activity(
        organization=payment.organization,
        customer=payment.customer,
        actor=actor,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=summary,
        data=data,
    )


def reported_payment_cep_flagged(
    payment, *, status: str, reason: str, tracking_key: str
) -> Activity:
    """The reported payment's CEP was checked and did not prove it (``status`` is a
    ``payments.cep.CepStatus``): the payment stays reported and its agent is told."""
    return record_activity(
        organization=payment.organization,
        customer=payment.customer,
        actor=None,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=sentence(
            _("El CEP del pago reportado de %(amount)s no lo confirma: %(reason)s"),
            amount=payment.amount_money,
            reason=reason,
        ),
        data={
            "payment_id": payment.pk,
            "status": payment.status,
            "cep_status": status,
            "reason": reason,
            "cep_tracking_key": tracking_key,
        },
        notify=NotificationKind.REPORTED_PAYMENT,
    )


def reported_payment_rejected(payment, *, actor) -> Activity:
    reason = payment.rejection_reason
    return record_activity(
        organization=payment.organization,
        customer=payment.customer,
        actor=actor,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=sentence(
            _("Pago reportado de %(amount)s rechazado: %(reason)s"),
            amount=payment.amount_money,
            reason=reason,
        ),
        data={"payment_id": payment.pk, "status": payment.status, "reason": reason},
    )


def online_checkout_started(session, *, actor, invoices) -> Activity:
    customer = session.customer
    return record_activity(
        organization=session.organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=sentence(
            _("El cliente inició un pago en línea de %(amount)s (%(numbers)s)"),
            amount=Money(session.amount, session.currency),
            numbers=_numbers(invoices),
        ),
        data={"checkout_id": session.pk, "provider": session.provider},
        notify=NotificationKind.REPORTED_PAYMENT,
    )


# --- payment requests ("cobros") ------------------------------------------------------------
def payment_request_created(request, *, actor, invoices) -> Activity:
    return record_activity(
        organization=request.organization,
        customer=request.customer,
        actor=actor,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=sentence(
            _("Solicitud de pago por %(amount)s (%(numbers)s), vence el %(date)s"),
            amount=request.amount_money,
            numbers=_numbers(invoices),
            date=request.expires_at.date(),
        ),
        data={"payment_request_id": request.pk, "methods": list(request.methods)},
    )


def payment_request_sent(
    request, *, actor, channel: str, channel_label, resent: bool = False
) -> Activity:
    """``channel_label`` is the channel's (lazy) choices label, shown translated;
    ``resent``: the request had been sent before."""
    text = (
        _("Solicitud de pago por %(amount)s reenviada por %(channel)s")
        if resent
        else _("Solicitud de pago por %(amount)s enviada por %(channel)s")
    )
    data = {"payment_request_id": request.pk, "channel": channel}
    return record_activity(
        organization=request.organization,
        customer=request.customer,
        actor=actor,
        kind=ActivityKind.MESSAGE,
        summary=sentence(text, amount=request.amount_money, channel=term(channel_label)),
        data={**data, "resent": True} if resent else data,
    )


def payment_request_cancelled(request, *, actor) -> Activity:
    return record_activity(
        organization=request.organization,
        customer=request.customer,
        actor=actor,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=sentence(
            _("Solicitud de pago por %(amount)s cancelada"), amount=request.amount_money
        ),
        data={"payment_request_id": request.pk},
    )


def payment_request_expired(request) -> Activity:
    return record_activity(
        organization=request.organization,
        customer=request.customer,
        actor=None,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=sentence(
            _("Solicitud de pago por %(amount)s vencida sin pagar"), amount=request.amount_money
        ),
        data={"payment_request_id": request.pk},
    )


def payment_request_paid(request, *, payment) -> Activity:
    """A payment arrived for the request (paid in full, or in part: it stays open)."""
    if request.status == "paid":
        summary = sentence(
            _("Solicitud de pago por %(amount)s pagada"), amount=request.amount_money
        )
    else:
        summary = sentence(
            _("Solicitud de pago por %(amount)s: pagado %(paid)s"),
            amount=request.amount_money,
            paid=request.paid_money,
        )
    return record_activity(
        organization=request.organization,
        customer=request.customer,
        actor=ActorKind.DEBTOR,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=summary,
        data={"payment_request_id": request.pk, "payment_id": payment.pk},
    )


def online_payment_confirmed(payment, *, actor, provider_name: str) -> Activity:
    customer = payment.customer
    return record_activity(
        organization=payment.organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=sentence(
            _("Pago en línea confirmado por %(provider)s: %(amount)s"),
            provider=provider_name.capitalize(),
            amount=payment.amount_money,
        ),
        data={"payment_id": payment.pk, "provider": provider_name},
        notify=NotificationKind.REPORTED_PAYMENT,
    )


def online_payment_rejected(session, *, provider_name: str, problem) -> Activity:
    """A signed provider event that does not match our checkout: no payment, people told.
    ``problem`` is a ``sentence`` (or plain text)."""
    return record_activity(
        organization=session.organization,
        customer=session.customer,
        actor=None,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=sentence(
            _("Pago en línea de %(provider)s no aplicado, revíselo: %(problem)s"),
            provider=provider_name.capitalize(),
            problem=problem,
        ),
        data={"checkout_session": session.session_id, "provider": provider_name},
        notify=NotificationKind.REPORTED_PAYMENT,
    )


def _bank_payment_matched(
    payment, *, actor, movement, rule: str, rule_label, linked: bool = False
) -> dict:
    """``linked``: the movement was tied to a payment recorded before (no new payment)."""
    return {
        "organization": payment.organization,
        "customer": payment.customer,
        "actor": actor,
        "kind": ActivityKind.PAYMENT_RECORDED,
        "summary": sentence(
            _("Pago de %(amount)s identificado en el banco el %(date)s (%(rule)s)"),
            amount=movement.amount_money,
            date=movement.booking_date,
            rule=term(rule_label, lower=True),
        ),
        "data": {
            "payment_id": payment.pk,
            "movement_id": movement.pk,
            "rule": rule,
            "amount": movement.amount,
            "currency": movement.currency,
            "linked_existing": linked,
        },
    }


def bank_payment_matched(
    payment, *, actor, movement, rule: str, rule_label, linked: bool = False
) -> Activity:
    """A bank movement reconciled to this customer (automatically or by a person);
    ``rule_label`` is the rule's (lazy) choices label, shown translated."""
    return record_activity(
        **_bank_payment_matched(
            payment,
            actor=actor,
            movement=movement,
            rule=rule,
            rule_label=rule_label,
            linked=linked,
        ),
        notify=NotificationKind.BANK_PAYMENT,
    )


class BankMatchEntries:
    """The entries of many automatic bank matches, collected in the order the one-at-a-time
    path writes them (per allocation: applied, paid when it clears the invoice, the REP
    owed after the first allocation that owes one; then the match itself) and written at
    once by ``record``: chained in that order, the match's notification raised as
    ``bank_payment_matched`` raises it. Same field builders as the single-entry functions."""

    def __init__(self) -> None:
        self.activities: list[Activity] = []
        self.notify: list[str | None] = []

    def _add(self, fields: dict, notify: str | None = None) -> None:
        self.activities.append(new_activity(**fields))
        self.notify.append(notify)

    def amount_applied(self, allocation, *, invoice, currency: str) -> None:
        self._add(_amount_applied(allocation, actor=None, invoice=invoice, currency=currency))

    def invoice_paid(self, invoice) -> None:
        self._add(_invoice_paid(invoice, actor=None))

    def complement_owed(self, complement) -> None:
        self._add(_complement_owed(complement))

    def bank_payment_matched(self, payment, *, movement, rule: str, rule_label) -> None:
        fields = _bank_payment_matched(
            payment, actor=None, movement=movement, rule=rule, rule_label=rule_label
        )
        self._add(fields, NotificationKind.BANK_PAYMENT)

    def record(self) -> int:
        return record_activities(self.activities, notify=self.notify)


def bank_match_undone(payment, *, actor, movement) -> Activity:
    return record_activity(
        organization=payment.organization,
        customer=payment.customer,
        actor=actor,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=sentence(
            _("Conciliación bancaria de %(amount)s del %(date)s deshecha"),
            amount=movement.amount_money,
            date=movement.booking_date,
        ),
        data={"payment_id": payment.pk, "movement_id": movement.pk},
    )


def online_checkout_expired(session, *, provider_name: str) -> Activity:
    """A voucher or checkout that can no longer be paid (expired, failed, cancelled)."""
    return record_activity(
        organization=session.organization,
        customer=session.customer,
        actor=None,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=sentence(
            _("Cobro en línea de %(provider)s por %(amount)s vencido sin pago"),
            provider=provider_name.capitalize(),
            amount=Money(session.amount, session.currency),
        ),
        data={"checkout_id": session.pk, "provider": provider_name},
    )


def spei_transfer_received(payment, *, sender: str, tracking_key: str) -> Activity:
    """An SPEI transfer to the customer's virtual CLABE, confirmed by STP."""
    return record_activity(
        organization=payment.organization,
        customer=payment.customer,
        actor=None,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=sentence(
            _("Transferencia SPEI de %(amount)s recibida de %(sender)s (rastreo %(key)s)"),
            amount=payment.amount_money,
            sender=sender,
            key=tracking_key,
        ),
        data={"payment_id": payment.pk, "provider": "stp", "clave_rastreo": tracking_key},
        notify=NotificationKind.REPORTED_PAYMENT,
    )


def spei_transfer_unmatched(*, organization, amount, account: str, tracking_key: str) -> Activity:
    """An SPEI transfer to a CLABE that is no customer's, accepted for manual review: every
    owner and manager is told (there is no customer whose team would hear of it)."""
    activity = new_activity(
        organization=organization,
        actor=None,
        kind=ActivityKind.PAYMENT_RECORDED,
        summary=sentence(
            _(
                "Transferencia SPEI de %(amount)s a la CLABE %(account)s sin cliente "
                "(rastreo %(key)s): revísela"
            ),
            amount=amount,
            account=account,
            key=tracking_key,
        ),
        data={"provider": "stp", "clave_rastreo": tracking_key, "account": account},
    )
    record_activities([activity])  # chained like every entry
    for user_id in organization.supervisor_ids():
        notify_for_activity(activity, kind=NotificationKind.REPORTED_PAYMENT, user_id=user_id)
    return activity


def template_failed(*, organization, template_key: str, error: str, messages: int) -> None:
    """A template that cannot render: its messages failed; every owner and manager is told
    (one entry per template and run; the run itself went on)."""
    summary = sentence(
        _("La plantilla «%(template)s» no se pudo generar; %(count)s mensajes fallaron: %(error)s"),
        template=template_key,
        count=messages,
        error=error[:300],
    )
    activity = new_activity(
        organization=organization,
        actor=None,
        kind=ActivityKind.CONFIG_CHANGED,
        summary=summary,
        data={"template": template_key, "error": error[:300], "failed": messages},
    )
    record_activities([activity])  # chained like every entry
    for user_id in organization.supervisor_ids():
        notify_for_activity(activity, kind=NotificationKind.TEMPLATE_FAILED, user_id=user_id)


def _amount_applied(allocation, *, actor, invoice, currency: str) -> dict:
    source = allocation.payment or allocation.credit_note
    kind = (
        ActivityKind.PAYMENT_ALLOCATED if allocation.payment else ActivityKind.CREDIT_NOTE_APPLIED
    )
    return {
        "organization": invoice.organization,
        "invoice": invoice,
        "actor": actor,
        "kind": kind,
        "summary": sentence(
            _("%(amount)s aplicado a la factura %(number)s; saldo %(balance)s"),
            amount=Money(allocation.amount, currency),
            number=invoice.number,
            balance=invoice.balance_money,
        ),
        "data": {
            "allocation_id": allocation.pk,
            "amount": allocation.amount,
            "source": type(source).__name__.lower(),
            "source_id": source.pk,
            "balance": invoice.balance,
        },
    }


def amount_applied(allocation, *, actor, invoice, currency: str) -> Activity:
    """Part of a payment or a credit note applied to an invoice (``invoice`` is fresh)."""
    return record_activity(
        **_amount_applied(allocation, actor=actor, invoice=invoice, currency=currency)
    )


def allocation_moved(allocation, *, actor, source, target, reason: str) -> Activity:
    """An allocation re-pointed from a replaced invoice to the one that replaces it."""
    return record_activity(
        organization=target.organization,
        invoice=target,
        actor=actor,
        kind=ActivityKind.PAYMENT_ALLOCATED
        if allocation.payment_id
        else ActivityKind.CREDIT_NOTE_APPLIED,
        summary=sentence(
            _("%(amount)s pasado de la factura %(old)s a la factura %(new)s: %(reason)s"),
            amount=Money(allocation.amount, target.currency),
            old=source.number,
            new=target.number,
            reason=reason,
        ),
        data={
            "allocation_id": allocation.pk,
            "amount": allocation.amount,
            "from_invoice_id": source.pk,
            "balance": target.balance,
        },
    )


def _invoice_paid(invoice, *, actor) -> dict:
    return {
        "organization": invoice.organization,
        "invoice": invoice,
        "actor": actor,
        "kind": ActivityKind.INVOICE_PAID,
        "summary": sentence(_("Factura %(number)s pagada"), number=invoice.number),
        "data": {"paid_at": invoice.paid_at},
    }


def invoice_paid(invoice, *, actor) -> Activity:
    return record_activity(**_invoice_paid(invoice, actor=actor))


# --- promises -----------------------------------------------------------------------------
def promise_made(promise, *, actor, invoices) -> Activity:
    return record_activity(
        organization=promise.organization,
        customer=promise.customer,
        actor=actor,
        kind=ActivityKind.PROMISE,
        summary=sentence(
            _("Promesa de pago de %(amount)s para el %(date)s (%(numbers)s)"),
            amount=Money(promise.amount, promise.currency),
            date=promise.promised_date,
            numbers=_numbers(invoices),
        ),
        data={"promise_id": promise.pk, "status": promise.status, "source": promise.source},
    )


def _promise_settled(promise, *, summary, paid, notify: str | None = None) -> Activity:
    return record_activity(
        organization=promise.organization,
        customer=promise.customer,
        kind=ActivityKind.PROMISE,
        summary=summary,
        data={"promise_id": promise.pk, "status": promise.status, "paid": paid},
        notify=notify,
    )


def promise_kept(promise, *, paid) -> Activity:
    summary = sentence(
        _("Promesa de pago del %(date)s cumplida (%(amount)s)"),
        date=promise.promised_date,
        amount=Money(promise.amount, promise.currency),
    )
    return _promise_settled(promise, summary=summary, paid=paid)


def promise_partially_kept(promise, *, paid) -> Activity:
    summary = sentence(
        _("Promesa de pago del %(date)s cumplida en parte: %(paid)s de %(amount)s"),
        date=promise.promised_date,
        amount=Money(promise.amount, promise.currency),
        paid=Money(paid, promise.currency),
    )
    return _promise_settled(promise, summary=summary, paid=paid)


def promise_broken(promise, *, paid=0) -> Activity:
    summary = sentence(
        _("Promesa de pago del %(date)s incumplida (%(amount)s)"),
        date=promise.promised_date,
        amount=Money(promise.amount, promise.currency),
    )
    return _promise_settled(
        promise, summary=summary, paid=paid, notify=NotificationKind.BROKEN_PROMISE
    )


# --- disputes -----------------------------------------------------------------------------
def dispute_opened(dispute, *, actor, reason_code: str, reason_label, text: str) -> Activity:
    """``reason_label`` is the reason's (lazy) label, shown translated; ``text`` what the
    person wrote."""
    invoice = dispute.invoice
    return record_activity(
        organization=dispute.organization,
        invoice=invoice,
        actor=actor,
        kind=ActivityKind.DISPUTE,
        summary=sentence(
            _("Disputa abierta en la factura %(n)s: %(reason)s"),
            n=invoice.number,
            reason=joined(term(reason_label), text.strip(), sep=": "),
        ),
        data={"dispute_id": dispute.pk, "status": dispute.status, "reason_code": reason_code},
        notify=NotificationKind.DISPUTE,
    )


def dispute_resolved(dispute, *, actor, outcome: str, outcome_label, note: str) -> Activity:
    """``outcome_label`` is the outcome's (lazy) label, shown translated."""
    invoice = dispute.invoice
    return record_activity(
        organization=dispute.organization,
        invoice=invoice,
        actor=actor,
        kind=ActivityKind.DISPUTE,
        summary=sentence(
            _("Disputa de la factura %(n)s %(outcome)s"),
            n=invoice.number,
            outcome=term(outcome_label),
        ),
        data={
            "dispute_id": dispute.pk,
            "status": dispute.status,
            "outcome": outcome,
            "note": note,
        },
    )


# --- the team's work ----------------------------------------------------------------------
def task_opened(task, *, actor) -> Activity:
    return record_activity(
        organization=task.organization,
        customer=task.customer,
        actor=actor,
        kind=ActivityKind.TASK,
        summary=sentence(_("Tarea: %(title)s"), title=task.title),
        data={"task_id": task.pk, "task_kind": task.kind},
    )


def task_completed(task, *, actor, note: str = "") -> Activity:
    summary = sentence(_("Tarea hecha: %(title)s"), title=task.title)
    return record_activity(
        organization=task.organization,
        customer=task.customer,
        actor=actor,
        kind=ActivityKind.TASK,
        summary=joined(summary, note),
        data={"task_id": task.pk, "status": task.status, "outcome": task.outcome},
    )


def task_snoozed(task, *, actor) -> Activity:
    until = task.snoozed_until
    return record_activity(
        organization=task.organization,
        customer=task.customer,
        actor=actor,
        kind=ActivityKind.TASK,
        summary=sentence(_("Tarea pospuesta al %(date)s: %(title)s"), date=until, title=task.title),
        data={"task_id": task.pk, "snoozed_until": until.isoformat()},
    )


def tasks_reassigned(tasks, *, actor, to_user) -> int:
    """One entry per task (bulk: a reassignment moves many tasks at once)."""
    name = to_user.get_full_name() or to_user.get_username()
    return record_activities(
        [
            new_activity(
                organization=task.organization,
                customer=task.customer,
                actor=actor,
                kind=ActivityKind.TASK,
                summary=sentence(_("Tarea reasignada a %(u)s: %(t)s"), u=name, t=task.title),
                data={"task_id": task.pk, "assignee": to_user.pk},
            )
            for task in tasks
        ]
    )


def note_added(customer, *, actor, text: str, invoice=None) -> Activity:
    """A customer note ("novedad")."""
    return record_activity(
        organization=customer.organization,
        customer=customer,
        invoice=invoice,
        actor=actor,
        kind=ActivityKind.NOTE,
        summary=text,
        data={"note": True},
    )


def call_logged(
    customer, *, actor, outcome: str, outcome_label, note: str, task=None, **links
) -> Activity:
    """A call and its outcome (``outcome_label``: its lazy label, shown translated);
    ``links`` name what it created (``promise_id`` …)."""
    summary = sentence(_("Llamada: %(outcome)s"), outcome=term(outcome_label))
    return record_activity(
        organization=customer.organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.CALL,
        summary=joined(summary, note),
        data={"outcome": outcome, "task_id": task.pk if task else None, "note": note, **links},
    )


# --- customers and invoices ---------------------------------------------------------------
def customer_created(customer, *, actor) -> Activity:
    return record_activity(
        organization=customer.organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.CUSTOMER_CREATED,
        summary=sentence(_("Cliente %(name)s creado"), name=customer.name),
        data={"external_id": customer.external_id},
    )


def customer_updated(customer, *, actor, changes: dict) -> Activity:
    return record_activity(
        organization=customer.organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.CUSTOMER_UPDATED,
        summary=sentence(_("Datos del cliente modificados: %(fields)s"), fields=", ".join(changes)),
        data={"changes": changes},
    )


# --- credit: groups, stop supply, credit-risk alerts (docs/groups.md) ----------------------
def supply_stop_changed(customer, *, actor) -> Activity:
    """ "Suspender suministro" raised (with its reason) or lifted on ``customer``."""
    if customer.supply_stopped:
        summary = sentence(
            _("Suministro suspendido: %(reason)s"), reason=customer.supply_stopped_reason or "—"
        )
    else:
        summary = sentence(_("Suministro reanudado"))
    return record_activity(
        organization=customer.organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.CREDIT,
        summary=summary,
        data={
            "credit_event": "supply_stopped" if customer.supply_stopped else "supply_resumed",
            "reason": customer.supply_stopped_reason,
        },
    )


def business_group_changed(customer, *, actor, old: str) -> Activity:
    return record_activity(
        organization=customer.organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.CREDIT,
        summary=sentence(
            _("Grupo empresarial: %(old)s → %(new)s"),
            old=old or "—",
            new=customer.business_group or "—",
        ),
        data={"credit_event": "business_group", "group": [old, customer.business_group]},
    )


def credit_limit_exceeded(customer, *, balance: Money, limit: Money, as_of) -> Activity:
    """The daily credit check found the open balance over the credit limit (once per
    crossing); raises a credit-risk notification for the account's owner."""
    return record_activity(
        organization=customer.organization,
        customer=customer,
        kind=ActivityKind.CREDIT,
        summary=sentence(
            _("Saldo abierto de %(balance)s sobre el límite de crédito de %(limit)s (al %(date)s)"),
            balance=balance,
            limit=limit,
            date=as_of,
        ),
        data={
            "credit_event": "over_limit",
            "balance": balance.as_string(),
            "limit": limit.as_string(),
            "currency": balance.currency,
        },
        notify=NotificationKind.CREDIT_RISK,
    )


def group_credit_limit_exceeded(
    organization, *, customer, user, group_key: str, limit: Money, as_of
) -> Activity:
    """The nightly check found a group's exposure, as ``user`` sees it, over the
    organisation's group credit limit (once per crossing and user). The entry names the
    limit and whom it told, never the exposure: that counts organisations other members of
    this one may not belong to. ``customer``: this organisation's customer of the group
    (None when it has none); the caller raises ``user``'s notification."""
    return record_activity(
        organization=organization,
        customer=customer,
        kind=ActivityKind.CREDIT,
        summary=sentence(
            _(
                "Grupo %(key)s sobre su límite de crédito de %(limit)s (al %(date)s), aviso a %(user)s"
            ),
            key=group_key,
            limit=limit,
            date=as_of,
            user=user.get_username(),
        ),
        data={
            "credit_event": "group_over_limit",
            "group_key": group_key,
            "limit": limit.as_string(),
            "currency": limit.currency,
            "user": user.get_username(),
        },
    )


def group_credit_limit_set(organization, *, actor, group_key: str, limit) -> Activity:
    """``limit`` is a ``Money`` or None (removed)."""
    if limit is None:
        summary = sentence(_("Límite de crédito del grupo %(key)s eliminado"), key=group_key)
    else:
        summary = sentence(
            _("Límite de crédito del grupo %(key)s: %(limit)s"), key=group_key, limit=limit
        )
    return config_changed(
        organization,
        actor=actor,
        summary=summary,
        group_key=group_key,
        limit=limit.as_string() if limit else None,
        currency=limit.currency if limit else None,
    )


def contact_saved(contact, *, actor, is_new: bool) -> Activity:
    text = _("Contacto %(name)s agregado") if is_new else _("Contacto %(name)s modificado")
    return record_activity(
        organization=contact.customer.organization,
        customer=contact.customer,
        actor=actor,
        kind=ActivityKind.CONTACT_SAVED,
        summary=sentence(text, name=contact.name),
        data={
            "contact_id": contact.pk,
            "email": contact.email,
            "mobile_phone": contact.mobile_phone,
        },
    )


def invoice_created(invoice, *, actor) -> Activity:
    return record_activity(
        organization=invoice.organization,
        invoice=invoice,
        actor=actor,
        kind=ActivityKind.INVOICE_CREATED,
        summary=sentence(
            _("Factura %(number)s por %(total)s"),
            number=invoice.number,
            total=invoice.total_money,
        ),
        data={"total": invoice.total, "currency": invoice.currency, "due_date": invoice.due_date},
    )


def invoice_updated(invoice, *, actor, changes: dict) -> Activity:
    return record_activity(
        organization=invoice.organization,
        invoice=invoice,
        actor=actor,
        kind=ActivityKind.INVOICE_UPDATED,
        summary=sentence(
            _("Factura %(number)s modificada: %(fields)s"),
            number=invoice.number,
            fields=", ".join(changes),
        ),
        data={"changes": changes},
    )


def invoice_voided(invoice, *, actor, reason: str) -> Activity:
    return record_activity(
        organization=invoice.organization,
        invoice=invoice,
        actor=actor,
        kind=ActivityKind.INVOICE_VOIDED,
        summary=sentence(
            _("Factura %(number)s cancelada: %(reason)s"), number=invoice.number, reason=reason
        ),
        data={"reason": reason},
    )


def invoice_file_attached(attachment, *, actor, name: str) -> Activity:
    invoice = attachment.invoice
    return record_activity(
        organization=invoice.organization,
        invoice=invoice,
        actor=actor,
        kind=ActivityKind.INVOICE_UPDATED,
        summary=sentence(
            _("Archivo %(name)s adjuntado a la factura %(number)s"),
            name=name,
            number=invoice.number,
        ),
        data={"attachment_id": attachment.pk, "kind": attachment.kind, "sha256": attachment.sha256},
    )


def invoice_file_downloaded(attachment, *, actor, via: str) -> Activity:
    """The debtor downloaded an invoice's XML or PDF (``via``: ``"portal"``): part of the
    proof that the CFDI was delivered (the case dossier lists it)."""
    invoice = attachment.invoice
    return record_activity(
        organization=invoice.organization,
        invoice=invoice,
        actor=actor,
        kind=ActivityKind.INVOICE_UPDATED,
        summary=sentence(
            _("El cliente descargó %(name)s de la factura %(number)s"),
            name=attachment.original_name,
            number=invoice.number,
        ),
        data={
            "attachment_id": attachment.pk,
            "kind": attachment.kind,
            "file_event": "downloaded",
            "via": via,
        },
    )


def credit_note_created(note, *, actor) -> Activity:
    return record_activity(
        organization=note.organization,
        customer=note.customer,
        actor=actor,
        kind=ActivityKind.CREDIT_NOTE_CREATED,
        summary=sentence(
            _("Nota de crédito %(number)s por %(total)s"),
            number=note.number,
            total=Money(note.total, note.currency),
        ),
        data={"credit_note_id": note.pk, "total": note.total, "currency": note.currency},
    )


# --- purchase orders and buyers' supplier portals ---------------------------------------
def _po_data(order) -> dict:
    return {"purchase_order_id": order.pk, "number": order.number}


def purchase_order_saved(order, *, actor, changes: dict | None = None) -> Activity:
    """A purchase order created (``changes`` None) or changed."""
    if changes is None:
        summary = sentence(
            _("Orden de compra %(number)s por %(amount)s registrada"),
            number=order.number,
            amount=Money(order.amount, order.currency),
        )
    else:
        summary = sentence(
            _("Orden de compra %(number)s modificada: %(fields)s"),
            number=order.number,
            fields=", ".join(changes),
        )
    return record_activity(
        organization=order.organization,
        customer=order.customer,
        actor=actor,
        kind=ActivityKind.INVOICE_UPDATED,
        summary=summary,
        data={**_po_data(order), "amount": order.amount, "currency": order.currency}
        | ({"changes": changes} if changes is not None else {}),
    )


def _po_match_summary(invoice_number: str, order_number: str, balance, over: bool):
    summary = sentence(
        _("Factura %(invoice)s vinculada a la orden de compra %(order)s"),
        invoice=invoice_number,
        order=order_number,
    )
    warning = over and sentence(
        _("excede el saldo de la orden (queda %(balance)s)"), balance=balance
    )
    return joined(summary, warning)


def purchase_order_matched(invoice, order, *, actor, balance, over: bool) -> Activity:
    """``balance`` (a Money) is what is left of the order after this invoice; ``over``
    warns that the invoice exceeds it (a warning, the match stands)."""
    return record_activity(
        organization=invoice.organization,
        invoice=invoice,
        actor=actor,
        kind=ActivityKind.INVOICE_UPDATED,
        summary=_po_match_summary(invoice.number, order.number, balance, over),
        data={**_po_data(order), "balance": balance.amount, "over_balance": over},
    )


def invoices_loaded(*, organization, actor, per_customer: dict[int, dict]) -> int:
    """Invoices created or changed in bulk through the API (``invoices.bulk``): one entry per
    customer with the counts (``{customer id: {"created": n, "updated": n}}``), as the
    imports summarise theirs."""
    return record_activities(
        [
            new_activity(
                organization=organization,
                customer_id=customer_id,
                actor=actor,
                kind=ActivityKind.IMPORT,
                summary=sentence(
                    _("Carga de facturas por API: %(created)s nuevas, %(updated)s modificadas"),
                    created=counts["created"],
                    updated=counts["updated"],
                ),
                data={"source": "api", **counts},
            )
            for customer_id, counts in per_customer.items()
            if counts["created"] or counts["updated"]
        ]
    )


def purchase_orders_matched(matches, *, organization, actor) -> int:
    """Many matches at once (imports): ``matches`` are (invoice, order, balance, over)."""
    return record_activities(
        [
            new_activity(
                organization=organization,
                invoice_id=invoice.pk,
                customer_id=invoice.customer_id,
                actor=actor,
                kind=ActivityKind.INVOICE_UPDATED,
                summary=_po_match_summary(invoice.number, order.number, balance, over),
                data={**_po_data(order), "balance": balance.amount, "over_balance": over},
            )
            for invoice, order, balance, over in matches
        ]
    )


def purchase_order_unmatched(invoice, order, *, actor) -> Activity:
    return record_activity(
        organization=invoice.organization,
        invoice=invoice,
        actor=actor,
        kind=ActivityKind.INVOICE_UPDATED,
        summary=sentence(
            _("Factura %(invoice)s desvinculada de la orden de compra %(order)s"),
            invoice=invoice.number,
            order=order.number,
        ),
        data=_po_data(order),
    )


def supplier_portal_status(entry, *, actor) -> Activity:
    """An invoice's new status in the buyer's supplier portal (``SupplierPortalStatus``)."""
    invoice = entry.invoice
    summary = joined(
        sentence(
            _("Portal del cliente: factura %(n)s %(status)s el %(date)s"),
            n=invoice.number,
            status=label(entry, "status", lower=True),
            date=entry.date,
        ),
        entry.payment_date and sentence(_("pago programado el %(d)s"), d=entry.payment_date),
        entry.reason,
    )
    return record_activity(
        organization=entry.organization,
        invoice=invoice,
        actor=actor,
        kind=ActivityKind.INVOICE_UPDATED,
        summary=summary,
        data={
            "portal_status_id": entry.pk,
            "status": entry.status,
            "date": entry.date,
            "payment_date": entry.payment_date,
            "reason": entry.reason,
            "source": entry.source,
        },
    )


# --- payment complements (REP) ------------------------------------------------------------
def _complement_fields(complement, *, actor, summary, **data) -> dict:
    return {
        "organization": complement.organization,
        "customer": complement.payment.customer,
        "actor": actor,
        "kind": ActivityKind.PAYMENT_RECORDED,
        "summary": summary,
        "data": {"complement_id": complement.pk, **data},
    }


def _complement_entry(complement, *, actor, summary, **data) -> Activity:
    return record_activity(**_complement_fields(complement, actor=actor, summary=summary, **data))


def _complement_owed(complement) -> dict:
    summary = sentence(
        _("Complemento de pago pendiente para el pago de %(amount)s (límite %(date)s)"),
        amount=complement.payment.amount_money,
        date=complement.due_date,
    )
    return _complement_fields(complement, actor=None, summary=summary, due_date=complement.due_date)


def complement_owed(complement) -> Activity:
    return record_activity(**_complement_owed(complement))


def complement_generated(complement, *, actor) -> Activity:
    summary = sentence(
        _("XML del complemento de pago generado (pago de %(amount)s)"),
        amount=complement.payment.amount_money,
    )
    return _complement_entry(complement, actor=actor, summary=summary)


def complement_stamped(complement, *, actor, fiscal_uuid: str) -> Activity:
    summary = sentence(_("Complemento de pago timbrado: %(uuid)s"), uuid=fiscal_uuid)
    return _complement_entry(complement, actor=actor, summary=summary, uuid=fiscal_uuid)


def complement_cancelled(complement, *, actor, reason: str) -> Activity:
    summary = sentence(
        _("Complemento de pago %(uuid)s cancelado ante el SAT (motivo %(reason)s)"),
        uuid=complement.cancelled_uuid,
        reason=reason,
    )
    return _complement_entry(
        complement, actor=actor, summary=summary, uuid=complement.cancelled_uuid, reason=reason
    )


def complement_imported(complement, *, actor, fiscal_uuid: str) -> Activity:
    summary = sentence(
        _("Complemento de pago importado (%(uuid)s): cubre el pago de %(amount)s"),
        uuid=fiscal_uuid,
        amount=complement.payment.amount_money,
    )
    return _complement_entry(
        complement, actor=actor, summary=summary, uuid=fiscal_uuid, source="import"
    )


# --- CFDI issued from Cartera -------------------------------------------------------------
def cfdi_stamped(cfdi, *, actor) -> Activity:
    summary = sentence(
        _("CFDI %(number)s timbrado: %(uuid)s por %(total)s"),
        number=cfdi.number,
        uuid=cfdi.fiscal_uuid,
        total=Money(cfdi.total, cfdi.currency),
    )
    return record_activity(
        organization=cfdi.organization,
        customer=cfdi.customer,
        invoice=cfdi.invoice,
        actor=actor,
        kind=ActivityKind.INVOICE_CREATED,
        summary=summary,
        data={"issued_cfdi_id": cfdi.pk, "uuid": cfdi.fiscal_uuid, "kind": cfdi.kind},
    )


def cfdi_cancellation_requested(cfdi, *, actor) -> Activity:
    summary = sentence(
        _("Cancelación del CFDI %(number)s (%(uuid)s) solicitada al SAT, motivo %(reason)s"),
        number=cfdi.number,
        uuid=cfdi.fiscal_uuid,
        reason=cfdi.cancellation_reason,
    )
    return record_activity(
        organization=cfdi.organization,
        customer=cfdi.customer,
        invoice=cfdi.invoice,
        actor=actor,
        kind=ActivityKind.INVOICE_UPDATED,
        summary=summary,
        data={
            "issued_cfdi_id": cfdi.pk,
            "uuid": cfdi.fiscal_uuid,
            "reason": cfdi.cancellation_reason,
        },
    )


def cfdi_cancellation_rejected(cfdi) -> Activity:
    summary = sentence(
        _("El receptor rechazó la cancelación del CFDI %(number)s; sigue vigente"),
        number=cfdi.number,
    )
    return record_activity(
        organization=cfdi.organization,
        customer=cfdi.customer,
        invoice=cfdi.invoice,
        actor=None,
        kind=ActivityKind.INVOICE_UPDATED,
        summary=summary,
        data={"issued_cfdi_id": cfdi.pk, "uuid": cfdi.fiscal_uuid},
    )


def cfdi_cancelled(cfdi, *, actor) -> Activity:
    summary = sentence(
        _("CFDI %(number)s (%(uuid)s) cancelado ante el SAT, motivo %(reason)s"),
        number=cfdi.number,
        uuid=cfdi.fiscal_uuid,
        reason=cfdi.cancellation_reason,
    )
    return record_activity(
        organization=cfdi.organization,
        customer=cfdi.customer,
        invoice=cfdi.invoice,
        actor=actor,
        kind=ActivityKind.INVOICE_VOIDED,
        summary=summary,
        data={
            "issued_cfdi_id": cfdi.pk,
            "uuid": cfdi.fiscal_uuid,
            "reason": cfdi.cancellation_reason,
            "substitution_uuid": cfdi.substitution_uuid,
        },
    )


# --- configuration ------------------------------------------------------------------------
def cfdi_cancellation_pending(invoice, *, status: str) -> Activity:
    """The SAT's status service says a cancellation of the invoice's CFDI awaits the
    receiver's answer: recorded; the invoice stays as it is."""
    return record_activity(
        organization=invoice.organization,
        invoice=invoice,
        actor=None,
        kind=ActivityKind.INVOICE_UPDATED,
        summary=sentence(
            _("El SAT reporta la cancelación del CFDI de la factura %(number)s: %(status)s"),
            number=invoice.number,
            status=status,
        ),
        data={"sat_cancellation_status": status, "fiscal_uuid": invoice.fiscal_uuid},
    )


def config_changed(organization, *, actor, summary, **data) -> Activity:
    """Settings saved (``summary``, a ``sentence``, names them; ``data`` says what changed)."""
    return record_activity(
        organization=organization,
        actor=actor,
        kind=ActivityKind.CONFIG_CHANGED,
        summary=summary,
        data=data,
    )


def organization_settings_changed(organization, *, actor, changes: dict) -> Activity:
    summary = sentence(
        _("Configuración de la organización modificada: %(f)s"), f=", ".join(sorted(changes))
    )
    return config_changed(organization, actor=actor, summary=summary, changes=changes)


def member_added(membership, *, actor, role_label) -> Activity:
    """``role_label`` is the role's (lazy) choices label, shown translated."""
    username = membership.user.get_username()
    return config_changed(
        membership.organization,
        actor=actor,
        summary=sentence(_("Nuevo miembro %(u)s con rol %(r)s"), u=username, r=term(role_label)),
        member=username,
        role=[None, membership.role],
    )


def member_role_changed(membership, *, actor, old: str, old_label, new_label):
    """The labels are the roles' (lazy) choices labels, shown translated."""
    username = membership.user.get_username()
    return config_changed(
        membership.organization,
        actor=actor,
        summary=sentence(
            _("Rol de %(u)s cambiado de %(old)s a %(new)s"),
            u=username,
            old=term(old_label),
            new=term(new_label),
        ),
        member=username,
        role=[old, membership.role],
    )


def member_deactivated(membership, *, actor) -> Activity:
    username = membership.user.get_username()
    return config_changed(
        membership.organization,
        actor=actor,
        summary=sentence(_("Acceso de %(u)s desactivado"), u=username),
        member=username,
        is_active=[True, False],
    )


def portal_link_issued(customer, *, actor, hint: str, expires_at) -> Activity:
    return record_activity(
        organization=customer.organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.CONFIG_CHANGED,
        summary=sentence(_("Nuevo enlace al portal del cliente")),
        data={"hint": hint, "expires_at": expires_at.isoformat() if expires_at else None},
    )


def portal_link_revoked(customer, *, actor) -> Activity:
    return record_activity(
        organization=customer.organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.CONFIG_CHANGED,
        summary=sentence(_("Enlace al portal revocado")),
    )


# --- payment plans (convenios) --------------------------------------------------------------
def _plan_entry(plan, *, actor, summary, notify: str | None = None, **data) -> Activity:
    return record_activity(
        organization=plan.organization,
        customer=plan.customer,
        actor=actor,
        kind=ActivityKind.AGREEMENT,
        summary=summary,
        data={"plan_id": plan.pk, "status": plan.status, **data},
        notify=notify,
    )


def plan_created(plan, *, actor, invoices, count: int) -> Activity:
    """A convenio was agreed (by an agent, or accepted by the debtor in the portal)."""
    summary = sentence(
        _("Convenio %(number)s: %(total)s en %(count)s parcialidades (%(numbers)s)"),
        number=plan.number,
        total=Money(plan.total, plan.currency),
        count=count,
        numbers=_numbers(invoices),
    )
    if plan.over_limit:
        summary = sentence(
            _("%(summary)s: espera aprobación (%(why)s)"), summary=summary, why=plan.over_limit
        )
    notify = NotificationKind.AGREEMENT if actor == ActorKind.DEBTOR else None
    return _plan_entry(
        plan, actor=actor, summary=summary, notify=notify, source=plan.source, total=plan.total
    )


def plan_broken(plan, *, instalment_number: int, left) -> Activity:
    summary = sentence(
        _("Convenio %(number)s incumplido: la parcialidad %(n)s no se pagó (faltan %(left)s)"),
        number=plan.number,
        n=instalment_number,
        left=Money(left, plan.currency),
    )
    return _plan_entry(
        plan,
        actor=None,
        summary=summary,
        notify=NotificationKind.AGREEMENT,
        instalment=instalment_number,
        left=left,
    )


def plan_completed(plan) -> Activity:
    summary = sentence(_("Convenio %(number)s cumplido"), number=plan.number)
    return _plan_entry(plan, actor=None, summary=summary)


def plan_cancelled(plan, *, actor, reason: str) -> Activity:
    summary = sentence(
        _("Convenio %(number)s cancelado: %(reason)s"), number=plan.number, reason=reason
    )
    return _plan_entry(plan, actor=actor, summary=summary, reason=reason)


def plan_decided(plan, *, actor, approved: bool) -> Activity:
    text = _("Convenio %(number)s aprobado") if approved else _("Convenio %(number)s rechazado")
    summary = sentence(text, number=plan.number)
    return _plan_entry(plan, actor=actor, summary=summary, approved=approved)


# --- offers (negotiation) -------------------------------------------------------------------
def offer_made(offer, *, actor) -> Activity:
    summary = sentence(
        _("%(kind)s de %(amount)s sobre %(number)s"),
        kind=label(offer, "kind"),
        amount=Money(offer.amount, offer.currency),
        number=offer.invoice.number,
    )
    if offer.over_limit:
        summary = sentence(
            _("%(summary)s: espera aprobación (%(why)s)"), summary=summary, why=offer.over_limit
        )
    return record_activity(
        organization=offer.organization,
        customer=offer.customer,
        invoice=offer.invoice,
        actor=actor,
        kind=ActivityKind.AGREEMENT,
        summary=summary,
        data={
            "offer_id": offer.pk,
            "kind": offer.kind,
            "amount": offer.amount,
            "status": offer.status,
        },
    )


def offer_decided(offer, *, actor, approved: bool) -> Activity:
    text = (
        _("%(kind)s de %(amount)s aprobada") if approved else _("%(kind)s de %(amount)s rechazada")
    )
    summary = sentence(text, kind=label(offer, "kind"), amount=Money(offer.amount, offer.currency))
    return record_activity(
        organization=offer.organization,
        customer=offer.customer,
        invoice=offer.invoice,
        actor=actor,
        kind=ActivityKind.AGREEMENT,
        summary=summary,
        data={"offer_id": offer.pk, "approved": approved},
    )


# --- late interest ----------------------------------------------------------------------------
def interest_accrued(*, organization, day, rows: dict) -> int:
    """One entry per customer for a day's accrual (``rows``: customer id → its totals), in
    bulk: the daily job may touch thousands of customers and notifies nobody."""
    return record_activities(
        [
            new_activity(
                organization=organization,
                customer_id=customer_id,
                kind=ActivityKind.AGREEMENT,
                summary=sentence(
                    _("Intereses moratorios al %(date)s: %(amount)s en %(count)s facturas"),
                    date=day,
                    amount=Money(row["interest"], row["currency"]),
                    count=row["invoices"],
                ),
                data={"interest": row["interest"], "date": day.isoformat()},
            )
            for customer_id, row in rows.items()
        ]
    )


def stage_term(stage: str):
    """A stage's name, translated for each reader (a key no longer known stays as it is)."""
    return term(Stage(stage).label, lower=True) if stage in Stage.values else stage


def fee_charged(charge, *, amount) -> Activity:
    """A collection fee charged on an invoice as its own receivable."""
    return record_activity(
        organization=charge.organization,
        customer=charge.customer,
        invoice=charge.source,
        actor=None,
        kind=ActivityKind.AGREEMENT,
        summary=sentence(
            _("Gastos de cobranza de %(amount)s sobre %(number)s (etapa %(stage)s)"),
            amount=amount,
            number=charge.source.number,
            stage=stage_term(charge.stage),
        ),
        data={"charge_id": charge.pk, "stage": charge.stage, "amount": amount.amount},
    )


# --- cases (judicial and agency) -----------------------------------------------------------
def case_opened(case, *, actor, invoices) -> Activity:
    """Invoices handed to a law firm or a collection agency: dunning stops for them."""
    return record_activity(
        organization=case.organization,
        customer=case.customer,
        actor=actor,
        kind=ActivityKind.CASE,
        summary=sentence(
            _("Caso %(number)s abierto con %(assignee)s: facturas %(numbers)s"),
            number=case.number,
            assignee=case.assignee.name,
            numbers=_numbers(invoices),
        ),
        data={"case_id": case.pk, "state": case.state, "invoices": [i.pk for i in invoices]},
    )


def case_state_changed(case, *, actor, old: str, day, note: str) -> Activity:
    """A case moved to another state (sent, in court, settled, returned …) on ``day``."""
    summary = sentence(
        _("Caso %(number)s: %(state)s el %(date)s"),
        number=case.number,
        state=label(case, "state", lower=True),
        date=day,
    )
    return record_activity(
        organization=case.organization,
        customer=case.customer,
        actor=actor,
        kind=ActivityKind.CASE,
        summary=joined(summary, note),
        data={"case_id": case.pk, "old": old, "state": case.state, "date": day.isoformat()},
    )


def case_written_off(case, *, actor, amount, currency: str, day) -> Activity:
    """The organisation gave the case's balance up as lost (the ledger is not touched)."""
    return record_activity(
        organization=case.organization,
        customer=case.customer,
        actor=actor,
        kind=ActivityKind.CASE,
        summary=sentence(
            _("Caso %(number)s: saldo de %(amount)s dado por incobrable el %(date)s"),
            number=case.number,
            amount=Money(amount, currency),
            date=day,
        ),
        data={"case_id": case.pk, "written_off": str(amount), "currency": currency},
    )


def case_document_added(document, *, actor) -> Activity:
    case = document.case
    return record_activity(
        organization=case.organization,
        customer=case.customer,
        actor=actor,
        kind=ActivityKind.CASE,
        summary=sentence(
            _("Caso %(number)s: documento %(name)s"),
            number=case.number,
            name=document.original_name,
        ),
        data={"case_id": case.pk, "document_id": document.pk},
    )


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def dte_receipt_recorded(receipt, *, actor, case) -> Activity:
    """What the organisation recorded about a Chilean DTE's receipt, acceptance or claim
    by the buyer (the "mérito ejecutivo" evidence of the case dossier)."""
    invoice = receipt.invoice
    return record_activity(
        organization=invoice.organization,
        invoice=invoice,
        actor=actor,
        kind=ActivityKind.CASE,
        summary=sentence(
            _("Caso %(number)s: recepción y aceptación del DTE %(invoice)s registradas"),
            number=case.number,
            invoice=invoice.number,
        ),
        data={
            "case_id": case.pk,
            "received_on": _iso(receipt.received_on),
            "accepted_on": _iso(receipt.accepted_on),
            "claimed_on": _iso(receipt.claimed_on),
        },
    )


# --- documents the customer owes (customers.documents) -------------------------------------
# Entries of kind CUSTOMER_UPDATED (a kind of their own would need a timeline migration);
# ``data["document_event"]`` tells them apart.
def _document_entry(document, *, actor, summary, event: str, **data) -> Activity:
    return record_activity(
        organization=document.organization,
        customer=document.customer,
        actor=actor,
        kind=ActivityKind.CUSTOMER_UPDATED,
        summary=summary,
        data={
            "document_event": event,
            "document_id": document.pk,
            "document_kind": document.kind.code,
            "status": document.status,
            **data,
        },
    )


def document_requested(document, *, actor) -> Activity:
    return _document_entry(
        document,
        actor=actor,
        summary=sentence(_("Documento solicitado: %(kind)s"), kind=document.kind.name),
        event="requested",
    )


def document_uploaded(document, *, actor, upload) -> Activity:
    return _document_entry(
        document,
        actor=actor,
        summary=sentence(
            _("Documento recibido: %(kind)s (%(name)s)"),
            kind=document.kind.name,
            name=upload.original_name,
        ),
        event="uploaded",
        upload_id=upload.pk,
        valid_until=upload.valid_until.isoformat() if upload.valid_until else None,
    )


def document_accepted(document, *, actor) -> Activity:
    return _document_entry(
        document,
        actor=actor,
        summary=sentence(_("Documento aceptado: %(kind)s"), kind=document.kind.name),
        event="accepted",
    )


def document_rejected(document, *, actor, reason: str) -> Activity:
    return _document_entry(
        document,
        actor=actor,
        summary=sentence(
            _("Documento rechazado: %(kind)s · %(reason)s"),
            kind=document.kind.name,
            reason=reason,
        ),
        event="rejected",
        reason=reason,
    )


def documents_expired(documents, *, day) -> int:
    """One entry per document whose validity ran out (bulk: the daily job)."""
    return record_activities(
        [
            new_activity(
                organization=document.organization,
                customer=document.customer,
                actor=None,
                kind=ActivityKind.CUSTOMER_UPDATED,
                summary=sentence(
                    _("Documento vencido: %(kind)s (vigente hasta el %(date)s)"),
                    kind=document.kind.name,
                    date=document.valid_until or "",
                ),
                data={
                    "document_event": "expired",
                    "document_id": document.pk,
                    "document_kind": document.kind.code,
                    "status": document.status,
                    "day": day.isoformat(),
                },
            )
            for document in documents
        ]
    )


def documents_requested(documents) -> int:
    """One entry per document a rule (all customers, a segment) asked of a customer."""
    return record_activities(
        [
            new_activity(
                organization=document.organization,
                customer=document.customer,
                actor=None,
                kind=ActivityKind.CUSTOMER_UPDATED,
                summary=sentence(_("Documento solicitado: %(kind)s"), kind=document.kind.name),
                data={
                    "document_event": "requested",
                    "document_id": document.pk,
                    "document_kind": document.kind.code,
                    "status": document.status,
                },
            )
            for document in documents
        ]
    )


# --- credit bulletins (cartera/bulletins) ----------------------------------------------------


def bulletin_selected(*, organization, customer, actor, invoices) -> Activity:
    """Invoices selected for publication in a commercial credit bulletin."""
    return record_activity(
        organization=organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.CASE,
        summary=sentence(
            _("Seleccionadas para el boletín de crédito: facturas %(numbers)s"),
            numbers=_numbers(invoices),
        ),
        data={"bulletin": "selected", "invoices": [i.pk for i in invoices]},
    )


def bulletin_notice_queued(*, organization, customer, actor, invoices, message) -> Activity:
    """The legal notice before publication went into the outbox (by e-mail or letter)."""
    return record_activity(
        organization=organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.CASE,
        summary=sentence(
            _("Aviso previo a la publicación en el boletín de crédito: facturas %(numbers)s"),
            numbers=_numbers(invoices),
        ),
        data={
            "bulletin": "notice",
            "message_id": message.pk,
            "channel": message.channel,
            "invoices": [i.pk for i in invoices],
        },
    )


def bulletin_exported(*, organization, customer, actor, file, published, removed) -> Activity:
    """A bulletin file published (or removed after payment) some of the customer's invoices."""
    parts = []
    if published:
        parts.append(sentence(_("publicadas: facturas %(numbers)s"), numbers=_numbers(published)))
    if removed:
        parts.append(
            sentence(_("aclaradas tras el pago: facturas %(numbers)s"), numbers=_numbers(removed))
        )
    return record_activity(
        organization=organization,
        customer=customer,
        actor=actor,
        kind=ActivityKind.CASE,
        summary=joined(
            sentence(_("Boletín de crédito %(file)s"), file=file.filename), *parts, sep=": "
        ),
        data={
            "bulletin": "exported",
            "file_id": file.pk,
            "sha256": file.sha256,
            "published": [i.pk for i in published],
            "removed": [i.pk for i in removed],
        },
    )


def message_queued_by_hand(message, *, actor, kind_label, channel_label) -> Activity:
    """An agent queued a message by hand (“Enviar recordatorio”); the outbox sends it."""
    return record_activity(
        organization=message.organization,
        customer=message.customer,
        actor=actor,
        kind=ActivityKind.MESSAGE,
        summary=sentence(
            _("%(kind)s por %(channel)s enviado a mano: %(subject)s"),
            kind=term(kind_label),
            channel=term(channel_label),
            subject=message.subject or (message.body_text or "").strip()[:80],
        ),
        data={
            "message": message.key,
            "channel": message.channel,
            "to": list(message.to),
            "by_hand": True,
            "scheduled_for": message.scheduled_for.isoformat(),
        },
    )
