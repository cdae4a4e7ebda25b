"""The demo's catalogue of products and one invoice draft ready to stamp (the demo has no
CSD or PAC: stamping asks for them on the fiscal settings page)."""

import datetime as dt
from decimal import Decimal

from cartera.fiscal.catalogue import save_product
from cartera.fiscal.drafts import save_draft

# code, description, price, SAT product key, unit key, unit, IVA, ISR and IVA withheld
PRODUCTS = (
    ("MTTO-MENS", "Mantenimiento preventivo mensual", "4500", "72101500", "E48", "Servicio", "16"),
    ("TOR-1/2", "Tornillo hexagonal 1/2 in (caja 100)", "389.50", "31161500", "XBX", "Caja", "16"),
    ("CEM-50", "Cemento gris 50 kg, zona fronteriza", "245", "30111601", "KGM", "Bulto", "8"),
    ("ASES-H", "Asesoría técnica por hora", "1200", "80101500", "HUR", "Hora", "16"),
)


def demo_issuing(*, organization, owner, customer, today: dt.date) -> dict:
    products = [
        save_product(
            organization=organization,
            actor=None,
            code=code,
            description=description,
            unit_price=price,
            currency="MXN",
            sat_product_key=key,
            sat_unit_key=unit_key,
            unit_name=unit,
            tax_object="02",
            iva=iva,
            active=True,
        )
        for code, description, price, key, unit_key, unit, iva in PRODUCTS
    ]
    customer.fiscal_postal_code = "64000"  # a postal code of the SAT's catalogue
    customer.save(update_fields=["fiscal_postal_code"])
    lines = [
        {**_line(products[0]), "quantity": Decimal(1)},
        {**_line(products[1]), "quantity": Decimal(12), "discount": Decimal("100")},
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
    return {"products": len(products), "invoice_drafts": 1}


def _line(product) -> dict:
    fields = ("code", "description", "sat_product_key", "sat_unit_key", "unit_name")
    taxes = ("tax_object", "iva", "ieps_rate", "isr_retention_rate", "iva_retention_rate")
    return {
        "product": product,
        "unit_price": product.unit_price,
        **{key: getattr(product, key) for key in fields + taxes},
    }
