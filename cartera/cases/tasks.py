"""Tasks of the cases app (django-tasks wrappers)."""

import datetime as dt
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_tasks import task

from cartera.customers.models import Customer
from cartera.dunning.choices import Stage
from cartera.invoices.models import Invoice

from .choices import AssigneeKind
from .models import Assignee
from .services import open_case

KIND_OF_STAGE = {Stage.JUDICIAL: AssigneeKind.LAW_FIRM, Stage.AGENCY: AssigneeKind.AGENCY}


@task()
def open_cases_from_plan(*, organization_id: int, handed: list, on: str) -> dict:
    """Enqueued by name (on commit) by the planner's writer for the decisions of judicial
    and agency steps: one case per customer and stage, with the organisation's first
    assignee of the matching kind (by name). Without one, nothing is opened (the decision
    stays on record and the step fires again on the next run)."""
    today = dt.date.fromisoformat(on)
    groups: dict = defaultdict(list)
    for customer_id, invoice_id, stage in handed:
        groups[(customer_id, stage)].append(invoice_id)
    opened, missing = 0, 0
    for (customer_id, stage), invoice_ids in sorted(groups.items()):
        assignee = Assignee.objects.filter(
            organization_id=organization_id, kind=KIND_OF_STAGE.get(stage, AssigneeKind.AGENCY)
        ).first()
        if assignee is None:
            missing += 1
            continue
        customer = Customer.objects.get(pk=customer_id, organization_id=organization_id)
        invoices = list(
            Invoice.objects.filter(pk__in=invoice_ids, customer=customer, in_case=False)
        )
        if not invoices:
            continue
        try:
            open_case(
                customer=customer,
                invoices=invoices,
                assignee=assignee,
                actor=None,
                today=today,
                note=_("Abierto por la estrategia de cobranza (etapa %(stage)s).")
                % {"stage": Stage(stage).label},
                by_strategy=True,
            )
            opened += 1
        except ValidationError:
            missing += 1
    return {"opened": opened, "not_opened": missing}
