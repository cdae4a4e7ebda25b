"""Canonical columns per import kind and the names people give them.

Matching is case-, accent-, space- and punctuation-insensitive ("R.F.C." = "rfc",
see ``values.header_key``).
Synonyms are listed best first: when two headers could fill one field, the earlier
synonym wins ("Total" beats "Saldo").
"""

import hashlib

from django.utils.translation import gettext_lazy as _

from .values import fold, header_key

CUSTOMER_REF = [
    "customer",
    "cliente",
    "no cliente",
    "num cliente",
    "numero de cliente",
    "numero cliente",
    "clave cliente",
    "clave del cliente",
    "id cliente",
    "codigo cliente",
    "cliente id",
    "customer id",
    "customer external id",
]
EMAIL = ["email", "correo", "e mail", "correo electronico", "mail"]
PHONE = ["phone", "telefono", "tel", "celular", "movil", "mobile"]
WHATSAPP = ["whatsapp", "whats app", "wa"]
TAX_ID = ["tax id", "rfc", "rut", "cuit", "nif", "nit", "rfc cliente", "rfc del cliente"]

FIELDS: dict[str, dict[str, list[str]]] = {
    "customers": {
        "external_id": [
            "external id",
            "clave",
            "no cliente",
            "num cliente",
            "numero de cliente",
            "numero cliente",
            "clave cliente",
            "id cliente",
            "codigo",
            "codigo cliente",
            "customer id",
            "id",
        ],
        "name": [
            "name",
            "nombre",
            "cliente",
            "nombre cliente",
            "nombre comercial",
            "customer",
            "customer name",
        ],
        "legal_name": ["legal name", "razon social", "nombre fiscal", "denominacion"],
        "tax_id": TAX_ID,
        "country": ["country", "pais"],
        "email": EMAIL,
        "phone": PHONE,
        "payment_terms_days": [
            "payment terms days",
            "dias de credito",
            "dias credito",
            "plazo",
            "plazo de credito",
            "credito dias",
            "payment terms",
            "terms",
        ],
        "credit_limit": ["credit limit", "limite de credito", "limite credito", "limite"],
        # the postal address (where letters go); not in the downloadable template
        "address_street": ["calle", "street"],
        "address_exterior": ["numero exterior", "num ext", "no ext", "no exterior", "exterior"],
        "address_interior": ["numero interior", "num int", "no int", "no interior", "interior"],
        "address_colonia": ["colonia", "neighborhood"],
        "address_city": ["ciudad", "municipio", "city", "delegacion", "alcaldia"],
        "address_state": ["estado", "entidad", "state"],
        "address_postal_code": ["codigo postal", "cp", "c p", "postal code", "zip"],
        "agent": ["agent", "gestor", "agente", "cobrador", "ejecutivo", "ejecutivo de cobranza"],
    },
    "contacts": {
        "customer": CUSTOMER_REF,
        "name": ["name", "nombre", "contacto", "nombre contacto", "nombre del contacto"],
        "role": ["role", "rol", "puesto", "area"],
        "email": EMAIL,
        "phone": PHONE,
        "whatsapp": WHATSAPP,
    },
    "invoices": {
        "external_id": ["external id", "clave", "id", "id factura", "clave factura", "invoice id"],
        "customer": CUSTOMER_REF,
        "series": ["series", "serie"],
        "number": [
            "number",
            "folio",
            "numero",
            "no factura",
            "num factura",
            "numero de factura",
            "factura",
            "invoice number",
            "invoice",
            "documento",
            "no documento",
        ],
        "issue_date": [
            "issue date",
            "fecha de emision",
            "fecha emision",
            "emision",
            "fecha",
            "fecha factura",
            "fecha de factura",
            "invoice date",
            "date",
        ],
        "due_date": [
            "due date",
            "fecha de vencimiento",
            "fecha vencimiento",
            "vencimiento",
            "vence",
            "fecha de pago esperada",
        ],
        "terms_days": ["dias de credito", "dias credito", "plazo", "payment terms days"],
        "currency": ["currency", "moneda", "divisa"],
        "total": ["total", "importe", "monto", "amount", "importe total", "total factura", "saldo"],
        "uuid": ["uuid", "folio fiscal", "uuid cfdi"],
        "payment_method": ["payment method", "metodo de pago", "metodo pago", "metodo"],
        "purchase_order": [
            "purchase order",
            "orden de compra",
            "oc",
            "no orden de compra",
            "numero de orden de compra",
            "orden compra",
            "po",
            "po number",
        ],
        "customer_name": [
            "customer name",
            "nombre cliente",
            "nombre del cliente",
            "razon social",
            "nombre",
        ],
        "customer_tax_id": TAX_ID,
        # The customer's contact (see docs/import.md, "Contacts in invoice files").
        "contact_name": [
            "contact name",
            "contacto",
            "nombre contacto",
            "nombre del contacto",
            "contacto de pagos",
        ],
        "email": EMAIL,
        "phone": PHONE,
        "whatsapp": WHATSAPP,
    },
    "payments": {
        "external_id": [
            "external id",
            "id pago",
            "clave pago",
            "folio pago",
            "no pago",
            "clave",
            "id",
        ],
        "customer": CUSTOMER_REF,
        "date": ["date", "fecha", "fecha de pago", "fecha pago", "payment date"],
        "amount": ["amount", "importe", "monto", "pago", "importe pagado", "total"],
        "currency": ["currency", "moneda", "divisa"],
        "method": ["method", "forma de pago", "forma pago", "metodo", "medio de pago"],
        "reference": [
            "reference",
            "referencia",
            "clave de rastreo",
            "rastreo",
            "numero de operacion",
            "no operacion",
        ],
        "invoices": ["invoices", "facturas", "factura", "aplica a", "invoice", "facturas pagadas"],
    },
    "products": {
        "code": [
            "code",
            "clave",
            "clave interna",
            "codigo",
            "clave producto",
            "clave del producto",
            "codigo producto",
            "sku",
            "product code",
            "item code",
            "no identificacion",
            "id",
        ],
        "description": [
            "description",
            "descripcion",
            "concepto",
            "producto",
            "nombre",
            "producto o servicio",
            "name",
        ],
        "unit_price": [
            "unit price",
            "precio",
            "precio unitario",
            "valor unitario",
            "precio sin iva",
            "price",
        ],
        "currency": ["currency", "moneda", "divisa"],
        "sat_product_key": [
            "sat product key",
            "clave sat",
            "clave prod serv",
            "claveprodserv",
            "clave de producto o servicio",
            "clave producto servicio",
            "clave producto sat",
            "product key",
            "sat key",
        ],
        "sat_unit_key": [
            "sat unit key",
            "clave unidad",
            "clave de unidad",
            "claveunidad",
            "clave unidad sat",
            "unit key",
        ],
        "unit_name": ["unit name", "unidad", "unidad de medida", "unit"],
        "tax_object": ["tax object", "objeto de impuesto", "objeto impuesto", "objetoimp"],
        "iva": ["iva", "tasa iva", "tasa de iva", "iva trasladado", "vat"],
        "ieps_rate": ["ieps rate", "ieps", "tasa ieps", "tasa de ieps"],
        "isr_retention_rate": [
            "isr retention rate",
            "retencion isr",
            "retencion de isr",
            "isr retenido",
            "ret isr",
            "isr retention",
            "isr withholding",
        ],
        "iva_retention_rate": [
            "iva retention rate",
            "retencion iva",
            "retencion de iva",
            "iva retenido",
            "ret iva",
            "iva retention",
            "vat withholding",
        ],
        "active": ["active", "activo", "activa", "vigente"],
    },
}

# The export of a buyer's supplier portal (docs/import.md, "Supplier portals"); not an
# ImportBatch kind: ``cartera.imports.supplier_portal`` reads it.
FIELDS["supplier_portal"] = {
    "number": [
        "folio",
        "factura",
        "numero de factura",
        "no factura",
        "folio factura",
        "invoice",
        "invoice number",
        "documento",
        "referencia",
    ],
    "uuid": ["uuid", "folio fiscal", "uuid cfdi"],
    "status": ["estado", "estatus", "status", "situacion", "estado de la factura"],
    "date": ["fecha", "fecha de estado", "fecha estatus", "fecha de actualizacion", "date"],
    "reason": [
        "motivo",
        "motivo de rechazo",
        "causa de rechazo",
        "comentarios",
        "observaciones",
        "reason",
    ],
    "payment_date": [
        "fecha de pago",
        "fecha programada",
        "fecha de pago programada",
        "fecha probable de pago",
        "payment date",
    ],
}

REQUIRED = {
    "supplier_portal": ["status", "date"],
    "customers": ["name"],
    "contacts": ["customer", "name"],
    "invoices": ["customer", "number", "issue_date", "total"],
    "payments": ["customer", "date", "amount"],
    "products": ["code", "description", "unit_price", "sat_product_key", "sat_unit_key"],
}

# The columns of the downloadable template per kind (the canonical headers).
CANONICAL = {
    "customers": [
        "external_id",
        "name",
        "legal_name",
        "tax_id",
        "country",
        "email",
        "phone",
        "payment_terms_days",
        "credit_limit",
        "agent",
    ],
    "contacts": ["customer", "name", "role", "email", "phone", "whatsapp"],
    "invoices": [
        "external_id",
        "customer",
        "number",
        "issue_date",
        "due_date",
        "currency",
        "total",
        "uuid",
        "payment_method",
        "purchase_order",
        "contact_name",
        "email",
        "phone",
        "whatsapp",
    ],
    "payments": [
        "external_id",
        "customer",
        "date",
        "amount",
        "currency",
        "method",
        "reference",
        "invoices",
    ],
    "products": [
        "code",
        "description",
        "unit_price",
        "currency",
        "sat_product_key",
        "sat_unit_key",
        "unit_name",
        "tax_object",
        "iva",
        "ieps_rate",
        "isr_retention_rate",
        "iva_retention_rate",
        "active",
    ],
}

LABELS = {
    "external_id": _("Clave externa"),
    "name": _("Nombre"),
    "legal_name": _("Razón social"),
    "tax_id": _("RFC / RUT / CUIT"),
    "country": _("País"),
    "email": _("Correo"),
    "phone": _("Teléfono"),
    "payment_terms_days": _("Días de crédito"),
    "credit_limit": _("Límite de crédito"),
    "address_street": _("Calle"),
    "address_exterior": _("Número exterior"),
    "address_interior": _("Número interior"),
    "address_colonia": _("Colonia"),
    "address_city": _("Ciudad o municipio"),
    "address_state": _("Estado"),
    "address_postal_code": _("Código postal"),
    "agent": _("Gestor"),
    "customer": _("Cliente"),
    "role": _("Rol"),
    "whatsapp": _("WhatsApp"),
    "series": _("Serie"),
    "number": _("Folio"),
    "issue_date": _("Fecha de emisión"),
    "due_date": _("Fecha de vencimiento"),
    "terms_days": _("Días de crédito"),
    "currency": _("Moneda"),
    "total": _("Total"),
    "uuid": _("UUID"),
    "payment_method": _("Método de pago (PUE/PPD)"),
    "purchase_order": _("Orden de compra"),
    "customer_name": _("Nombre del cliente"),
    "customer_tax_id": _("RFC del cliente"),
    "contact_name": _("Nombre del contacto"),
    "date": _("Fecha"),
    "amount": _("Importe"),
    "method": _("Forma de pago"),
    "reference": _("Referencia"),
    "invoices": _("Facturas (separadas por |)"),
    "status": _("Estado"),
    "reason": _("Motivo"),
    "payment_date": _("Fecha de pago programada"),
    "code": _("Clave"),
    "description": _("Descripción"),
    "unit_price": _("Precio unitario"),
    "sat_product_key": _("Clave SAT (ClaveProdServ)"),
    "sat_unit_key": _("Clave de unidad SAT"),
    "unit_name": _("Unidad"),
    "tax_object": _("Objeto de impuesto"),
    "iva": _("IVA"),
    "ieps_rate": _("IEPS"),
    "isr_retention_rate": _("Retención de ISR"),
    "iva_retention_rate": _("Retención de IVA"),
    "active": _("Activo"),
}


def known_names(kind: str) -> set[str]:
    return {header_key(s) for synonyms in FIELDS[kind].values() for s in synonyms}


def layout_key(headers: list[str]) -> str:
    """A stable key for a file layout: its folded header row."""
    return hashlib.sha256("\x1f".join(fold(h) for h in headers).encode()).hexdigest()


def detect_mapping(kind: str, headers: list[str]) -> dict[str, int]:
    """``{field: column index}`` from the header row, best synonym first."""
    folded = [header_key(h) for h in headers]
    candidates = []
    for field, synonyms in FIELDS[kind].items():
        for rank, synonym in enumerate(synonyms):
            for index, name in enumerate(folded):
                if name and name == header_key(synonym):
                    candidates.append((rank, index, field))
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for _rank, index, field in sorted(candidates):
        if field in mapping or index in used:
            continue
        mapping[field] = index
        used.add(index)
    return mapping


def ignored_headers(headers: list[str], mapping: dict[str, int]) -> list[str]:
    """The named columns of the file that no field takes: they are not imported."""
    used = set(mapping.values())
    return [h for index, h in enumerate(headers) if h and index not in used]


def missing_required(kind: str, mapping: dict[str, int]) -> list[str]:
    missing = [f for f in REQUIRED[kind] if f not in mapping]
    if kind == "invoices" and "number" in missing and "external_id" in mapping:
        missing.remove("number")
    return missing
