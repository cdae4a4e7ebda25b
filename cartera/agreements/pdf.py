"""The signed-off agreement (WeasyPrint), in the customer's language: the terms, the
schedule and who accepted it, when and from where. Stored on the plan at acceptance."""

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import translation

from .models import PaymentPlan


def render_plan_pdf(plan: PaymentPlan) -> bytes:
    with translation.override(plan.customer.language):
        html = render_to_string(
            "agreements/plan_pdf.html",
            {
                "plan": plan,
                "customer": plan.customer,
                "organization": plan.organization,
                "instalments": plan.instalments.order_by("number"),
                "invoices": plan.invoices.order_by("due_date", "id"),
            },
        )
    # Imported here: WeasyPrint takes seconds to load; only the PDF needs it.
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def store_plan_pdf(plan: PaymentPlan) -> PaymentPlan:
    """Keep the accepted agreement as it was the moment it was accepted."""
    name = f"org-{plan.organization_id}/agreements/{plan.number}.pdf"
    plan.agreement_pdf.save(name, ContentFile(render_plan_pdf(plan)), save=False)
    PaymentPlan.objects.filter(pk=plan.pk).update(agreement_pdf=plan.agreement_pdf.name)
    return plan
