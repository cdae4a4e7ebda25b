"""Incoming SPEI transfers notified by STP ("SendAbono") to the customers' virtual CLABEs.

STP posts one JSON notification per transfer credited to a CLABE of the organisation's
STP account and expects ``{"mensaje": "confirmar"}`` (we keep the money) or HTTP 400
with ``{"mensaje": "devolver", "id": <causa>}`` (STP sends it back). The field list and
the answer convention come from open-source receivers; STP's own reference
(stpmex.zendesk.com) could not be reached when this was written.

A transfer to a customer's virtual CLABE (``instructions.virtual_clabe``) becomes a
confirmed bank payment applied oldest-first, exactly once per ``claveRastreo``: the
notification is stored as a ``ProviderEvent`` whose unique key is the organisation and
the tracking key, so a retry — even one racing the first delivery — finds the stored
answer instead of paying twice. Authentication (IP allow-list and token) is the
webhook view's job, before this is called.
"""

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from clabe import validate_clabe
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cartera.customers.models import Customer
from cartera.lib.money import Money
from cartera.timeline import events

from .bank import reconcile_statement_on_commit, store_statement
from .choices import EventOutcome, PaymentMethod, PaymentSource, UnknownClabePolicy
from .complements import create_obligation
from .instructions import virtual_clabe
from .models import BankAccount, ProviderEvent
from .services import allocate_oldest_first, create_payment
from .statements import ParsedMovement, ParsedStatement

PROVIDER = "stp"
STP_ACCOUNT = "STP"  # the bank account whose movements unknown-CLABE transfers become
CURRENCY = "MXN"  # SPEI moves pesos only
# Return causes of the SPEI catalogue (as used by STP receivers): 1 "cuenta
# inexistente", 14 "falta información mandatoria para completar el pago".
NO_SUCH_ACCOUNT = 1
MISSING_DATA = 14
REQUIRED = ("claveRastreo", "monto", "cuentaBeneficiario", "empresa", "fechaOperacion")


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    outcome: str = ""


CONFIRM = Answer(200, {"mensaje": "confirmar"})


def give_back(cause: int) -> Answer:
    return Answer(400, {"mensaje": "devolver", "id": cause})


class BadAbono(ValueError):
    """A notification without the fields a transfer needs."""


@dataclass(frozen=True)
class Abono:
    tracking_key: str
    amount: Decimal
    account: str
    company: str
    date: dt.date
    sender: str
    raw: dict


def parse_abono(body: bytes) -> Abono:
    try:
        raw = json.loads(body, parse_float=Decimal)
    except ValueError as exc:
        raise BadAbono("not JSON") from exc
    if not isinstance(raw, dict) or any(raw.get(key) in (None, "") for key in REQUIRED):
        raise BadAbono("missing fields")
    try:
        amount = Decimal(str(raw["monto"]))
        day = dt.datetime.strptime(str(raw["fechaOperacion"]), "%Y%m%d").date()
    except (InvalidOperation, ValueError) as exc:
        raise BadAbono(f"bad monto or fechaOperacion: {exc}") from exc
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise BadAbono("monto must be positive pesos with at most two decimals")
    key = str(raw["claveRastreo"]).strip()
    if not key or len(key) > 50:
        raise BadAbono("claveRastreo")
    sender = " ".join(str(raw.get(k) or "") for k in ("nombreOrdenante", "cuentaOrdenante"))
    return Abono(
        tracking_key=key,
        amount=amount,
        account=str(raw["cuentaBeneficiario"]).strip(),
        company=str(raw["empresa"]).strip(),
        date=day,
        sender=sender.strip(),
        raw=json.loads(json.dumps(raw, default=str)),
    )


def customer_for_clabe(organization, *, prefix: str, account: str) -> Customer | None:
    """The organisation's customer whose virtual CLABE is ``account``, or None."""
    prefix = (prefix or "").strip()
    if not prefix or not account.startswith(prefix) or not validate_clabe(account):
        return None
    body = account[len(prefix) : 17]
    if not body.isdigit():
        return None
    customer_id = int(body)
    if virtual_clabe(prefix=prefix, customer_id=customer_id) != account:
        return None
    return Customer.objects.filter(organization=organization, pk=customer_id).first()


def receive_abono(
    *, organization, body: bytes, company: str, prefix: str, unknown_policy: str
) -> Answer:
    """Answer one authenticated SendAbono notification, applying it at most once."""
    try:
        abono = parse_abono(body)
    except BadAbono:
        return give_back(MISSING_DATA)
    if abono.company != company:
        return give_back(NO_SUCH_ACCOUNT)  # not for our STP account: nothing stored
    event_id = f"{organization.pk}:{abono.tracking_key}"
    try:
        with transaction.atomic():
            stored = ProviderEvent.objects.create(
                provider=PROVIDER,
                event_id=event_id,
                kind="abono",
                organization=organization,
                payload=abono.raw,
            )
            answer, problem = _apply(organization, abono, prefix, unknown_policy)
            ProviderEvent.objects.filter(pk=stored.pk).update(
                outcome=answer.outcome, problem=problem[:300]
            )
            return answer
    except IntegrityError:
        prior = ProviderEvent.objects.filter(provider=PROVIDER, event_id=event_id).first()
        if prior is None:
            raise
        return give_back(NO_SUCH_ACCOUNT) if prior.outcome == EventOutcome.RETURNED else CONFIRM


def _apply(organization, abono: Abono, prefix: str, unknown_policy: str) -> tuple[Answer, str]:
    customer = customer_for_clabe(organization, prefix=prefix, account=abono.account)
    if customer is None and unknown_policy == UnknownClabePolicy.REVIEW:
        events.spei_transfer_unmatched(
            organization=organization,
            amount=Money(abono.amount, CURRENCY),
            account=abono.account,
            tracking_key=abono.tracking_key,
        )
        _keep_for_review(organization, abono)
        return Answer(200, CONFIRM.body, EventOutcome.REJECTED), _("para revisión")
    if customer is None:
        return Answer(400, give_back(NO_SUCH_ACCOUNT).body, EventOutcome.RETURNED), _(
            "CLABE sin cliente: devuelta"
        )
    try:
        with transaction.atomic():
            _record(customer, abono)
    except ValidationError as exc:
        # e.g. a payment with key stp:<claveRastreo> was already entered by hand: the money
        # is ours and recorded once; people decide (the event keeps why).
        return Answer(200, CONFIRM.body, EventOutcome.REJECTED), " ".join(exc.messages)
    return Answer(200, CONFIRM.body, EventOutcome.RECORDED), ""


def _keep_for_review(organization, abono: Abono) -> None:
    """The transfer becomes a movement of the organisation's STP account, so it waits in
    the reconciliation review (docs/bank.md) where a person assigns it; the matcher tries
    the other rules (reference or payer in the concept) after commit."""
    account, _created = BankAccount.objects.get_or_create(
        organization=organization, name=STP_ACCOUNT, defaults={"currency": CURRENCY}
    )
    raw = abono.raw
    rfc = str(raw.get("rfcCurpOrdenante") or "").strip()
    movement = ParsedMovement(
        booking_date=abono.date,
        amount=abono.amount,
        currency=CURRENCY,
        bank_reference=abono.tracking_key,
        description=str(raw.get("conceptoPago") or ""),
        reference=str(raw.get("referenciaNumerica") or ""),
        counterparty_name=str(raw.get("nombreOrdenante") or ""),
        counterparty_account=str(raw.get("cuentaOrdenante") or ""),
        counterparty_rfc="" if rfc.upper() == "ND" else rfc,
        beneficiary_account=abono.account,
        tracking_key=abono.tracking_key,
    )
    statement = store_statement(
        account=account,
        parsed=ParsedStatement(format="stp", movements=[movement]),
        filename="",
        content=json.dumps(raw, sort_keys=True).encode(),
        actor=None,
    )
    reconcile_statement_on_commit(statement)


def _record(customer, abono: Abono) -> None:
    payment = create_payment(
        customer=customer,
        actor=None,
        date=abono.date,
        amount=abono.amount,
        currency=CURRENCY,
        method=PaymentMethod.TRANSFER,
        reference=abono.tracking_key[:120],
        external_id=f"stp:{abono.tracking_key}"[:64],
        source=PaymentSource.BANK,
        notes=str(abono.raw.get("conceptoPago") or "")[:500],
    )
    allocate_oldest_first(payment=payment, actor=None)
    create_obligation(payment=payment)
    events.spei_transfer_received(
        payment, sender=abono.sender or "-", tracking_key=abono.tracking_key
    )
