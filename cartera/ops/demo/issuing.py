"""The demo's invoice draft ready to stamp, from the demo catalogue (``catalogue.py``). The
demo has no CSD or PAC: stamping asks for them on the fiscal settings page."""

import datetime as dt
from decimal import Decimal

from cartera.fiscal.drafts import save_draft
from cartera.fiscal.models import Product

LINES = (("TOR-14", Decimal(12), Decimal("100")), ("FLE-MTY", Decimal(1), Decimal(0)))


def demo_issuing(*, organization, owner, customer, today: dt.date) -> dict:
    customer.fiscal_postal_code = "64000"  # a postal code of the SAT's catalogue
    customer.save(update_fields=["fiscal_postal_code"])
    products = {p.code: p for p in Product.objects.filter(organization=organization)}
    lines = [
        {**_line(products[code]), "quantity": quantity, "discount": discount}
        for code, quantity, discount in LINES
    ]
    save_draft(
        customer=customer,
        actor=owner,
        lines=lines,
        kind="I",
        currency="MXN",
        payment_method="PPD",
        payment_form="99",
        cfdi_use="G03",
        due_date=today + dt.timedelta(days=30),
        purchase_order="OC-2026-118",
    )
    return {"invoice_drafts": 1}


def _line(product) -> dict:
    fields = ("code", "description", "sat_product_key", "sat_unit_key", "unit_name")
    taxes = ("tax_object", "iva", "ieps_rate", "isr_retention_rate", "iva_retention_rate")
    return {
        "product": product,
        "unit_price": product.unit_price,
        **{key: getattr(product, key) for key in fields + taxes},
    }
