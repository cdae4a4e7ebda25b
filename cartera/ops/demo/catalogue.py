"""The demo organisation's catalogue of products and services (what a hardware
distributor invoices), written through ``cartera.fiscal.catalogue.save_product``."""

from cartera.fiscal.catalogue import save_product

# code, description, price, ClaveProdServ, ClaveUnidad, unit, taxes, active
PRODUCTS = (
    (
        "TOR-14",
        "Tornillo hexagonal 1/4 in, caja con 100",
        "185.00",
        "31161500",
        "XBX",
        "Caja",
        {},
        True,
    ),
    (
        "PIN-19",
        "Pintura vinílica blanca, cubeta de 19 L",
        "1290.00",
        "31211500",
        "H87",
        "Cubeta",
        {},
        True,
    ),
    ("CEM-50", "Cemento gris, bulto de 50 kg", "245.50", "30111601", "H87", "Bulto", {}, True),
    (
        "FLE-MTY",
        "Flete a obra en el área metropolitana",
        "1800.00",
        "78101802",
        "E48",
        "Servicio",
        {"iva_retention_rate": "0.040000"},
        True,
    ),
    (
        "CAP-OBR",
        "Capacitación en uso seguro de herramienta eléctrica",
        "4500.00",
        "86101700",
        "E48",
        "Servicio",
        {},  # a company's service: ISR is withheld only from individuals
        True,
    ),
    (
        "TOR-38",
        "Tornillo hexagonal 3/8 in (descontinuado)",
        "240.00",
        "31161500",
        "XBX",
        "Caja",
        {},
        False,
    ),
)


def build_catalogue(organization, actor) -> dict:
    for code, description, price, product_key, unit_key, unit, taxes, active in PRODUCTS:
        save_product(
            organization=organization,
            actor=actor,
            code=code,
            description=description,
            unit_price=price,
            currency="MXN",
            sat_product_key=product_key,
            sat_unit_key=unit_key,
            unit_name=unit,
            tax_object="02",
            iva="16",
            ieps_rate=None,
            isr_retention_rate=taxes.get("isr_retention_rate"),
            iva_retention_rate=taxes.get("iva_retention_rate"),
            active=active,
        )
    return {"products": len(PRODUCTS)}
