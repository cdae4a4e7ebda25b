"""Plausible Mexican reference data for the demo and the benchmarks.

Everything takes a ``random.Random`` so output is deterministic for a given seed.
RFCs are valid persona-moral RFCs (3 letters + YYMMDD + homoclave) with a correct
check digit (python-stdnum ``mx.rfc``).
"""

import datetime as dt
import random
import string
import unicodedata

from stdnum.mx import rfc

BUSINESS_KINDS = [
    "Ferretería",
    "Abarrotes",
    "Constructora",
    "Servicios",
    "Comercializadora",
    "Distribuidora",
    "Transportes",
    "Materiales",
    "Papelería",
    "Farmacia",
    "Refaccionaria",
    "Agroindustrias",
    "Tlapalería",
    "Muebles",
    "Alimentos",
    "Textiles",
    "Grupo",
    "Consultoría",
    "Talleres",
    "Productos",
    "Importadora",
    "Plásticos",
    "Aceros",
    "Eléctrica",
]
SURNAMES = [
    "Hernández",
    "García",
    "Martínez",
    "López",
    "González",
    "Pérez",
    "Rodríguez",
    "Sánchez",
    "Ramírez",
    "Cruz",
    "Flores",
    "Gómez",
    "Morales",
    "Vázquez",
    "Reyes",
    "Jiménez",
    "Torres",
    "Díaz",
    "Gutiérrez",
    "Ruiz",
    "Mendoza",
    "Aguilar",
    "Ortiz",
    "Moreno",
    "Castillo",
    "Romero",
    "Álvarez",
    "Méndez",
    "Chávez",
    "Rivera",
    "Juárez",
    "Ramos",
    "Domínguez",
    "Herrera",
    "Medina",
    "Castro",
    "Vargas",
    "Guzmán",
    "Velázquez",
    "Salazar",
    "Orozco",
    "Cervantes",
    "Zúñiga",
]
PLACES = [
    "del Bajío",
    "del Norte",
    "del Pacífico",
    "de Occidente",
    "del Golfo",
    "del Sureste",
    "de Jalisco",
    "de Puebla",
    "de Querétaro",
    "de Monterrey",
    "de Toluca",
    "de León",
    "de Veracruz",
    "de Sonora",
    "de Yucatán",
    "Mexiquense",
    "de la Laguna",
    "de Chihuahua",
    "de Oaxaca",
    "Tapatía",
    "Potosina",
    "Hidalguense",
    "de Morelos",
    "Peninsular",
]
FIRST_NAMES = [
    "María",
    "José",
    "Guadalupe",
    "Juan",
    "Ana",
    "Luis",
    "Carmen",
    "Carlos",
    "Rosa",
    "Jorge",
    "Laura",
    "Miguel",
    "Patricia",
    "Francisco",
    "Alejandra",
    "Fernando",
    "Verónica",
    "Ricardo",
    "Gabriela",
    "Javier",
    "Claudia",
    "Eduardo",
    "Adriana",
    "Roberto",
    "Mónica",
    "Alberto",
]
CONTACT_ROLES = ["payments", "payments", "billing", "other"]
# Area codes of large Mexican cities (CDMX, Guadalajara, Monterrey, Puebla, Querétaro, León…).
AREA_CODES = ["55", "33", "81", "222", "442", "477", "999", "664", "614", "844", "449", "312"]
LEGAL_SUFFIX = "S.A. de C.V."
_SKIP_WORDS = {"DE", "DEL", "LA", "LAS", "LOS", "Y", "S.A.", "C.V.", "SA", "CV", "EL"}


def ascii_upper(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c in string.ascii_letters + " ").upper()


def company_name(rng: random.Random) -> str:
    """'Ferretería Hernández del Bajío' — the trade name, without the legal suffix."""
    kind = rng.choice(BUSINESS_KINDS)
    if rng.random() < 0.5:
        return f"{kind} {rng.choice(SURNAMES)} {rng.choice(PLACES)}"
    return f"{kind} {rng.choice(SURNAMES)} y {rng.choice(SURNAMES)}"


def rfc_letters(name: str) -> str:
    """Three letters from the company name, the way the SAT forms them (simplified)."""
    words = [w for w in ascii_upper(name).split() if w not in _SKIP_WORDS]
    letters = "".join(w[0] for w in words[:3])
    if len(letters) < 3:
        letters = (letters + "".join(words)[1:] + "XXX")[:3]
    return letters


def company_rfc(letters: str, founded: dt.date, rng: random.Random) -> str:
    """A valid persona-moral RFC with a correct check digit."""
    first = rng.choice("123456789ABCDEFGHIJKLMNPQRSTUV")
    second = rng.choice("123456789ABCDEFGHIJKLMNPQRSTUVWXYZ")
    body = f"{letters}{founded:%y%m%d}{first}{second}"
    return rfc.validate(body + rfc.calc_check_digit(body), validate_check_digits=True)


def indexed_rfc(index: int, rng: random.Random) -> str:
    """A valid RFC unique for each ``index`` (for bulk data): letters and date encode it."""
    letters_space = 26**3
    n = index % letters_space
    letters = "".join(string.ascii_uppercase[(n // 26**k) % 26] for k in (2, 1, 0))
    founded = dt.date(1970, 1, 1) + dt.timedelta(days=index // letters_space)
    return company_rfc(letters, founded, rng)


def mobile_number(rng: random.Random) -> str:
    """A Mexican mobile number in E.164 (+52 + 10 digits)."""
    area = rng.choice(AREA_CODES)
    rest = "".join(rng.choice(string.digits) for _ in range(10 - len(area)))
    return f"+52{area}{rest[0] if rest[0] != '0' else '1'}{rest[1:]}"


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"


def email_for(person: str, company: str, rng: random.Random) -> str:
    first = ascii_upper(person).split()[0].lower()
    domain = "".join(ascii_upper(company).split()[:2]).lower()
    return f"{first}.{rng.randint(1, 99)}@{domain}.com.mx"
