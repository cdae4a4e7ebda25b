"""The group view (docs/groups.md): one debtor across the organisations a user belongs to.

Customers are one group when they share a tax id (the normalised RFC/RUT/CUIT of
``Customer.tax_id``) or a declared "grupo empresarial" (``Customer.business_group_key``),
transitively. Everything here starts from the user's active memberships that may view the
back office and, in each, from ``customers_visible_to`` (so a restricted agent sees only
their own customers, exactly as on that organisation's pages): an organisation the user
does not belong to is never queried, so nothing of it can show — not even a count.

A group is named in URLs by a key: ``g-<declared key>`` when a member declares a group
(lowercase, so it never equals a normalised, upper-case tax id), else the tax id.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q

from cartera.customers.models import Customer, GroupCreditLimit
from cartera.customers.selectors import customers_visible_to
from cartera.followup.choices import PromiseStatus
from cartera.followup.models import PromiseToPay
from cartera.invoices.choices import DisputeStatus
from cartera.invoices.models import Dispute
from cartera.lib.dates import local_today
from cartera.orgs.access import Action, active_memberships, can

from .aging import aging, buckets
from .asof import ZERO
from .models import DEFAULT_AGING_LIMITS

GROUP_PREFIX = "g-"


def viewing_memberships(user) -> list:
    """The user's active memberships whose role may see customers (not collaborators)."""
    return [m for m in active_memberships(user) if can(m, Action.VIEW)]


def _visible_customers(memberships):
    """One queryset: the union of what each membership may see."""
    querysets = [customers_visible_to(m) for m in memberships]
    if not querysets:
        return Customer.objects.none()
    combined = querysets[0]
    for queryset in querysets[1:]:
        combined = combined | queryset
    return combined


def _groupable_tax_id(tax_id: str) -> bool:
    return bool(tax_id) and "/" not in tax_id  # a key must fit in one URL segment


def keys_of(customer) -> set[str]:
    """The keys that tie ``customer`` to others: its tax id and its declared group."""
    keys = set()
    if _groupable_tax_id(customer.tax_id):
        keys.add(customer.tax_id)
    if customer.business_group_key:
        keys.add(GROUP_PREFIX + customer.business_group_key)
    return keys


def canonical_key(customers) -> str:
    """The key a group's page is linked by: its first declared group, else its first tax id."""
    keys = set().union(*(keys_of(c) for c in customers))
    declared = sorted(k for k in keys if k.startswith(GROUP_PREFIX))
    return (declared or sorted(keys))[0]


def group_name(customers) -> str:
    """The first declared group name, else the first customer's legal (or trade) name."""
    declared = sorted({c.business_group for c in customers if c.business_group})
    return declared[0] if declared else customers[0].legal_name or customers[0].name


def _matching(visible, keys: set[str]):
    tax_ids = [k for k in keys if not k.startswith(GROUP_PREFIX)]
    declared = [k.removeprefix(GROUP_PREFIX) for k in keys if k.startswith(GROUP_PREFIX)]
    matching = visible.filter(Q(tax_id__in=tax_ids) | Q(business_group_key__in=declared))
    return matching.select_related("organization")


def group_customers(memberships, key: str) -> list[Customer]:
    """The visible customers of the group named by ``key`` (any key of any member), found
    by following shared tax ids and declared groups until no new customer appears."""
    visible = _visible_customers(memberships)
    found: dict[int, Customer] = {}
    keys, pending = set(), {key}
    while pending:
        keys |= pending
        new = list(_matching(visible, pending).exclude(pk__in=list(found)))
        found.update((c.pk, c) for c in new)
        pending = set().union(*(keys_of(c) for c in new)) - keys if new else set()
    return sorted(found.values(), key=lambda c: (c.organization_id, c.name, c.pk))


def groups_of(memberships) -> list[list[Customer]]:
    """Every group of two or more visible customers, largest first."""
    visible = _visible_customers(memberships)
    shared_tax_ids = (
        visible.exclude(tax_id="")
        .values("tax_id")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
        .values_list("tax_id", flat=True)
    )
    candidates = list(
        visible.filter(Q(tax_id__in=list(shared_tax_ids)) | ~Q(business_group_key=""))
    )
    parent = {c.pk: c.pk for c in candidates}

    def root(pk):
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    first_with_key: dict[str, int] = {}
    for customer in candidates:
        for key in keys_of(customer):
            other = first_with_key.setdefault(key, customer.pk)
            parent[root(customer.pk)] = root(other)
    components: dict[int, list[Customer]] = {}
    for customer in candidates:
        components.setdefault(root(customer.pk), []).append(customer)
    groups = [sorted(g, key=lambda c: (c.organization_id, c.name)) for g in components.values()]
    groups = [g for g in groups if len(g) >= 2]
    return sorted(groups, key=lambda g: (-len(g), canonical_key(g)))


# --- the group page --------------------------------------------------------------------------
@dataclass
class CompanyPosition:
    """One customer of the group in one of the user's organisations."""

    customer: Customer
    as_of: dt.date
    balances: list[dict] = field(default_factory=list)  # [{currency, total, buckets{}}]
    promises: list[dict] = field(default_factory=list)  # [{currency, amount, count, next}]
    open_disputes: int = 0

    @property
    def organization(self):
        return self.customer.organization


@dataclass
class GroupLimit:
    organization: object
    amount: Decimal
    currency: str
    exposure: Decimal

    @property
    def used_percent(self) -> Decimal | None:
        if not self.amount:
            return None
        return (self.exposure * 100 / self.amount).quantize(Decimal("1"))

    @property
    def is_over(self) -> bool:
        return self.exposure > self.amount


@dataclass
class GroupView:
    key: str
    name: str
    bucket_list: list
    companies: list[CompanyPosition]
    totals: list[dict]  # [{currency, total, buckets{}}] across companies
    limits: list[GroupLimit]

    @property
    def stopped(self) -> list[CompanyPosition]:
        return [c for c in self.companies if c.customer.supply_stopped]


def _balances(organization, customers, as_of, bucket_list) -> dict[int, list[dict]]:
    """{customer_id: [{currency, total, buckets}]} from the aging report on the
    organisation's today, with the standard buckets so organisations add up."""
    report = aging(
        organization=organization,
        as_of=as_of,
        group="customer",
        limits=DEFAULT_AGING_LIMITS,
        customers=[c.pk for c in customers],
    )
    result: dict[int, list[dict]] = {}
    for row in report.rows:
        amounts = {b.key: row.amounts.get(b.key, ZERO) for b in bucket_list}
        result.setdefault(row.key, []).append(
            {"currency": row.currency, "total": row.total, "buckets": amounts}
        )
    for rows in result.values():
        rows.sort(key=lambda r: r["currency"])
    return result


def _promises(customer_ids) -> dict[int, list[dict]]:
    """{customer_id: [{currency, amount, count, next}]} of the open promises to pay."""
    result: dict[int, list[dict]] = {}
    open_promises = PromiseToPay.objects.filter(
        customer_id__in=customer_ids, status=PromiseStatus.OPEN
    ).order_by("promised_date", "id")
    for promise in open_promises:
        per_currency = result.setdefault(promise.customer_id, [])
        entry = next((e for e in per_currency if e["currency"] == promise.currency), None)
        if entry is None:
            entry = {"currency": promise.currency, "amount": ZERO, "count": 0}
            entry["next"] = promise.promised_date
            per_currency.append(entry)
        entry["amount"] += promise.amount
        entry["count"] += 1
    return result


def _open_disputes(customer_ids) -> dict[int, int]:
    rows = (
        Dispute.objects.filter(invoice__customer_id__in=customer_ids, status=DisputeStatus.OPEN)
        .order_by()
        .values("invoice__customer_id")
        .annotate(n=Count("id"))
    )
    return {row["invoice__customer_id"]: row["n"] for row in rows}


def _totals(companies, bucket_list) -> list[dict]:
    totals: dict[str, dict] = {}
    for company in companies:
        for balance in company.balances:
            target = totals.setdefault(
                balance["currency"],
                {
                    "currency": balance["currency"],
                    "total": ZERO,
                    "buckets": {b.key: ZERO for b in bucket_list},
                },
            )
            target["total"] += balance["total"]
            for key, amount in balance["buckets"].items():
                target["buckets"][key] += amount
    return [totals[c] for c in sorted(totals)]


def _limits(memberships, customers, totals) -> list[GroupLimit]:
    keys = set().union(*(keys_of(c) for c in customers))
    org_ids = [m.organization_id for m in memberships]
    exposure = {t["currency"]: t["total"] for t in totals}
    rows = (
        GroupCreditLimit.objects.filter(organization_id__in=org_ids, group_key__in=keys)
        .select_related("organization")
        .order_by("organization__name", "group_key")
    )
    return [
        GroupLimit(row.organization, row.amount, row.currency, exposure.get(row.currency, ZERO))
        for row in rows
    ]


def group_exposure(memberships, key: str, currency: str, *, as_of: dt.date) -> Decimal:
    """The group's open receivable in ``currency`` that these memberships see, on
    ``as_of``: the exposure the group page compares a group credit limit with (the nightly
    alert, credit_alerts, uses it for each user who may manage credit)."""
    customers = group_customers(memberships, key)
    by_org: dict[int, list[Customer]] = {}
    for customer in customers:
        by_org.setdefault(customer.organization_id, []).append(customer)
    bucket_list = buckets(DEFAULT_AGING_LIMITS)
    total = ZERO
    for org_customers in by_org.values():
        balances = _balances(org_customers[0].organization, org_customers, as_of, bucket_list)
        total += sum(
            (b["total"] for rows in balances.values() for b in rows if b["currency"] == currency),
            ZERO,
        )
    return total


def group_view(memberships, key: str) -> GroupView | None:
    """The page of the group ``key`` for these memberships; None when they see no member."""
    customers = group_customers(memberships, key)
    if not customers:
        return None
    bucket_list = buckets(DEFAULT_AGING_LIMITS)
    ids = [c.pk for c in customers]
    promises, disputes = _promises(ids), _open_disputes(ids)
    companies = []
    by_org: dict[int, list[Customer]] = {}
    for customer in customers:
        by_org.setdefault(customer.organization_id, []).append(customer)
    for org_customers in by_org.values():
        organization = org_customers[0].organization
        as_of = local_today(organization.timezone)
        balances = _balances(organization, org_customers, as_of, bucket_list)
        companies.extend(
            CompanyPosition(
                customer=c,
                as_of=as_of,
                balances=balances.get(c.pk, []),
                promises=promises.get(c.pk, []),
                open_disputes=disputes.get(c.pk, 0),
            )
            for c in org_customers
        )
    companies.sort(key=lambda c: (c.organization.name, c.customer.name, c.customer.pk))
    totals = _totals(companies, bucket_list)
    for row in [*totals, *(b for c in companies for b in c.balances)]:
        row["cells"] = [row["buckets"][b.key] for b in bucket_list]  # in the columns' order
    return GroupView(
        key=canonical_key(customers),
        name=group_name(customers),
        bucket_list=bucket_list,
        companies=companies,
        totals=totals,
        limits=_limits(memberships, customers, totals),
    )


def counterparts_of(user, customer) -> list[Customer]:
    """The other customers of ``customer``'s group this user may see, in any of their
    organisations (the customer page links to the group and shows their stop-supply)."""
    keys = keys_of(customer)
    if not keys:
        return []
    memberships = viewing_memberships(user)
    found = group_customers(memberships, sorted(keys)[0])
    return [c for c in found if c.pk != customer.pk]
