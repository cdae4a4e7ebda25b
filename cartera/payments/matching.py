"""Who paid what: candidates for one incoming bank movement, with their evidence.

The rules, strongest first (docs/bank.md, "Reconciliation"):

1. the customer's 12-digit payment reference (Luhn-checked, this organisation's) or its
   virtual CLABE, anywhere in the movement (score 100);
2. a "ya pagué" of that amount whose reference appears in the movement (95);
3. a CFDI UUID or an invoice number in the text, with an amount that fits (90–98);
4. the payer's RFC or name (normalised, rapidfuzz) plus an amount equal to an open
   invoice, to the oldest open invoices, or to the whole open balance (75–95);
5. the amount alone, when few customers owe exactly it (60: a suggestion only).

Scores are fixed per rule and evidence, so the same data always ranks the same way; a
movement is applied automatically only when its best candidate reaches the organisation's
threshold and beats the runner-up by the margin (two similar customers never auto-match).
``PortfolioIndex`` holds the open invoices of one currency in memory, so a statement of
10,000 lines costs a handful of queries; ``consume`` keeps it true as matches are applied.
"""

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy
from clabe import compute_control_digit
from django.db.models import Q
from rapidfuzz import fuzz, process

from cartera.customers.models import Customer
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice

from .choices import MatchRule, PaymentSource, PaymentStatus
from .instructions import is_valid_reference
from .models import Payment

_UUID = re.compile(r"[0-9A-F]{8}-?[0-9A-F]{4}-?[0-9A-F]{4}-?[0-9A-F]{4}-?[0-9A-F]{12}", re.I)
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
_DIGIT_RUNS = re.compile(r"\d+(?: \d+)*")
_RFC = re.compile(r"\b[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}\b")
_TOKEN = re.compile(r"[A-Z0-9]+(?:[-/.][A-Z0-9]+)*")
_LEGAL_SUFFIXES = re.compile(
    r"\b(S\.?\s?A\.?\s?P\.?\s?I\.?|S\.?\s?A\.?\s?B\.?|S\.?\s?A\.?|S\.?\s?DE\s?R\.?\s?L\.?|"
    r"S\.?\s?C\.?|S\.?\s?EN\s?C\.?|DE\s?C\.?\s?V\.?|C\.?\s?V\.?|SAS|LTDA|SPA|INC|LLC|CORP)(?=\s|$)"
)
_BOILERPLATE = set(
    "SPEI PAGO PAGOS TRANSF TRANSFERENCIA TRASPASO DEPOSITO ABONO RECIBIDO RECIBIDA ENVIADO DE DEL LA"
    " EL LOS LAS Y FACT FACTURA FACTURAS REF REFERENCIA CONCEPTO CTA CUENTA BANCO ORDENANTE SA CV RL".split()
)
# BANK: a transfer STP notified (a bank payment the matcher made has its reconciliation)
RECORDED_SOURCES = (
    PaymentSource.MANUAL,
    PaymentSource.IMPORT,
    PaymentSource.CFDI,
    PaymentSource.API,
    PaymentSource.BANK,
)
MAX_PREFIX_INVOICES = 12  # oldest-first sums tried per customer
PAYER_LIMIT = 5  # customers a payer name may be, best first
PAYER_KEPT = 16  # names kept per primed payer: the limit after RFC-matched ones are left out


@dataclass(frozen=True)
class Evidence:
    code: str  # reference, clabe, uuid, invoice, rfc, name, amount_exact, amount_sum,
    # amount_total, partial, overpayment, reported, days_from_due
    value: str = ""

    def as_dict(self) -> dict:
        return {"code": self.code, "value": self.value}


@dataclass(frozen=True)
class Candidate:
    customer_id: int
    rule: str
    score: int
    invoice_ids: tuple[int, ...] = ()  # in the order to apply; () = oldest open first
    evidence: tuple[Evidence, ...] = ()
    known_payment_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "customer": self.customer_id,
            "rule": self.rule,
            "score": self.score,
            "invoices": list(self.invoice_ids),
            "evidence": [e.as_dict() for e in self.evidence],
            "known_payment": self.known_payment_id,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Candidate":
        return cls(
            customer_id=int(data["customer"]),
            rule=str(data["rule"]),
            score=int(data["score"]),
            invoice_ids=tuple(int(i) for i in data.get("invoices") or ()),
            evidence=tuple(
                Evidence(str(e["code"]), str(e.get("value", "")))
                for e in data.get("evidence") or ()
            ),
            known_payment_id=data.get("known_payment"),
        )


@dataclass
class OpenInvoice:
    pk: int
    customer_id: int
    number: str
    fiscal_uuid: str
    balance: Decimal
    due_date: object
    issue_date: object


@dataclass
class Policy:
    threshold: int = 90
    margin: int = 5
    name_cutoff: int = 80
    date_window_days: int = 10


def normalise_name(text: str) -> str:
    """Upper case, no accents (NFKD, not a transliteration library: GPL), no legal
    suffixes, bank boilerplate or tokens with digits (folios, amounts, accounts)."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().upper()
    text = _LEGAL_SUFFIXES.sub(" ", text.replace(",", " "))
    words = re.findall(r"[A-Z0-9&]+", text)
    return " ".join(w for w in words if w not in _BOILERPLATE and not any(c.isdigit() for c in w))


def normalise_number(number: str) -> str:
    return _NOT_ALNUM.sub("", (number or "").upper())


def _text_of(movement) -> str:
    return " ".join(
        part
        for part in (
            movement.description,
            movement.reference,
            movement.tracking_key,
            movement.beneficiary_account,
        )
        if part
    ).upper()


def _known_payments(organization, currency: str, since):
    """Reported payments, and confirmed ones entered by a person, an import or the API
    (not from the bank or a card provider) that no movement confirms yet."""
    rows = Payment.objects.filter(organization=organization, currency=currency).filter(
        Q(status=PaymentStatus.REPORTED)
        | Q(status=PaymentStatus.CONFIRMED, source__in=RECORDED_SOURCES)
    )
    if since is not None:
        rows = rows.filter(date__gte=since)
    rows = rows.exclude(reconciliations__status="applied")
    return rows.values_list("pk", "customer_id", "amount", "date", "reference", "status")


@dataclass
class PortfolioIndex:
    organization_id: int
    currency: str
    clabe_prefix: str = ""
    invoices: dict[int, OpenInvoice] = field(default_factory=dict)
    by_customer: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_number: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_uuid: dict[str, int] = field(default_factory=dict)
    by_rfc: dict[str, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    customers: set[int] = field(default_factory=set)
    by_amount: dict[Decimal, set[int]] = field(default_factory=lambda: defaultdict(set))
    # payments this movement may be the money of: "ya pagué" (reported) and confirmed ones
    # recorded by hand or imported before the statement came, not yet tied to a movement
    known: dict[int, list[tuple[int, Decimal, object, str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    known_by_amount: dict[Decimal, list] = field(default_factory=lambda: defaultdict(list))
    known_keys: dict[int, tuple[int, Decimal]] = field(default_factory=dict)
    _amount_keys: dict[int, set[Decimal]] = field(default_factory=lambda: defaultdict(set))
    _named: dict[int, str] | None = None
    _payers: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    def name_choices(self, *, excluded) -> dict[int, str]:
        """The customers with a name, in ``names`` order, for the fuzzy payer search:
        built once per index (10,000 names per movement cost more than the search)."""
        if self._named is None:
            self._named = {pk: name for pk, name in self.names.items() if name}
        if not excluded:
            return self._named
        return {pk: name for pk, name in self._named.items() if pk not in excluded}

    def prime_payers(self, payers, *, cutoff: int) -> None:
        """Score many payer names against every customer name at once, on every core
        (``process.cdist``): one search per name costs ~5 ms over 10,000 names, and a
        statement has thousands. The result is the same as ``payer_names`` would find."""
        todo = sorted({payer for payer in payers if payer and payer not in self._payers})
        named = self.name_choices(excluded=())
        if not todo or not named or cutoff <= 0:  # with no cutoff a 0 would be a score
            return
        keys, names = list(named), list(named.values())
        matrix = process.cdist(
            todo, names, scorer=fuzz.token_set_ratio, score_cutoff=cutoff, workers=-1
        )
        for payer, row in zip(todo, matrix, strict=True):
            hits = numpy.flatnonzero(row)
            best = hits[numpy.lexsort((hits, -row[hits]))][: 2 * PAYER_KEPT]
            # cdist's scores are float32: rescore the few kept in full precision
            rescored = [(keys[j], fuzz.token_set_ratio(payer, names[j]), j) for j in best]
            rescored = [item for item in rescored if item[1] >= cutoff]
            rescored.sort(key=lambda item: (-item[1], item[2]))
            self._payers[payer] = [(pk, score) for pk, score, _j in rescored[:PAYER_KEPT]]

    def payer_names(self, payer: str, *, excluded, cutoff: int) -> list[tuple[int, float]]:
        """The customers whose name is like ``payer`` (at least ``cutoff``), best first
        and, on equal scores, in ``names`` order; ``excluded`` customers left out."""
        primed = self._payers.get(payer)
        if primed is not None:
            kept = [(pk, score) for pk, score in primed if pk not in excluded]
            if len(kept) >= PAYER_LIMIT or len(primed) < PAYER_KEPT:
                return kept[:PAYER_LIMIT]
        choices = self.name_choices(excluded=excluded)
        found = process.extract(
            payer, choices, scorer=fuzz.token_set_ratio, score_cutoff=cutoff, limit=PAYER_LIMIT
        )
        return [(pk, score) for _name, score, pk in found]

    @classmethod
    def build(
        cls, *, organization, currency: str, clabe_prefix: str = "", since=None
    ) -> "PortfolioIndex":
        index = cls(organization_id=organization.pk, currency=currency, clabe_prefix=clabe_prefix)
        rows = (
            Invoice.objects.filter(
                organization=organization,
                currency=currency,
                status=InvoiceStatus.OPEN,
                balance__gt=0,
            )
            .order_by("due_date", "issue_date", "id")
            .values_list(
                "pk", "customer_id", "number", "fiscal_uuid", "balance", "due_date", "issue_date"
            )
        )
        for row in rows.iterator(chunk_size=5000):
            index._add_invoice(OpenInvoice(*row))
        for pk, name, legal_name, tax_id in Customer.objects.filter(
            organization=organization
        ).values_list("pk", "name", "legal_name", "tax_id"):
            index.customers.add(pk)
            index.names[pk] = normalise_name(f"{legal_name} {name}" if legal_name else name)
            if tax_id:
                index.by_rfc[tax_id.strip().upper()] = pk
        for pk, customer_id, amount, date, reference, status in _known_payments(
            organization, currency, since
        ):
            index.known[customer_id].append((pk, amount, date, reference, status))
            index.known_by_amount[amount].append((customer_id, pk, date, reference, status))
            index.known_keys[pk] = (customer_id, amount)
        for customer_id in index.by_customer:
            index._index_amounts(customer_id)
        return index

    def _add_invoice(self, invoice: OpenInvoice) -> None:
        self.invoices[invoice.pk] = invoice
        self.by_customer[invoice.customer_id].append(invoice.pk)
        number = normalise_number(invoice.number)
        if len(number) >= 3:
            self.by_number[number].append(invoice.pk)
        if invoice.fiscal_uuid:
            self.by_uuid[invoice.fiscal_uuid.replace("-", "").upper()] = invoice.pk

    def open_of(self, customer_id: int) -> list[OpenInvoice]:
        return [
            self.invoices[pk]
            for pk in self.by_customer.get(customer_id, ())
            if self.invoices[pk].balance > 0
        ]

    def _index_amounts(self, customer_id: int) -> None:
        for key in self._amount_keys.pop(customer_id, set()):
            self.by_amount[key].discard(customer_id)
        keys, running = set(), Decimal(0)
        invoices = self.open_of(customer_id)
        for position, invoice in enumerate(invoices):
            keys.add(invoice.balance)
            running += invoice.balance
            if position < MAX_PREFIX_INVOICES:
                keys.add(running)
        if invoices:
            keys.add(running)
        for key in keys:
            self.by_amount[key].add(customer_id)
        self._amount_keys[customer_id] = keys

    def consume(self, applied: list[tuple[int, Decimal]], *, known_payment_id=None) -> None:
        """Keep the index true after a match: lower balances, drop a confirmed report."""
        touched = set()
        for invoice_id, amount in applied:
            invoice = self.invoices.get(invoice_id)
            if invoice is not None:
                invoice.balance -= amount
                touched.add(invoice.customer_id)
        for customer_id in touched:
            self._index_amounts(customer_id)
        if known_payment_id is not None:
            customer_id, amount = self.known_keys.pop(known_payment_id, (None, None))
            self.known[customer_id] = [
                p for p in self.known.get(customer_id, ()) if p[0] != known_payment_id
            ]
            self.known_by_amount[amount] = [
                p for p in self.known_by_amount.get(amount, ()) if p[1] != known_payment_id
            ]

    # --- the amount that fits ----------------------------------------------------------
    def fit(self, customer_id: int, amount: Decimal, named=None, issued_by=None):
        """(invoice ids, evidence code) when ``amount`` pays exactly one open invoice, the
        oldest ones or everything (or the ``named`` ones); else None. ``issued_by``: only
        invoices issued by then (nobody pays an invoice long before it exists)."""
        invoices = named if named is not None else self.open_of(customer_id)
        if issued_by is not None:
            invoices = [i for i in invoices if i.issue_date <= issued_by]
        for invoice in invoices:
            if invoice.balance == amount:
                return (invoice.pk,), "amount_exact"
        running, ids = Decimal(0), []
        for invoice in invoices:
            running += invoice.balance
            ids.append(invoice.pk)
            if running == amount and len(ids) > 1:
                return tuple(ids), "amount_sum"
            if running > amount:
                break
        return None

    # --- allocation plan -----------------------------------------------------------------
    def plan(self, candidate: Candidate, amount: Decimal) -> list[tuple[int, Decimal]]:
        """How ``amount`` would be applied: the candidate's invoices in order, else oldest
        first; whatever is left stays as the customer's credit."""
        ids = candidate.invoice_ids or tuple(i.pk for i in self.open_of(candidate.customer_id))
        left, applied = amount, []
        for pk in ids:
            invoice = self.invoices.get(pk)
            if invoice is None or invoice.balance <= 0 or left <= 0:
                continue
            take = min(left, invoice.balance)
            applied.append((pk, take))
            left -= take
        return applied


# --- the rules ---------------------------------------------------------------------------
def _customer_from_reference(digits: str, index: PortfolioIndex) -> int | None:
    if (
        len(digits) == 12
        and is_valid_reference(digits)
        and digits[:4] == f"{index.organization_id:04d}"
    ):
        customer_id = int(digits[4:11])
        if customer_id in index.customers:
            return customer_id
    return None


def _customer_from_clabe(digits: str, index: PortfolioIndex) -> int | None:
    prefix = index.clabe_prefix
    if len(digits) != 18 or not prefix or not digits.startswith(prefix):
        return None
    if compute_control_digit(digits[:17]) != digits[17]:
        return None
    customer_id = int(digits[len(prefix) : 17])
    return customer_id if customer_id in index.customers else None


def _digit_groups(text: str) -> set[str]:
    """Every run of digits, and every concatenation of neighbouring digit groups
    separated by single spaces ("0001 0000042 7"), as banks print references grouped."""
    found = set()
    for run in _DIGIT_RUNS.findall(text):
        groups = run.split()
        for start in range(len(groups)):
            joined = ""
            for group in groups[start:]:
                joined += group
                if len(joined) > 18:
                    break
                found.add(joined)
    return found


def _identified(movement, index: PortfolioIndex, text: str) -> list[Candidate]:
    found = []
    for run in sorted(_digit_groups(text)):
        customer_id = _customer_from_reference(run, index)
        if customer_id is not None:
            found.append((customer_id, MatchRule.REFERENCE, Evidence("reference", run)))
        customer_id = _customer_from_clabe(run, index)
        if customer_id is not None:
            found.append((customer_id, MatchRule.CLABE, Evidence("clabe", run)))
    candidates = {}
    for customer_id, rule, evidence in found:
        named = _named_invoices(text, index, customer_id)
        ids = tuple(i.pk for i in named) if named else ()
        candidates.setdefault(
            customer_id,
            Candidate(
                customer_id,
                rule,
                100,
                ids,
                (evidence,) + _amount_evidence(index, customer_id, movement.amount),
            ),
        )
    return list(candidates.values())


def _amount_evidence(index, customer_id, amount, named=None) -> tuple[Evidence, ...]:
    fit = index.fit(customer_id, amount, named)
    if fit:
        return (Evidence(fit[1], str(amount)),)
    owed = sum(
        (i.balance for i in (named if named is not None else index.open_of(customer_id))),
        Decimal(0),
    )
    if amount < owed:
        return (Evidence("partial", str(owed)),)
    return (Evidence("overpayment", str(amount - owed)),)


def _named_invoices(text: str, index: PortfolioIndex, customer_id: int | None = None):
    ids: list[int] = []
    for match in _UUID.findall(text):
        pk = index.by_uuid.get(match.replace("-", "").upper())
        if pk is not None and pk not in ids:
            ids.append(pk)
    tokens = _TOKEN.findall(text)
    words = [normalise_number(t) for t in tokens]
    pairs = [a + b for a, b in zip(words, words[1:], strict=False)]  # "A 1023" → "A1023"
    for word in words + pairs:
        for pk in index.by_number.get(word, ()):
            if pk not in ids:
                ids.append(pk)
    invoices = [index.invoices[pk] for pk in ids if index.invoices[pk].balance > 0]
    if customer_id is not None:
        invoices = [i for i in invoices if i.customer_id == customer_id]
    return sorted(invoices, key=lambda i: (i.due_date, i.issue_date, i.pk))


def _by_invoice(movement, index: PortfolioIndex, text: str) -> list[Candidate]:
    named = _named_invoices(text, index)
    by_customer: dict[int, list[OpenInvoice]] = defaultdict(list)
    for invoice in named:
        by_customer[invoice.customer_id].append(invoice)
    uuids = {m.replace("-", "").upper() for m in _UUID.findall(text)}
    candidates = []
    for customer_id, invoices in by_customer.items():
        by_uuid = any(
            i.fiscal_uuid.replace("-", "").upper() in uuids for i in invoices if i.fiscal_uuid
        )
        rule = MatchRule.UUID if by_uuid else MatchRule.INVOICE
        found = tuple(Evidence("uuid" if by_uuid else "invoice", i.number) for i in invoices)
        amount_evidence = _amount_evidence(index, customer_id, movement.amount, invoices)
        fit = index.fit(customer_id, movement.amount, invoices)
        if fit:
            score, ids = 95, fit[0]
        elif amount_evidence[0].code == "partial":
            score, ids = 90, tuple(i.pk for i in invoices)
        else:
            score, ids = 80, tuple(i.pk for i in invoices)
        candidates.append(
            Candidate(
                customer_id, rule, score + (3 if by_uuid else 0), ids, found + amount_evidence
            )
        )
    return candidates


def _payer_scores(
    movement, index: PortfolioIndex, policy: Policy, text: str
) -> dict[int, tuple[int, Evidence]]:
    """Customers the payer may be: exact RFC 100, else the fuzzy name score."""
    scores: dict[int, tuple[int, Evidence]] = {}
    for rfc in {movement.counterparty_rfc.upper(), *_RFC.findall(text)} - {""}:
        customer_id = index.by_rfc.get(rfc)
        if customer_id is not None:
            scores[customer_id] = (100, Evidence("rfc", rfc))
    payer = payer_name(movement)
    if payer:
        for pk, score in index.payer_names(payer, excluded=scores, cutoff=policy.name_cutoff):
            scores[pk] = (int(score), Evidence("name", f"{index.names[pk]} ({int(score)})"))
    return scores


def payer_name(movement) -> str:
    return normalise_name(movement.counterparty_name or movement.description)


def payers_to_prime(movements, index: PortfolioIndex, policy: Policy) -> list[str]:
    """The payer names of the movements that will need the payer rule as the index stands
    now (matches applied meanwhile may change a few: a wrong guess only costs time,
    ``payer_names`` searches what was not primed)."""
    return [payer_name(m) for m in movements if _needs_payer_search(m, index, policy)]


def prime_payer_search(movements, index: PortfolioIndex, policy: Policy) -> None:
    """Score at once the payer names of ``movements`` (``payers_to_prime``)."""
    index.prime_payers(payers_to_prime(movements, index, policy), cutoff=policy.name_cutoff)


def _issued_by(movement, policy: Policy):
    return movement.booking_date + dt.timedelta(days=policy.date_window_days)


def _payer_score(by_rfc: bool, name_score: int, fits: bool, policy: Policy) -> int:
    """RFC + amount 95; a name at the cutoff + amount 90, at 100 → 94 (below a reference,
    and two similar names stay within the ambiguity margin); without the amount, 70/60."""
    if by_rfc:
        return 95 if fits else 70
    if not fits:
        return 60
    span = max(1, 100 - policy.name_cutoff)
    return 90 + (name_score - policy.name_cutoff) * 4 // span


def _by_payer(movement, index, policy, text) -> list[Candidate]:
    amount = movement.amount
    candidates = []
    for customer_id, (payer_score, evidence) in _payer_scores(
        movement, index, policy, text
    ).items():
        if not index.open_of(customer_id):
            continue
        fit = index.fit(customer_id, amount, issued_by=_issued_by(movement, policy))
        score = _payer_score(evidence.code == "rfc", payer_score, bool(fit), policy)
        ids = fit[0] if fit else ()
        candidates.append(
            Candidate(
                customer_id,
                MatchRule.PAYER,
                score,
                ids,
                (evidence,) + _amount_evidence(index, customer_id, amount),
            )
        )
    return candidates


def _by_amount(movement, index: PortfolioIndex, policy: Policy) -> list[Candidate]:
    owing = index.by_amount.get(movement.amount, set())
    if not 0 < len(owing) <= 3:
        return []
    candidates = []
    for customer_id in sorted(owing):
        fit = index.fit(customer_id, movement.amount, issued_by=_issued_by(movement, policy))
        if fit:
            evidence = (Evidence(fit[1], str(movement.amount)),)
            candidates.append(Candidate(customer_id, MatchRule.AMOUNT, 60, fit[0], evidence))
    return candidates


def _with_known_payment(
    candidate: Candidate, movement, index: PortfolioIndex, policy: Policy
) -> Candidate:
    """A "ya pagué" or a payment already recorded for this customer, of this amount,
    within the date window, is what the movement confirms: applying it confirms (or ties)
    that payment rather than adding a second one."""
    if candidate.known_payment_id is not None:
        return candidate
    for pk, amount, date, _reference, status in index.known.get(candidate.customer_id, ()):
        close = abs((movement.booking_date - date).days) <= policy.date_window_days
        if amount == movement.amount and close:
            code = "reported" if status == PaymentStatus.REPORTED else "recorded"
            evidence = candidate.evidence + (Evidence(code, date.isoformat()),)
            return Candidate(
                candidate.customer_id,
                candidate.rule,
                candidate.score,
                candidate.invoice_ids,
                evidence,
                pk,
            )
    return candidate


def _known_by_reference(
    movement, index: PortfolioIndex, policy: Policy, text: str
) -> list[Candidate]:
    """A known payment of exactly this amount whose own reference is in the movement."""
    found = []
    for customer_id, pk, date, reference, status in index.known_by_amount.get(movement.amount, ()):
        if (
            len(reference) >= 6
            and reference.upper() in text
            and abs((movement.booking_date - date).days) <= policy.date_window_days
        ):
            reported = status == PaymentStatus.REPORTED
            rule = MatchRule.REPORTED if reported else MatchRule.RECORDED
            evidence = (Evidence("reported" if reported else "recorded", reference),)
            found.append(Candidate(customer_id, rule, 95, (), evidence, pk))
    return found


def _days_from_due(candidate: Candidate, movement, index: PortfolioIndex) -> Candidate:
    first = next((index.invoices[i] for i in candidate.invoice_ids if i in index.invoices), None)
    if first is None:
        open_ = index.open_of(candidate.customer_id)
        first = open_[0] if open_ else None
    if first is None:
        return candidate
    days = (movement.booking_date - first.due_date).days
    return Candidate(
        candidate.customer_id,
        candidate.rule,
        candidate.score,
        candidate.invoice_ids,
        candidate.evidence + (Evidence("days_from_due", f"{days:+d}"),),
        candidate.known_payment_id,
    )


def _named_by_the_movement(movement, index, policy, text) -> list[Candidate]:
    """The candidates the movement names itself: reference, CLABE, known payment, invoice."""
    found = _identified(movement, index, text)
    found += _known_by_reference(movement, index, policy, text)
    found += _by_invoice(movement, index, text)
    return found


def _needs_payer_search(movement, index, policy) -> bool:
    if movement.amount <= 0 or movement.currency != index.currency:
        return False
    found = _named_by_the_movement(movement, index, policy, _text_of(movement))
    return not any(c.score >= 95 for c in found)


def candidates_for(movement, index: PortfolioIndex, policy: Policy) -> list[Candidate]:
    """Every customer the movement may be from, best first, one candidate per customer."""
    if movement.amount <= 0 or movement.currency != index.currency:
        return []
    text = _text_of(movement)
    found = _named_by_the_movement(movement, index, policy, text)
    if not any(c.score >= 95 for c in found):
        found += _by_payer(movement, index, policy, text)
    if not found:
        found += _by_amount(movement, index, policy)
    best: dict[int, Candidate] = {}
    for candidate in found:
        candidate = _with_known_payment(candidate, movement, index, policy)
        kept = best.get(candidate.customer_id)
        if kept is None or candidate.score > kept.score:
            best[candidate.customer_id] = candidate
    ranked = sorted(best.values(), key=lambda c: (-c.score, c.customer_id))
    return [_days_from_due(c, movement, index) for c in ranked[:5]]


def automatic_choice(candidates: list[Candidate], policy: Policy) -> Candidate | None:
    """The candidate to apply without a person, or None (too weak, or too close to the
    runner-up: ambiguity never auto-applies)."""
    if not candidates or candidates[0].score < policy.threshold:
        return None
    if len(candidates) > 1 and candidates[0].score - candidates[1].score < policy.margin:
        return None
    return candidates[0]
