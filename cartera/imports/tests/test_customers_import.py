from decimal import Decimal

from cartera.customers.models import Contact, Customer
from cartera.imports.services import import_file
from cartera.timeline.models import Activity

D = Decimal

CUSTOMERS = (
    "external_id,name,legal_name,tax_id,country,email,phone,payment_terms_days,credit_limit,agent\r\n"
    "C-1,Ferretería Uno,Ferretería Uno SA de CV,FUN010203AB4,MX,Pagos@Uno.mx,81 1234 5678,30,"
    '"50,000.00",ana_agent\r\n'
    "C-2,Minera Sur,,96.670.340-7,CL,,,,,\r\n"
    "C-3,Sin Contacto,,,,,,,,\r\n"
).encode()


def _run(org, data, name="clientes.csv", **kw):
    return import_file(
        organization=org, actor=None, kind="customers", file_name=name, data=data, **kw
    )


def _customers(org):
    return list(
        Customer.objects.filter(organization=org)
        .order_by("external_id")
        .values_list(
            "external_id",
            "name",
            "legal_name",
            "tax_id",
            "country",
            "payment_terms_days",
            "credit_limit",
            "assigned_agent__username",
        )
    )


def test_customers_import_creates_customers_and_the_primary_contact(org_a, agent_a):
    batch = _run(org_a, CUSTOMERS)
    assert batch.as_json()["errors"] == []
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (3, 0, 0)
    assert _customers(org_a) == [
        (
            "C-1",
            "Ferretería Uno",
            "Ferretería Uno SA de CV",
            "FUN010203AB4",
            "MX",
            30,
            D("50000.00"),
            "ana_agent",
        ),
        ("C-2", "Minera Sur", "", "96.670.340-7", "CL", None, None, None),
        ("C-3", "Sin Contacto", "", "", "MX", None, None, None),
    ]
    contacts = list(
        Contact.objects.values_list(
            "customer__external_id", "name", "email", "mobile_phone", "is_primary"
        )
    )
    assert contacts == [("C-1", "Ferretería Uno", "pagos@uno.mx", "+528112345678", True)]
    assert Activity.objects.filter(kind="customer_created").count() == 3


def test_customers_same_file_again_is_unchanged_and_an_updated_file_updates(org_a, agent_a):
    _run(org_a, CUSTOMERS)
    again = _run(org_a, CUSTOMERS)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    changed = CUSTOMERS.replace(b",30,", b",45,").replace(b"Pagos@Uno.mx", b"cxp@uno.mx")
    changed += b"C-4,Nuevo,,,,,,,,\r\n"
    batch = _run(org_a, changed)
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (1, 1, 2)
    assert Customer.objects.get(external_id="C-1").payment_terms_days == 45
    assert list(Contact.objects.values_list("email", "mobile_phone", "is_primary")) == [
        ("cxp@uno.mx", "+528112345678", True)
    ]
    assert Customer.objects.count() == 4


def test_tax_id_is_validated_per_country_and_nothing_is_written(org_a):
    data = (
        "Clave,Nombre,RFC,País\r\n"
        "C-1,Bueno,FUN010203AB4,MX\r\n"
        "C-2,RFC malo,ABC,MX\r\n"
        "C-3,RUT malo,12.345.678-0,CL\r\n"
        "C-4,CUIT malo,20-12345678-0,AR\r\n"
        "C-5,País malo,,Mexicalpan\r\n"
    ).encode()
    batch = _run(org_a, data)
    errors = [(e["row"], e["column"], e["value"]) for e in batch.as_json()["errors"]]
    assert errors == [
        (3, "RFC", "ABC"),
        (4, "RFC", "12.345.678-0"),
        (5, "RFC", "20-12345678-0"),
        (6, "País", "MEXICALPAN"),
    ]
    messages = [e["message"].split(":")[0] for e in batch.as_json()["errors"]]
    assert messages == [
        "RFC no válido",
        "RUT no válido",
        "CUIT no válido",
        "País no válido (use el código de dos letras, p. ej. MX).",
    ]
    assert (batch.status, batch.created_count) == ("invalid", 0)
    assert Customer.objects.count() == 0


def test_bad_email_phone_agent_and_duplicates_inside_the_file(org_a, agent_a):
    data = (
        b"external_id,name,tax_id,email,phone,agent\r\n"
        b"C-1,Uno,FUN010203AB4,uno@example.com,,\r\n"
        b"C-2,Dos,,no-es-correo,,\r\n"
        b"C-3,Tres,,,123,\r\n"
        b"C-4,Cuatro,,,,nadie\r\n"
        b"C-1,Uno otra vez,,,,\r\n"
        b"C-6,Seis,FUN010203AB4,,,\r\n"
        b"C-7,,,,,\r\n"
    )
    batch = _run(org_a, data)
    assert [
        (e["row"], e["column"], e["value"], e["message"]) for e in batch.as_json()["errors"]
    ] == [
        (3, "email", "no-es-correo", "Correo electrónico no válido."),
        (4, "phone", "123", "Teléfono no válido."),
        (5, "agent", "nadie", "El gestor no es usuario de esta organización."),
        (6, "external_id", "C-1", "Cliente repetido en el archivo (también en la fila 2)."),
        (
            7,
            "tax_id",
            "FUN010203AB4",
            "RFC/RUT/CUIT repetido en el archivo (también en la fila 2).",
        ),
        (8, "name", "", "Falta el dato obligatorio."),
    ]
    assert Customer.objects.count() == 0 and Contact.objects.count() == 0


def test_valid_only_writes_the_good_rows(org_a):
    data = b"external_id,name,email\r\nC-1,Uno,uno@example.com\r\nC-2,Dos,malo\r\n"
    batch = _run(org_a, data, valid_only=True)
    assert (batch.status, batch.created_count, batch.error_count) == ("invalid", 1, 1)
    assert list(Customer.objects.values_list("external_id", flat=True)) == ["C-1"]


ADDRESSES = (
    "Clave,Nombre,Calle,Núm. Ext.,Núm. Int.,Colonia,Ciudad,Estado,C.P.\r\n"
    "C-1,Ferretería Uno,Av. Constitución,1200,3,Centro,Monterrey,Nuevo León,64000\r\n"
    "C-2,Minera Sur,,,,,,,\r\n"
).encode()
ADDRESS_VALUES = (
    "address_street",
    "address_exterior",
    "address_interior",
    "address_colonia",
    "address_city",
    "address_state",
    "address_postal_code",
)


def test_the_postal_address_is_imported_and_a_blank_one_keeps_what_cartera_has(org_a):
    batch = _run(org_a, ADDRESSES)
    assert batch.as_json()["errors"] == []
    rows = Customer.objects.order_by("external_id").values_list("external_id", *ADDRESS_VALUES)
    expected = [
        ("C-1", "Av. Constitución", "1200", "3", "Centro", "Monterrey", "Nuevo León", "64000"),
        ("C-2", "", "", "", "", "", "", ""),
    ]
    assert list(rows) == expected
    blank = ADDRESSES.replace(
        b"Av. Constituci\xc3\xb3n,1200,3,Centro,Monterrey,Nuevo Le\xc3\xb3n,64000", b",,,,,,"
    )
    again = _run(org_a, blank)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert list(rows.all()) == expected
