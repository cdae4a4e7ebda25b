"""The built-in kinds of customer document every organisation starts with (plain data:
the data migration and ``documents.install_default_kinds`` both read it).

Validity, in days from the document's issue date (its upload date when none is given):
- the constancia de situación fiscal is usually asked for no older than three months (90);
- the opinión de cumplimiento (artículo 32-D del CFF) is valid 30 calendar days from issue;
- a supplier registration is renewed yearly (365);
- a signed contract and a credit application do not expire (None).

Every built-in kind starts as "only when requested", so installing them never sends a
reminder to anybody: the organisation decides whom each applies to.
"""

DEFAULT_KINDS = (
    # (code, name, description, validity_days, position)
    (
        "constancia-fiscal",
        "Constancia de situación fiscal",
        "Del SAT, con no más de tres meses de emitida.",
        90,
        10,
    ),
    (
        "opinion-32d",
        "Opinión de cumplimiento (32-D)",
        "Opinión del cumplimiento de obligaciones fiscales en sentido positivo.",
        30,
        20,
    ),
    ("contrato", "Contrato firmado", "El contrato de crédito o suministro firmado.", None, 30),
    ("solicitud-credito", "Solicitud de crédito", "La solicitud de crédito firmada.", None, 40),
    (
        "alta-proveedor",
        "Alta de proveedor",
        "El registro de la organización como proveedor del cliente.",
        365,
        50,
    ),
)
