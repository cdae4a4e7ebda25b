from cartera.customers.models import Contact
from cartera.imports.services import import_file


def _run(org, data, **kw):
    return import_file(
        organization=org, actor=None, kind="contacts", file_name="contactos.csv", data=data, **kw
    )


def _contacts(customer):
    return list(
        customer.contacts.order_by("id").values_list(
            "name", "role", "email", "mobile_phone", "whatsapp", "is_primary"
        )
    )


CONTACTS = (
    "Cliente;Contacto;Puesto;Correo;Teléfono;WhatsApp\r\n"
    "CLI-001;Lucía Pagos;Pagos;lucia@latuerca.mx;81 1234 5678;\r\n"
    "FTU010203AB4;Pedro Facturas;Facturación;pedro@latuerca.mx;;81 8765 4321\r\n"
).encode()


def test_contacts_import_matches_existing_and_creates_new(debtor_a):
    batch = _run(debtor_a.organization, CONTACTS)
    assert batch.as_json()["errors"] == []
    # Lucía already exists with the same data; Pedro is new (the customer found by RFC).
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (1, 0, 1)
    assert _contacts(debtor_a) == [
        ("Lucía Pagos", "payments", "lucia@latuerca.mx", "+528112345678", "", True),
        ("Pedro Facturas", "billing", "pedro@latuerca.mx", "", "+528187654321", False),
    ]
    again = _run(debtor_a.organization, CONTACTS)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)


def test_contacts_update_changes_only_what_the_file_says(debtor_a):
    data = "customer,name,email,phone\r\nCLI-001,Lucía Pagos,lucia@latuerca.mx,81 5555 0000\r\n"
    batch = _run(debtor_a.organization, data.encode())
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (0, 1, 0)
    assert _contacts(debtor_a) == [
        ("Lucía Pagos", "payments", "lucia@latuerca.mx", "+528155550000", "", True)
    ]


def test_contacts_errors_are_reported_and_nothing_changes(debtor_a):
    data = (
        b"customer,name,role,email,phone\r\n"
        b"NOEXISTE,Ana,,ana@example.com,\r\n"
        b"CLI-001,Bruno,Jefe,,\r\n"
        b"CLI-001,Carla,,carla@,\r\n"
        b"CLI-001,Dora,,dora@example.com,\r\n"
        b"CLI-001,Dora bis,,dora@example.com,\r\n"
        b"CLI-001,,,,\r\n"
    )
    before = _contacts(debtor_a)
    batch = _run(debtor_a.organization, data)
    assert [
        (e["row"], e["column"], e["value"], e["message"]) for e in batch.as_json()["errors"]
    ] == [
        (2, "customer", "NOEXISTE", "Cliente desconocido."),
        (3, "role", "Jefe", "Rol no reconocido (pagos, facturación, legal u otro)."),
        (4, "email", "carla@", "Correo electrónico no válido."),
        (6, "email", "dora@example.com", "Contacto repetido en el archivo (también en la fila 5)."),
        (7, "name", "", "Falta el dato obligatorio."),
    ]
    assert batch.created_count == 0
    assert _contacts(debtor_a) == before
    assert Contact.objects.count() == 1
